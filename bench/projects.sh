#!/usr/bin/env bash
# envelope build ./cmd/... vs ko build (the same ten packages) on a generated module of 10
# commands sharing packages, both pushing to the same local registry, side
# by side in one run (hyperfine).
#
#   bash bench/projects.sh      # writes bench/out/projects-*.json and prints a summary
#
# The module: cmd/svc0 … cmd/svc9, each a small HTTP service, all importing
# internal/shared (net/http, encoding/json, a stamp constant) and
# internal/version. ko's default base cannot be reached here, so, as in
# bench/ko.sh, ko builds on a scratch-like base (one empty layer) in the
# same registry, named by digest; envelope builds on its own scratch base.
# ko runs with -B (REPO/svc0, as envelope names them); both attach an SPDX
# SBOM, their default.
#
# Cases, each tool in turn:
#   1. cold: the tool's own cache empty (Go's cache warm), pushing to a new
#      repository each run, so every blob is uploaded
#   2. no change: the same build and push again
#   3. one shared package changed: a new constant in internal/shared each
#      run (go recompiles it and relinks all 10), pushed
# and `go build -o DIR/ ./cmd/...` with no change, the floor of the
# no-change case.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
for t in hyperfine ko crane python3 curl; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q -p envelope
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-projects.XXXXXX | tr 'A-Z' 'a-z'); mkdir -p "$work"
source "$here/registry.sh"
start_crane_registry "$work"
trap 'kill $registry 2>/dev/null || true; rm -rf "$work"' EXIT
ko_scratch_base "$work"

# The module.
src="$work/src"
mkdir -p "$src/internal/shared" "$src/internal/version"
printf 'module example.com/fleet\n\ngo 1.21\n' > "$src/go.mod"
cat > "$src/internal/version/version.go" <<'GO'
package version

// Version is set with -ldflags -X.
var Version = "dev"
GO
cat > "$src/internal/shared/shared.go" <<'GO'
package shared

import (
	"encoding/json"
	"net/http"
	"time"

	"example.com/fleet/internal/version"
)

// Handler answers with the service's name, version and the time.
func Handler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"service": name,
			"version": version.Version,
			"stamp":   Stamp,
			"time":    time.Now().UTC().Format(time.RFC3339),
		})
	})
}
GO
stamp='package shared\n\n// Stamp changes in the "one shared package changed" case.\nconst Stamp = "%s"\n'
# shellcheck disable=SC2059
printf "$stamp" 0 > "$src/internal/shared/stamp.go"
for i in $(seq 0 9); do
  mkdir -p "$src/cmd/svc$i"
  cat > "$src/cmd/svc$i/main.go" <<GO
package main

import (
	"log"
	"net/http"

	"example.com/fleet/internal/shared"
)

func main() {
	log.Fatal(http.ListenAndServe(":808$i", shared.Handler("svc$i")))
}
GO
done

cd "$src"
export GOCACHE="$work/gocache" ENVELOPE_CACHE_DIR="$work/envcache" KOCACHE="$work/kocache"
unset GOPROXY ENVELOPE_REPO
export GOFLAGS=
echo run0 > "$work/run-id"
# Each command reads its repository from run-id, which the cold case
# changes before every run (a new repository: every blob uploaded).
# ko takes no `...` pattern ("found 10 local packages, expected 1"): it
# gets the ten packages by name.
ko_build="KO_DOCKER_REPO=$reg/ko-\$(cat $work/run-id) ko build -B $(printf './cmd/svc%s ' $(seq 0 9))>/dev/null"
env_build="ENVELOPE_REPO=$reg/env-\$(cat $work/run-id) $envelope build -q ./cmd/... >/dev/null"
go_build="go build -trimpath -ldflags='-s -w' -o $work/gobin/ ./cmd/..."
# Warm Go's cache for all three.
mkdir -p "$work/gobin"
bash -c "$ko_build" 2>"$work/ko-warm.log" || { cat "$work/ko-warm.log" >&2; exit 1; }
bash -c "$env_build"
CGO_ENABLED=0 bash -c "$go_build"

new_repo="echo run\$RANDOM\$RANDOM > $work/run-id"
hyperfine --shell=bash --runs 3 --export-json "$out/projects-cold.json" \
  --prepare "rm -rf $ENVELOPE_CACHE_DIR $KOCACHE; $new_repo" \
  -n "ko build (cold)" "$ko_build" \
  -n "envelope build (cold)" "$env_build"
echo run0 > "$work/run-id"
hyperfine --shell=bash --warmup 1 --runs 5 --export-json "$out/projects-nochange.json" \
  -n "ko build (no change)" "$ko_build" \
  -n "envelope build (no change)" "$env_build" \
  -n "go build (no change)" "CGO_ENABLED=0 $go_build"
change="printf '$stamp' \$RANDOM\$RANDOM > internal/shared/stamp.go"
hyperfine --shell=bash --runs 3 --export-json "$out/projects-changed.json" --prepare "$change" \
  -n "ko build (shared package changed)" "$ko_build" \
  -n "envelope build (shared package changed)" "$env_build"

python3 - "$out" "$(ko version)" "$(nproc)" <<'PY'
import json, sys
out, ko_version, cpus = sys.argv[1:]
def results(name):
    return {x["command"].split(" (")[0]: x for x in json.load(open(f"{out}/{name}.json"))["results"]}
lines = [f"ko {ko_version} vs envelope, {cpus} CPUs, 10 commands sharing packages, pushed to one local registry"]
for name, label in [("projects-cold", "cold"), ("projects-nochange", "no change"),
                    ("projects-changed", "one shared package changed")]:
    r = results(name)
    k, e = r["ko build"], r["envelope build"]
    line = (f"{label}: ko {k['mean']*1000:.0f} ms ± {k['stddev']*1000:.0f}, "
            f"envelope {e['mean']*1000:.0f} ms ± {e['stddev']*1000:.0f}; ko / envelope {k['mean']/e['mean']:.2f}")
    if "go build" in r:
        g = r["go build"]
        line += f"; go build alone {g['mean']*1000:.0f} ms, envelope adds {(e['mean']-g['mean'])*1000:.0f} ms"
    lines.append(line)
print("\n".join(lines))
open(f"{out}/projects-summary.txt", "w").write("\n".join(lines) + "\n")
PY
