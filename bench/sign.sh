#!/usr/bin/env bash
# Signing, attesting and verifying: envelope vs cosign, side by side in one
# run (hyperfine), on the example server (the image bench/build.sh builds).
#
#   bash bench/sign.sh          # writes bench/out/sign-*.json and prints a summary
#
# Reports:
#   1. what signing and attesting add to a build (no-change rebuild into an
#      oci: layout): `envelope build` vs `envelope build --sign-key K
#      --attest provenance,sbom,vex`, K a cosign-encrypted key (scrypt runs
#      on every use, as in cosign) and an unencrypted PKCS#8 key (as a
#      secrets manager hands one over); target: at most 30 ms more
#   2. signing an image in a local registry: `envelope sign` vs `cosign sign`
#      (offline: a signing config with no transparency log), same key
#   3. verifying, warm: `envelope verify` (signatures, attestations and the
#      provenance check) vs `cosign verify` and `cosign verify-attestation`
#      (--insecure-ignore-tlog), from the signed, attested oci: layout
#      (`--local-image`) and from the registry; target: at most 50 ms from
#      the layout
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$root/scripts/env.sh"
for t in hyperfine cosign docker-registry python3 openssl; do
  command -v "$t" >/dev/null || { echo "$t is needed: bash .ci/install.sh" >&2; exit 2; }
done
cargo build --release --locked --manifest-path "$root/Cargo.toml" -q
envelope="$root/target/release/envelope"
out="$here/out"; mkdir -p "$out"
work=$(mktemp -d /tmp/envelope-bench-sign.XXXXXX)
source "$here/registry.sh"
start_distribution_registry "$work"
trap 'kill $registry 2>/dev/null; rm -rf "$work"' EXIT

export ENVELOPE_PASSWORD=bench COSIGN_PASSWORD=bench HOME="$work/home" TUF_ROOT="$work/tuf"
export GOCACHE="$work/gocache" ENVELOPE_CACHE_DIR="$work/envcache" SOURCE_DATE_EPOCH=1700000000
# The VEX attestation scans with the database .ci/install.sh builds (offline).
export ENVELOPE_VULNDB=${ENVELOPE_VULNDB:-$ENVELOPE_PEERS/govulndb}
[ -f "$ENVELOPE_VULNDB/index/modules.json" ] || { echo "no vulnerability database at $ENVELOPE_VULNDB: bash .ci/install.sh" >&2; exit 2; }
mkdir -p "$HOME"
cd "$work"
"$envelope" keygen -q --output-key-prefix "$work/k" >/dev/null
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$work/p8.key"
cosign signing-config create --no-default-fulcio --no-default-rekor --no-default-oidc \
  --no-default-tsa --out "$work/sc.json" >/dev/null 2>&1
cp -r "$root/examples/server" "$work/src"
cd "$work/src"

attest=(--attest provenance,sbom,vex)
# Warm Go's and envelope's caches, and make the layouts.
"$envelope" build -q -o "oci:$work/plain:bench" >/dev/null
"$envelope" build -q --sign-key "$work/p8.key" -o "oci:$work/signonly:bench" >/dev/null
"$envelope" build -q --sign-key "$work/p8.key" --attest provenance -o "oci:$work/prov:bench" >/dev/null
"$envelope" build -q --sign-key "$work/p8.key" "${attest[@]}" -o "oci:$work/signed8:bench" >/dev/null
"$envelope" build -q --sign-key "$work/k.key" "${attest[@]}" -o "oci:$work/signed:bench" >/dev/null

hyperfine -N --warmup 3 --runs 20 --export-json "$out/sign-build.json" \
  -n "envelope build" "$envelope build -q -o oci:$work/plain:bench" \
  -n "build --sign-key (PKCS#8 key)" "$envelope build -q --sign-key $work/p8.key -o oci:$work/signonly:bench" \
  -n "build --sign-key (PKCS#8 key) --attest provenance" \
     "$envelope build -q --sign-key $work/p8.key --attest provenance -o oci:$work/prov:bench" \
  -n "build --sign-key (PKCS#8 key) --attest provenance,sbom,vex" \
     "$envelope build -q --sign-key $work/p8.key ${attest[*]} -o oci:$work/signed8:bench" \
  -n "build --sign-key (cosign-encrypted key) --attest provenance,sbom,vex" \
     "$envelope build -q --sign-key $work/k.key ${attest[*]} -o oci:$work/signed:bench"

