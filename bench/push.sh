#!/usr/bin/env bash
# envelope vs skopeo pushing to the same local registry, side by side in one
# run (hyperfine): the fixture server image and a generated 50 MB, 5-layer
# image, both from the same OCI layout.
#
#   bash bench/push.sh          # writes bench/out/push-*.json and prints a summary
#
# Cold pushes go to a new repository each run (every blob is uploaded);
# re-pushes go to a repository that already has the image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
for t in hyperfine skopeo docker-registry python3; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-push.XXXXXX)
source "$here/registry.sh"
start_distribution_registry "$work"
trap 'kill $registry 2>/dev/null; rm -rf "$work"' EXIT

# The fixture image, and a 50 MB image of 5 gzip layers of incompressible data.
(cd "$root/examples/server" && ENVELOPE_CACHE_DIR="$work/cache" "$envelope" build -q -o "oci:$work/layout:server" >/dev/null)
python3 - "$work/layout" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
layout = sys.argv[1]
blobs = os.path.join(layout, "blobs", "sha256")
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, d), "wb").write(data)
    return "sha256:" + d
layers, diff_ids = [], []
for i in range(5):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = os.urandom(10 * 1000 * 1000)
        info = tarfile.TarInfo(f"data/layer{i}.bin"); info.size = len(data); info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    z = gzip.compress(raw, 1, mtime=0)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(z), "size": len(z)})
config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": len(config)},
    "layers": layers}).encode()
md = put(manifest)
index = json.load(open(os.path.join(layout, "index.json")))
index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(manifest),
    "annotations": {"org.opencontainers.image.ref.name": "big"}})
json.dump(index, open(os.path.join(layout, "index.json"), "w"))
PY

echo 0 > "$work/n"
# Cold means nothing known anywhere: skopeo (containers/image) remembers
# where it pushed blobs and mounts them from there, so its blob-info cache is
# cleared before each cold run; every run pushes to a new repository.
next='echo $(( $(cat '"$work"'/n) + 1 )) > '"$work"'/n; rm -f /var/lib/containers/cache/blob-info-cache-v1.* "${XDG_DATA_HOME:-$HOME/.local/share}"/containers/cache/blob-info-cache-v1.*'
for img in server big; do
  hyperfine --shell=bash --warmup 1 --runs 8 --export-json "$out/push-cold-$img.json" --prepare "$next" \
    -n "envelope copy ($img, cold)" "$envelope copy -q oci:$work/layout:$img docker://$reg/cold/e\$(cat $work/n):v1" \
    -n "skopeo copy ($img, cold)" "skopeo copy -q --dest-tls-verify=false oci:$work/layout:$img docker://$reg/cold/s\$(cat $work/n):v1"
  "$envelope" copy -q "oci:$work/layout:$img" "docker://$reg/warm/$img:v1" >/dev/null
  hyperfine --shell=bash --warmup 1 --runs 10 --export-json "$out/push-again-$img.json" \
    -n "envelope copy ($img, unchanged)" "$envelope copy -q oci:$work/layout:$img docker://$reg/warm/$img:v1" \
    -n "skopeo copy ($img, unchanged)" "skopeo copy -q --dest-tls-verify=false oci:$work/layout:$img docker://$reg/warm/$img:v1"
done
"$envelope" copy -v "oci:$work/layout:big" "docker://$reg/warm/big:v1" 2>&1 >/dev/null | grep '^requests:' > "$out/push-again-requests.txt" || true
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
lines = []
for name in ["push-cold-server", "push-cold-big", "push-again-server", "push-again-big"]:
    (en, e, es), (sn, s, ss) = [(r["command"], r["mean"], r["stddev"]) for r in json.load(open(f"{out}/{name}.json"))["results"]]
    lines.append(f"{name}: envelope {e*1000:.0f} ms ± {es*1000:.0f}, skopeo {s*1000:.0f} ms ± {ss*1000:.0f}; envelope/skopeo = {e/s:.2f}")
lines.append("unchanged re-push of the 50 MB image, envelope: " + open(f"{out}/push-again-requests.txt").read().strip())
print("\n".join(lines))
open(f"{out}/push-summary.txt", "w").write("\n".join(lines) + "\n")
PY
