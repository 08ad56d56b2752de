#!/usr/bin/env bash
# envelope sbom vs syft on the same OCI layout, side by side in one run.
#
#   bash bench/sbom.sh
#
# The image (bench/gen_sbom_image.py): this machine's dpkg status database
# (hundreds of real Debian packages), the Go toolchain's own tools (Go
# binaries with full build info) and examples/server, in an OCI layout
# written by skopeo. Both tools write SPDX JSON of every Go binary and OS
# package; syft runs offline with its default catalogers for an image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
for t in hyperfine python3 go skopeo; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
syft=${SYFT:-$(command -v syft || true)}
if ! command -v "$syft" >/dev/null; then
  echo "syft is needed: bash .ci/install.sh (or SYFT=PATH)" >&2
  exit 2
fi
export SYFT_CHECK_FOR_APP_UPDATE=false
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-sbom.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$root/examples/server" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$work/server" .)
tools="$(go env GOROOT)/pkg/tool/$(go env GOOS)_$(go env GOARCH)"
python3 "$here/gen_sbom_image.py" "$work/image.tar" /var/lib/dpkg/status "$tools" "$work/server"
skopeo copy -q "docker-archive:$work/image.tar" "oci:$work/layout:bench"
du -sh "$work/layout"
# Both must see the same Go packages before their times mean anything.
"$envelope" sbom "oci:$work/layout:bench" > "$work/envelope.spdx.json"
"$syft" scan -q "oci-dir:$work/layout" -o spdx-json > "$work/syft.spdx.json"

hyperfine -N --warmup 1 --runs 5 --export-json "$out/sbom.json" \
  -n "envelope sbom" "$envelope sbom oci:$work/layout:bench" \
  -n "syft scan" "$syft scan -q oci-dir:$work/layout -o spdx-json"

python3 - "$out" "$work" "$(go version -m "$syft" | awk '$1 == "mod" { print $3 }')" "$(nproc)" <<'PY'
import json, sys
out, work, syft_version, cpus = sys.argv[1:]
r = {x["command"]: x for x in json.load(open(f"{out}/sbom.json"))["results"]}
e, s = r["envelope sbom"], r["syft scan"]
def pkgs(path):
    doc = json.load(open(path))
    out = {"golang": set(), "other": set()}
    for p in doc["packages"]:
        purls = [x["referenceLocator"] for x in p.get("externalRefs", []) if x.get("referenceType") == "purl"]
        if not purls:
            continue
        if purls[0].startswith("pkg:golang/"):
            kind = "golang"
        elif purls[0].startswith(("pkg:deb/", "pkg:apk/", "pkg:rpm/")):
            kind = "other"
        else:
            continue  # the image itself (syft's pkg:oci/ subject)
        out[kind].add((p["name"], p.get("versionInfo", "")))
    return out
ours, theirs = pkgs(f"{work}/envelope.spdx.json"), pkgs(f"{work}/syft.spdx.json")
# The documented differences (docs/sbom.md): where the binary records a
# main module's version as (devel), syft writes UNKNOWN, or makes up a
# pseudo-version from vcs.revision and vcs.time.
def canon(s):
    devel = lambda v: v == "UNKNOWN" or v.startswith("v0.0.0-")
    return {(n, "(devel)" if devel(v) and (n, "(devel)") in ours["golang"] else v) for n, v in s}
theirs["golang"] = canon(theirs["golang"])
lines = [
    f"OCI layout: dpkg status of this machine, Go toolchain tools, examples/server; {cpus} CPUs; syft {syft_version}",
    f"packages: envelope {len(ours['golang'])} Go + {len(ours['other'])} OS, syft {len(theirs['golang'])} Go + {len(theirs['other'])} OS; Go (name, version) sets equal: {ours['golang'] == theirs['golang']}",
    f"wall: envelope {e['mean']*1000:.0f} ms ± {e['stddev']*1000:.0f}, syft {s['mean']*1000:.0f} ms ± {s['stddev']*1000:.0f}; envelope is {s['mean']/e['mean']:.1f}x faster",
]
only_theirs, only_ours = theirs["other"] - ours["other"], ours["other"] - theirs["other"]
if only_theirs or only_ours:
    lines.append(f"OS packages only syft lists: {sorted(only_theirs)}; only envelope: {sorted(only_ours)}")
print("\n".join(lines))
open(f"{out}/sbom-summary.txt", "w").write("\n".join(lines) + "\n")
PY
