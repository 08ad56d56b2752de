#!/usr/bin/env bash
# envelope build vs go build, side by side in one run (hyperfine), on the
# example server (net/http, crypto/x509, time zones; ~5 MB stripped).
#
#   bash bench/build.sh            # writes bench/out/build-*.json and prints a summary
#
# Reports:
#   1. no-change rebuild: `go build` alone (same flags, output up to date)
#      vs `envelope build` (go build + image); target: envelope adds <= 50 ms
#   2. changed source (a new constant each run, so go recompiles main and
#      relinks): target: envelope adds <= 250 ms
#   3. envelope build with an empty envelope cache (Go's cache warm)
#   4. image size: compressed layers vs `gzip -6` of the binary alone;
#      target: base + CA layers add <= 150 KB (tzdata reported separately)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
command -v hyperfine >/dev/null || { echo "hyperfine is needed: bash .ci/install.sh" >&2; exit 2; }
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench.XXXXXX | tr 'A-Z' 'a-z'); mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/server" "$work/src"
cd "$work/src"
export GOCACHE="$work/gocache" ENVELOPE_CACHE_DIR="$work/envcache"
flags=(-trimpath "-ldflags=-s -w")
printf 'package main\n\nvar stamp = "0"\n\nfunc init() {\n\tif len(stamp) == 0 {\n\t\tprintln()\n\t}\n}\n' > stamp.go
# Warm Go's cache (the stdlib compile is the same for both tools).
CGO_ENABLED=0 go build "${flags[@]}" -o "$work/gobin" .
"$envelope" build -q -o "oci:$work/layout:bench" >/dev/null

change='printf "package main\n\nvar stamp = \"%s\"\n\nfunc init() {\n\tif len(stamp) == 0 {\n\t\tprintln()\n\t}\n}\n" $RANDOM$RANDOM > stamp.go'
hyperfine --shell=bash --warmup 3 --runs 20 --export-json "$out/build-nochange.json" \
  -n "go build (no change)" "CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o $work/gobin ." \
  -n "envelope build (no change)" "$envelope build -q -o oci:$work/layout:bench"
hyperfine --shell=bash --warmup 2 --runs 10 --export-json "$out/build-changed.json" --prepare "$change" \
  -n "go build (changed)" "CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o $work/gobin ." \
  -n "envelope build (changed)" "$envelope build -q -o oci:$work/layout:bench"
hyperfine --shell=bash --runs 5 --export-json "$out/build-cold.json" --prepare "rm -rf $ENVELOPE_CACHE_DIR $work/layout" \
  -n "envelope build (empty envelope cache)" "$envelope build -q -o oci:$work/layout:bench"

"$envelope" build --format json -o "oci:$work/layout:bench" > "$out/build-report.json"
gzip_bin=$(gzip -6 -c "$work/gobin" | wc -c)
python3 - "$out" "$gzip_bin" "$(stat -c %s "$work/gobin")" <<'PY'
import json, sys
out, gz, raw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def means(name):
    r = json.load(open(f"{out}/{name}.json"))["results"]
    return [(x["command"], x["mean"], x["stddev"]) for x in r]
lines = []
for name in ["build-nochange", "build-changed"]:
    (gn, g, gs), (en, e, es) = means(name)
    lines.append(f"{name}: go build {g*1000:.0f} ms ± {gs*1000:.0f}, envelope build {e*1000:.0f} ms ± {es*1000:.0f}; "
                 f"envelope adds {(e-g)*1000:+.0f} ms (ratio {e/g:.2f}x)")
(cn, c, cs), = means("build-cold")
lines.append(f"envelope build, empty envelope cache: {c*1000:.0f} ms ± {cs*1000:.0f}")
rep = json.load(open(f"{out}/build-report.json"))["images"][0]["platforms"][0]
sizes = {l["name"]: l["size"] for l in rep["layers"]}
no_tz = sum(v for k, v in sizes.items() if k != "tzdata")
lines.append(f"binary {raw} B, gzip -6 of it {gz} B")
lines.append("layers (compressed): " + ", ".join(f"{k} {v} B" for k, v in sizes.items()))
lines.append(f"image without tzdata {no_tz} B = gzip(binary) {no_tz-gz:+d} B; tzdata layer {sizes.get('tzdata', 0)} B")
print("\n".join(lines))
open(f"{out}/build-summary.txt", "w").write("\n".join(lines) + "\n")
PY
