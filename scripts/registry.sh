#!/usr/bin/env bash
# Starts or stops a local container registry (Debian's docker-registry, distribution 2.8)
# that keeps everything in one directory: DIR/config.yml, DIR/data, DIR/registry.pid,
# DIR/registry.log. No authentication; listens on 127.0.0.1 only, which docker treats as
# an insecure-but-allowed registry.
#
# Usage: scripts/registry.sh start DIR | stop DIR | status DIR
# Environment:
#   PYMATRIX_REGISTRY_PORT  port on 127.0.0.1 (default: 5000)
set -euo pipefail

REGISTRY_BIN=/usr/bin/docker-registry
PORT=${PYMATRIX_REGISTRY_PORT:-5000}
WAIT=30

die() { printf 'registry.sh: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '7p' "$0" | sed 's/^# //' >&2; exit 2; }

[[ $# -eq 2 ]] || usage
cmd=$1
[[ $PORT =~ ^[0-9]+$ ]] || die "PYMATRIX_REGISTRY_PORT is not a port: $PORT"
url=http://127.0.0.1:$PORT/v2/

answers() { curl -sf -o /dev/null --max-time 2 "$url"; }

# PID from DIR/registry.pid if that process is the registry; empty otherwise.
running_pid() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] &&
     tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "docker-registry serve"; then
    echo "$pid"
  fi
}

case $cmd in
  start)
    mkdir -p "$2"
    dir=$(cd "$2" && pwd)
    pidfile=$dir/registry.pid
    [[ -x $REGISTRY_BIN ]] || die "$REGISTRY_BIN missing (apt-get install docker-registry, or run scripts/setup-engine.sh)"
    pid=$(running_pid)
    if [[ -n $pid ]]; then
      answers || die "registry PID $pid from $pidfile runs but $url does not answer"
      echo "==> registry already runs (PID $pid) at 127.0.0.1:$PORT"
      exit 0
    fi
    if answers; then die "something else already answers at $url"; fi
    mkdir -p "$dir/data"
    cat >"$dir/config.yml" <<EOF
# Written by pymatrix scripts/registry.sh
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: "$dir/data"
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
EOF
    echo "==> starting registry at 127.0.0.1:$PORT (data: $dir/data)"
    # Not a process group leader, so setsid does not fork and $! is the registry's PID.
    setsid "$REGISTRY_BIN" serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$pidfile"
    for ((i = 0; i < WAIT * 5; i++)); do
      if answers; then
        echo "    registry (PID $pid) answers at $url"
        exit 0
      fi
      if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pidfile"
        tail -n 10 "$dir/registry.log" >&2
        die "registry exited (log: $dir/registry.log)"
      fi
      sleep 0.2
    done
    kill -TERM "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    die "registry did not answer at $url within ${WAIT} s (log: $dir/registry.log)"
    ;;
  stop)
    [[ -d $2 ]] || die "no such directory: $2"
    dir=$(cd "$2" && pwd)
    pidfile=$dir/registry.pid
    pid=$(running_pid)
    if [[ -z $pid ]]; then
      echo "==> no registry from $pidfile runs"
      rm -f "$pidfile"
      exit 0
    fi
    echo "==> stopping registry (PID $pid)"
    kill -TERM "$pid"
    for ((i = 0; i < WAIT * 5; i++)); do
      if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$pidfile"
        echo "    stopped"
        exit 0
      fi
      sleep 0.2
    done
    die "registry (PID $pid) still runs after ${WAIT} s"
    ;;
  status)
    [[ -d $2 ]] || die "no such directory: $2"
    dir=$(cd "$2" && pwd)
    pidfile=$dir/registry.pid
    # The port it was started with, not the one in the environment now.
    cfg_port=$(sed -n 's/^  addr: 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/config.yml" 2>/dev/null || true)
    if [[ -n $cfg_port ]]; then PORT=$cfg_port; url=http://127.0.0.1:$PORT/v2/; fi
    pid=$(running_pid)
    if [[ -n $pid ]] && answers; then
      echo "registry PID $pid answers at $url"
    elif [[ -n $pid ]]; then
      echo "registry PID $pid runs but $url does not answer"; exit 1
    else
      echo "no registry from $pidfile runs"; exit 1
    fi
    ;;
  *) usage ;;
esac
