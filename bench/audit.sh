#!/usr/bin/env bash
# envelope audit vs dive on the same generated docker-archive, side by side
# in one run: wall time (hyperfine) and peak RSS (GNU time).
#
#   bash bench/audit.sh [SIZE_MB=1024] [LAYERS=10]
#
# The archive (bench/gen_image.py) holds SIZE_MB of files over LAYERS
# layers, with overwritten and deleted files and a Go binary built from
# examples/server. dive runs in CI mode (`--ci`), which analyses the image
# and prints its efficiency without a UI; envelope runs every audit check
# (which includes the same efficiency analysis) with JSON output, once
# reading only what the checks need and once with --verify (every byte
# hashed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
size=${1:-1024}
layers=${2:-10}
for t in hyperfine python3 go; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
dive=${DIVE:-$(command -v dive || true)}
if ! command -v "$dive" >/dev/null; then
  echo "dive is needed: bash .ci/install.sh (or DIVE=PATH)" >&2
  exit 2
fi
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-audit.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$root/examples/server" && go build -o "$work/server" .)
python3 "$here/gen_image.py" "$work/image.tar" "$size" "$layers" "$work/server"
ls -l "$work/image.tar"
archive="docker-archive:$work/image.tar"

hyperfine -N -i --warmup 1 --runs 5 --export-json "$out/audit.json" \
  -n "envelope audit" "$envelope audit --format json $archive" \
  -n "envelope audit --verify" "$envelope audit --verify --format json $archive" \
  -n "dive --ci" "$dive --source docker-archive $work/image.tar --ci"

rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }
env_rss=$(rss "$envelope" audit --format json "$archive" || true)
dive_rss=$(rss "$dive" --source docker-archive "$work/image.tar" --ci || true)

python3 - "$out" "$size" "$layers" "$env_rss" "$dive_rss" "$("$dive" --version)" "$(nproc)" <<'PY'
import json, sys
out, size, layers, env_rss, dive_rss, dive_version, cpus = sys.argv[1:]
r = {x["command"]: x for x in json.load(open(f"{out}/audit.json"))["results"]}
e, d, v = r["envelope audit"], r["dive --ci"], r["envelope audit --verify"]
lines = [
    f"{size} MB docker-archive, {layers} layers, {cpus} CPUs; {dive_version}",
    f"wall: envelope {e['mean']*1000:.0f} ms ± {e['stddev']*1000:.0f}, dive {d['mean']*1000:.0f} ms ± {d['stddev']*1000:.0f}; envelope is {d['mean']/e['mean']:.1f}x faster",
    f"with --verify (every layer digest checked, every byte read): {v['mean']*1000:.0f} ms ± {v['stddev']*1000:.0f}; {d['mean']/v['mean']:.1f}x dive's speed",
    f"peak RSS: envelope {int(env_rss)/1024:.1f} MB, dive {int(dive_rss)/1024:.1f} MB",
]
print("\n".join(lines))
open(f"{out}/audit-summary.txt", "w").write("\n".join(lines) + "\n")
PY
