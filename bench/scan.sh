#!/usr/bin/env bash
# envelope scan vs govulncheck -mode=binary, side by side in one run
# (hyperfine), on the example server with the same Go vulnerability
# database read from a local directory.
#
#   bash bench/scan.sh [VULNDB_DIR]
#
# VULNDB_DIR defaults to $ENVELOPE_PEERS/govulndb, the current database
# .ci/install.sh builds from the pinned golang.org/x/vulndb module.
#
# envelope scans the image it built (the stripped binary inside, found by
# reading the layers); govulncheck scans an unstripped build of the same
# source (on a stripped one it reports every vulnerable symbol as called).
# Both warm, then both cold (the OS page cache dropped before each run, so
# the database and the image are read from disk; needs root). The two must
# report the same ID -> called/imported/module map, or the benchmark fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
db=${1:-$ENVELOPE_PEERS/govulndb}
db=$(cd "$db" && pwd)
[ -f "$db/index/modules.json" ] || { echo "no vulnerability database at $db: bash .ci/install.sh" >&2; exit 2; }
for t in hyperfine python3 go govulncheck; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-scan.XXXXXX)
trap 'rm -rf "$work"' EXIT
export ENVELOPE_CACHE_DIR="$work/cache"
(cd "$root/examples/server" && "$envelope" build -q -o "oci:$work/layout:server")
(cd "$root/examples/server" && CGO_ENABLED=0 go build -trimpath -o "$work/server" .)
image="oci:$work/layout:server"
env_scan="$envelope scan $image --db $db --format json --fail-on none"
gvc_scan="govulncheck -mode=binary -db file://$db -format json $work/server"
$env_scan > "$work/envelope.json"
$gvc_scan > "$work/govulncheck.json"

# Dropping the page cache needs root; without it "cold" is only a first run.
prepare="sync"
if sync && (echo 3 > /proc/sys/vm/drop_caches) 2>/dev/null; then
  prepare="sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches'"
  cold_note="page cache dropped before each run"
else
  cold_note="page cache NOT dropped (not root): cold = warm here"
fi
hyperfine -N --warmup 2 --runs 20 --export-json "$out/scan.json" \
  -n "envelope scan (warm)" "$env_scan" \
  -n "govulncheck -mode=binary (warm)" "$gvc_scan"
hyperfine -N --runs 10 --prepare "$prepare" --export-json "$out/scan-cold.json" \
  -n "envelope scan (cold)" "$env_scan" \
  -n "govulncheck -mode=binary (cold)" "$gvc_scan"

python3 - "$out" "$work" "$(nproc)" "$cold_note" "$(govulncheck -version | sed -n 's/^Scanner: //p')" "$(ls "$db/ID" | wc -l)" <<'PY'
import json, sys
out, work, cpus, note, gvc_version, records = sys.argv[1:]
levels = {"module": 0, "imported": 1, "called": 2}
def govulncheck(path):
    dec, text, i, found = json.JSONDecoder(), open(path).read(), 0, {}
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        f = obj.get("finding")
        if not f:
            continue
        t = f["trace"][0]
        level = "called" if t.get("function") else "imported" if t.get("package") else "module"
        if levels[level] >= levels.get(found.get(f["osv"]), -1):
            found[f["osv"]] = level
    return found
def envelope(path):
    found = {}
    for b in json.load(open(path))["binaries"]:
        for f in b["findings"]:
            found[f["id"]] = f["reachability"]
    return found
e, g = envelope(f"{work}/envelope.json"), govulncheck(f"{work}/govulncheck.json")
count = lambda m: ", ".join(f"{sum(1 for v in m.values() if v == l)} {l}" for l in ["called", "imported", "module"])
w = {x["command"]: x for x in json.load(open(f"{out}/scan.json"))["results"]}
c = {x["command"]: x for x in json.load(open(f"{out}/scan-cold.json"))["results"]}
lines = [f"examples/server; database: {records} records from a directory; {gvc_version}; {cpus} CPUs",
         f"envelope: {count(e)}; govulncheck: {count(g)}; same map: {'yes' if e == g else 'NO'}"]
for label, r in [("warm", w), (f"cold ({note})", c)]:
    ev = next(v for k, v in r.items() if k.startswith("envelope"))
    gv = next(v for k, v in r.items() if k.startswith("govulncheck"))
    lines.append(f"{label}: envelope scan {ev['mean']*1000:.1f} ms ± {ev['stddev']*1000:.1f}, "
                 f"govulncheck -mode=binary {gv['mean']*1000:.0f} ms ± {gv['stddev']*1000:.0f}; "
                 f"govulncheck / envelope {gv['mean']/ev['mean']:.1f}x")
print("\n".join(lines))
open(f"{out}/scan-summary.txt", "w").write("\n".join(lines) + "\n")
if e != g:
    for k in sorted(set(e) | set(g)):
        if e.get(k) != g.get(k):
            print(f"  {k}: envelope {e.get(k)}, govulncheck {g.get(k)}", file=sys.stderr)
    sys.exit(1)
PY
