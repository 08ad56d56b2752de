# Sourced by the scripts: where Go and podman's test config are, and a Go
# setup that never reaches the network.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -x /usr/lib/go-1.23/bin/go ]; then
  export PATH="/usr/lib/go-1.23/bin:$PATH"
fi
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
export GOPROXY=${GOPROXY:-off}
export CONTAINERS_CONF="$root/tests/podman/containers.conf"
export CONTAINERS_STORAGE_CONF="$root/tests/podman/storage.conf"
