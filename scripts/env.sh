# Sourced by the scripts: the machine's Go first on PATH, the peers that
# .ci/install.sh installs after the rest of PATH, podman's test config, and
# a Go setup that never reaches the network (the conformance suite sets its
# own).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -x /usr/local/go/bin/go ] && [[ ":$PATH:" != *":/usr/local/go/bin:"* ]]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
export ENVELOPE_PEERS=${ENVELOPE_PEERS:-${XDG_CACHE_HOME:-$HOME/.cache}/envelope-peers}
if [[ ":$PATH:" != *":$ENVELOPE_PEERS/bin:"* ]]; then
  export PATH="$PATH:$ENVELOPE_PEERS/bin"
fi
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
export GOPROXY=${GOPROXY:-off}
export CONTAINERS_CONF="$root/tests/podman/containers.conf"
export CONTAINERS_STORAGE_CONF="$root/tests/podman/storage.conf"
