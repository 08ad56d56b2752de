# Sourced by the scripts: where Go, podman's test config and hadolint are,
# and a Go setup that never reaches the network.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -x /usr/lib/go-1.23/bin/go ]; then
  export PATH="/usr/lib/go-1.23/bin:$PATH"
fi
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
export GOPROXY=${GOPROXY:-off}
export CONTAINERS_CONF="$root/tests/podman/containers.conf"
export CONTAINERS_STORAGE_CONF="$root/tests/podman/storage.conf"
# hadolint from the venv .ci/install.sh makes; after the rest of PATH, so
# the venv's python3 does not shadow the system one.
peers=${PEERS_VENV:-/tmp/envelope-peers}
if [ -d "$peers/bin" ] && [[ ":$PATH:" != *":$peers/bin:"* ]]; then
  export PATH="$PATH:$peers/bin"
fi