# The same image in the registry, unsigned, for each signer.
"$envelope" copy -q "oci:$work/plain:bench" "$reg/envelope:v1" >/dev/null
"$envelope" copy -q "oci:$work/plain:bench" "$reg/cosign:v1" >/dev/null
digest=$("$envelope" digest "oci:$work/plain:bench")
hyperfine -N --warmup 2 --runs 15 --export-json "$out/sign-registry.json" \
  -n "cosign sign" "cosign sign -y --key $work/k.key --signing-config $work/sc.json --allow-insecure-registry --allow-http-registry $reg/cosign@$digest" \
  -n "envelope sign" "$envelope sign -q --key $work/k.key $reg/envelope@$digest"

# In the registry too (a copy that carries signatures adds nothing here).
"$envelope" copy -q "oci:$work/signed:bench" "$reg/signed:v1" >/dev/null
"$envelope" sign -q --key "$work/k.key" "$reg/signed:v1" >/dev/null
"$envelope" attest -q --key "$work/k.key" --type provenance,sbom,vex "$reg/signed:v1" >/dev/null
hyperfine -N --warmup 3 --runs 20 --export-json "$out/sign-verify.json" \
  -n "cosign verify --local-image" "cosign verify --insecure-ignore-tlog --key $work/k.pub --local-image $work/signed" \
  -n "cosign verify-attestation --local-image (one type)" "cosign verify-attestation --insecure-ignore-tlog --key $work/k.pub --type slsaprovenance1 --local-image $work/signed" \
  -n "envelope verify oci:" "$envelope verify -q --key $work/k.pub oci:$work/signed:bench" \
  -n "cosign verify (registry)" "cosign verify --insecure-ignore-tlog --key $work/k.pub --allow-insecure-registry --allow-http-registry $reg/signed:v1" \
  -n "envelope verify (registry)" "$envelope verify -q --key $work/k.pub $reg/signed:v1"

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def means(name):
    r = json.load(open(f"{out}/{name}.json"))["results"]
    return [(x["command"], x["mean"] * 1000, x["stddev"] * 1000) for x in r]
lines = []
(pn, p, ps), *signed = means("sign-build")
lines.append(f"build (no change): {pn} {p:.0f} ms ± {ps:.0f}")
for sn, s, ss in signed:
    lines.append(f"  {sn}: {s:.0f} ms ± {ss:.0f}, adds {s-p:+.0f} ms")
(cn, c, cs), (en, e, es) = means("sign-registry")
lines.append(f"sign in a registry: cosign {c:.0f} ms ± {cs:.0f}, envelope {e:.0f} ms ± {es:.0f} ({c/e:.1f}x)")
r = means("sign-verify")
(vn, v, vs), (an, a, as_), (en, e, es) = r[0], r[1], r[2]
lines.append(f"from the layout: {vn} {v:.0f} ms ± {vs:.0f}, {an} {a:.0f} ms ± {as_:.0f}; "
             f"{en} (1 signature and 3 attestations, each in both formats, and the provenance check) {e:.0f} ms ± {es:.0f}")
lines.append(f"  cosign's verify + verify-attestation of the 3 types, as envelope verify checks: {v + 3*a:.0f} ms ({(v + 3*a)/e:.1f}x envelope)")
(cn, c, cs), (en, e, es) = r[3], r[4]
lines.append(f"from the registry: {cn} {c:.0f} ms ± {cs:.0f}; {en} {e:.0f} ms ± {es:.0f} ({c/e:.1f}x)")
print("\n".join(lines))
open(f"{out}/sign-summary.txt", "w").write("\n".join(lines) + "\n")
PY
