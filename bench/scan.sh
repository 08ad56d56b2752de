#!/usr/bin/env bash
# envelope scan on the example server image with the Go vulnerability
# database snapshot read from a local directory (4,291 records): cold (the
# OS page cache dropped before each run, so the database and the image are
# read from disk) and warm; trivy's SBOM-only pass on the same image for
# scale (its vulnerability database cannot be downloaded here).
#
#   bash bench/scan.sh [VULNDB_DIR]
#
# VULNDB_DIR defaults to $ENVELOPE_VULNDB_SNAPSHOT, else ../shared/govulndb
# beside the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
db=${1:-${ENVELOPE_VULNDB_SNAPSHOT:-$root/../shared/govulndb}}
[ -f "$db/index/modules.json" ] || { echo "no vulnerability database at $db" >&2; exit 2; }
for t in hyperfine python3 go; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
venv=${PEERS_VENV:-/tmp/envelope-peers}
trivy=${TRIVY:-$(command -v trivy || echo "$venv/bin/trivy")}
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-scan.XXXXXX)
trap 'rm -rf "$work"' EXIT
export ENVELOPE_CACHE_DIR="$work/cache"
(cd "$root/examples/server" && "$envelope" build -q -o "oci:$work/layout:server" -o "docker-archive:$work/server.tar")
image="oci:$work/layout:server"
"$envelope" scan "$image" --db "$db" --fail-on none | tail -n 1

# Dropping the page cache needs root; without it "cold" is only a first run.
prepare="sync"
if sync && (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
  prepare="sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches'"
  cold_note="page cache dropped before each run"
else
  cold_note="page cache NOT dropped (not root): cold = warm here"
fi
args=(-N --warmup 1 --runs 10 --export-json "$out/scan.json")
cmds=(-n "envelope scan (warm)" "$envelope scan $image --db $db --format json --fail-on none")
if [ -x "$trivy" ]; then
  export TRIVY_CACHE_DIR="$work/trivy"
  cmds+=(-n "trivy SBOM only (warm)" "$trivy image --input $work/server.tar --format cyclonedx --offline-scan --quiet -o $work/trivy.json")
fi
hyperfine "${args[@]}" "${cmds[@]}"
hyperfine -N --runs 10 --prepare "$prepare" --export-json "$out/scan-cold.json" \
  -n "envelope scan (cold)" "$envelope scan $image --db $db --format json --fail-on none"

python3 - "$out" "$(nproc)" "$cold_note" <<'PY'
import json, sys
out, cpus, note = sys.argv[1:]
r = {x["command"]: x for x in json.load(open(f"{out}/scan.json"))["results"]}
c = json.load(open(f"{out}/scan-cold.json"))["results"][0]
w = r["envelope scan (warm)"]
lines = [
    f"examples/server image, Go vulnerability database snapshot from a directory; {cpus} CPUs",
    f"envelope scan cold ({note}): {c['mean']*1000:.0f} ms ± {c['stddev']*1000:.0f} (target <= 300 ms)",
    f"envelope scan warm: {w['mean']*1000:.1f} ms ± {w['stddev']*1000:.1f} (target <= 50 ms)",
]
t = r.get("trivy SBOM only (warm)")
if t:
    lines.append(f"trivy SBOM-only pass on the same image (no vulnerability matching): {t['mean']*1000:.0f} ms ± {t['stddev']*1000:.0f}; {t['mean']/w['mean']:.1f}x envelope's full warm scan")
print("\n".join(lines))
open(f"{out}/scan-summary.txt", "w").write("\n".join(lines) + "\n")
PY
