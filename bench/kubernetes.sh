#!/usr/bin/env bash
# envelope lint on Kubernetes manifests vs Checkov and kube-score, side by
# side in one run (hyperfine): 1,000 generated manifests
# (bench/gen_manifests.py: a workload and its Service, 60 to 120 lines
# each, hardened or not), every tool given the same files and writing JSON
# to /dev/null. All three exit non-zero when they find something, so
# failures are ignored (hyperfine -i). Target: at least 20x Checkov, and
# faster than kube-score.
#
#   bash bench/kubernetes.sh     # writes bench/out/kubernetes-*.json and prints a summary
#
# About two minutes on two CPUs, nearly all of it Checkov's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
for t in hyperfine python3 checkov kube-score; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-kubernetes.XXXXXX)
trap 'rm -rf "$work"' EXIT
n=1000
python3 "$here/gen_manifests.py" "$work/gen" "$n"
# No envelope.toml above the work directory: default rules for envelope.
cd "$work"

hyperfine --shell=bash -i --warmup 1 --runs 10 --export-json "$out/kubernetes-fast.json" \
  -n "envelope lint ($n files)" "$envelope lint --format json $work/gen/*.yaml > /dev/null" \
  -n "kube-score ($n files)" "kube-score score -o json $work/gen/*.yaml > /dev/null"
hyperfine --shell=bash -i --warmup 0 --runs 3 --export-json "$out/kubernetes-checkov.json" \
  -n "checkov ($n files)" "checkov --framework kubernetes --skip-download --quiet -o json -d $work/gen > /dev/null 2>&1"

lines=$(cat "$work"/gen/*.yaml | wc -l)
python3 - "$out" "$n" "$lines" "$(checkov --version)" "kube-score $(go version -m "$(command -v kube-score)" | awk '$1 == "mod" {print $3}')" "$(nproc)" <<'PY'
import json, sys
out, n, lines, cv, kv, cpus = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
def means(name):
    return [(r["mean"], r["stddev"]) for r in json.load(open(f"{out}/{name}.json"))["results"]]
(e, es), (k, ks) = means("kubernetes-fast")
[(c, cs)] = means("kubernetes-checkov")
text = [
    f"{n} files ({lines} lines), {cpus} CPUs; checkov {cv}; {kv}",
    f"envelope lint {e*1000:.0f} ms ± {es*1000:.0f}; kube-score {k*1000:.0f} ms ± {ks*1000:.0f}; "
    f"checkov {c:.1f} s ± {cs:.1f}",
    f"envelope is {k/e:.1f}x faster than kube-score and {c/e:.0f}x faster than checkov",
]
print("\n".join(text))
open(f"{out}/kubernetes-summary.txt", "w").write("\n".join(text) + "\n")
PY
