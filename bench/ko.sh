#!/usr/bin/env bash
# envelope build vs ko build, side by side in one run (hyperfine), on the
# example server (net/http, crypto/x509, time zones).
#
#   bash bench/ko.sh            # writes bench/out/ko-*.json and prints a summary
#
# Both write an OCI layout and push nothing. ko's default base
# (cgr.dev/chainguard/static) cannot be reached here, so ko builds on a
# scratch-like base (an empty layer, platform linux/amd64) served by
# `crane registry serve` on loopback and named by digest; envelope builds on
# scratch plus the files it decides the binary needs (passwd/group, CA
# certificates, time zones). Each tool runs with its defaults otherwise
# (both attach an SPDX SBOM).
#
# Reports, for each tool:
#   1. no change: the same build again (warm caches)
#   2. one-line change: a new constant each run (go recompiles main, relinks)
#   3. cold: Go's build cache and the tool's own cache empty
#   4. the image: compressed size (layers + config), layers, what runs in it
#      (`selftest` prints the user, /tmp, the CA pool and the time zone)
#   5. reproducible: the same source in two directories gives the same digest
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
for t in hyperfine ko crane podman skopeo python3; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
# ko refuses upper-case layout paths; podman refuses them for oci: names.
work=$(mktemp -d /tmp/envelope-bench.XXXXXX | tr 'A-Z' 'a-z'); mkdir -p "$work"
source "$here/registry.sh"
start_crane_registry "$work"
trap 'kill $registry 2>/dev/null || true; rm -rf "$work"' EXIT
ko_scratch_base "$work"

stamp='package main\n\nvar stamp = "%s"\n\nfunc init() {\n\tif len(stamp) == 0 {\n\t\tprintln()\n\t}\n}\n'
for d in src src2; do
  cp -r "$root/examples/server" "$work/$d"
  # shellcheck disable=SC2059
  printf "$stamp" 0 > "$work/$d/stamp.go"
done
cd "$work/src"
export GOCACHE="$work/gocache" ENVELOPE_CACHE_DIR="$work/envcache" KOCACHE="$work/kocache"
# ko reaches the base registry; its module setup is the user's.
unset GOPROXY
export GOFLAGS=
ko_build="ko build --push=false --oci-layout-path $work/ko-layout ./"
env_build="$envelope build -q -o oci:$work/env-layout:bench"
# Warm Go's cache for both.
$ko_build >/dev/null 2>&1
$env_build >/dev/null

change="printf '$stamp' \$RANDOM\$RANDOM > stamp.go"
hyperfine --shell=bash --warmup 2 --runs 10 --export-json "$out/ko-nochange.json" \
  -n "ko build (no change)" "$ko_build" \
  -n "envelope build (no change)" "$env_build"
hyperfine --shell=bash --warmup 1 --runs 10 --export-json "$out/ko-changed.json" --prepare "$change" \
  -n "ko build (one-line change)" "$ko_build" \
  -n "envelope build (one-line change)" "$env_build"
hyperfine --shell=bash --runs 3 --export-json "$out/ko-cold.json" \
  --prepare "rm -rf $GOCACHE $ENVELOPE_CACHE_DIR $KOCACHE" \
  -n "ko build (cold)" "$ko_build" \
  -n "envelope build (cold)" "$env_build"

# The images, from fresh layouts of the same source, in two directories.
# shellcheck disable=SC2059
printf "$stamp" 0 > stamp.go
rm -rf "$work/ko-layout" "$work/env-layout"
digest() { # tool dir -> digest of the image it builds there
  case "$1" in
    ko) (cd "$2" && ko build --push=false --oci-layout-path "$2-ko" ./ 2>/dev/null | sed 's/.*@//') ;;
    envelope) (cd "$2" && "$envelope" build --format json -o "oci:$2-env:bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["digest"])') ;;
  esac
}
ko1=$(digest ko "$work/src"); ko2=$(digest ko "$work/src2")
env1=$(digest envelope "$work/src"); env2=$(digest envelope "$work/src2")

# What runs: each image's selftest under podman.
selftest() { # layout-ref name
  skopeo copy -q "$1" "containers-storage:localhost/$2:bench" >/dev/null
  podman run --rm --network=none "localhost/$2:bench" selftest 2>&1 | tr '\n' ';' || true
  podman rmi -f "localhost/$2:bench" >/dev/null 2>&1 || true
}
ko_ref="oci:$work/src-ko"
ko_run=$(selftest "$ko_ref" ko-server)
env_run=$(selftest "oci:$work/src-env:bench" envelope-server)

python3 - "$out" "$work" "$ko1" "$ko2" "$env1" "$env2" "$ko_run" "$env_run" "$(ko version)" "$(nproc)" <<'PY'
import json, sys
out, work, ko1, ko2, env1, env2, ko_run, env_run, ko_version, cpus = sys.argv[1:]
def results(name):
    return {x["command"]: x for x in json.load(open(f"{out}/{name}.json"))["results"]}
def blob(layout, digest):
    return json.load(open(f"{layout}/blobs/sha256/{digest.split(':')[1]}"))
def image(layout, digest):
    m = blob(layout, digest)
    if "manifests" in m:  # an index: its one platform manifest
        m = blob(layout, m["manifests"][0]["digest"])
    layers = [l["size"] for l in m["layers"]]
    return sum(layers) + m["config"]["size"], len(layers)
ko_size, ko_layers = image(f"{work}/src-ko", ko1)
env_size, env_layers = image(f"{work}/src-env", env1)
lines = [f"ko {ko_version} vs envelope, {cpus} CPUs, examples/server"]
for name, label in [("ko-nochange", "no change"), ("ko-changed", "one-line change"), ("ko-cold", "cold")]:
    r = results(name)
    k = next(v for c, v in r.items() if c.startswith("ko"))
    e = next(v for c, v in r.items() if c.startswith("envelope"))
    lines.append(f"{label}: ko {k['mean']*1000:.0f} ms ± {k['stddev']*1000:.0f}, "
                 f"envelope {e['mean']*1000:.0f} ms ± {e['stddev']*1000:.0f}; ko / envelope {k['mean']/e['mean']:.2f}")
lines.append(f"image: ko {ko_size} B in {ko_layers} layers (on the scratch-like base), envelope {env_size} B in {env_layers} layers")
lines.append(f"reproducible in two directories: ko {'yes' if ko1 == ko2 else 'no'} ({ko1[:19]} / {ko2[:19]}), "
             f"envelope {'yes' if env1 == env2 else 'no'} ({env1[:19]} / {env2[:19]})")
lines.append(f"ko image selftest: {ko_run}")
lines.append(f"envelope image selftest: {env_run}")
print("\n".join(lines))
open(f"{out}/ko-summary.txt", "w").write("\n".join(lines) + "\n")
PY
