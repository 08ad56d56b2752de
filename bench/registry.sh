# Sourced by benchmarks that push to a local registry (bench/ko.sh,
# bench/projects.sh, bench/push.sh, bench/sign.sh): `crane registry serve`
# or the distribution registry on a free loopback port, and
# the scratch-like base ko builds on here (its default base cannot be
# reached): one empty layer, platform linux/amd64, named by digest.

# start_crane_registry WORK: the registry's log goes to WORK/registry.log;
# sets $reg (host:port) and $registry (its pid, for the caller's trap).
start_crane_registry() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  crane registry serve --address "127.0.0.1:$port" >"$1/registry.log" 2>&1 &
  registry=$!
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  reg="127.0.0.1:$port"
}

# start_distribution_registry WORK: the distribution registry
# (docker-registry) storing in WORK/registry; sets $reg and $registry as
# above.
start_distribution_registry() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$1/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1/registry
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$1/registry.yml" >/dev/null 2>&1 &
  registry=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  reg="127.0.0.1:$port"
}

# ko_scratch_base WORK: pushes the base to $reg/base and exports
# KO_DEFAULTBASEIMAGE.
ko_scratch_base() {
  tar -cf "$1/empty.tar" -T /dev/null
  crane append --oci-empty-base -f "$1/empty.tar" -t "$reg/base:v1" >/dev/null
  crane mutate --set-platform linux/amd64 "$reg/base:v1" -t "$reg/base:v1" >/dev/null
  KO_DEFAULTBASEIMAGE="$reg/base@$(crane digest "$reg/base:v1")"
  export KO_DEFAULTBASEIMAGE
}
