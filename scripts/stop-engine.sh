#!/usr/bin/env bash
# Stops the dockerd that scripts/setup-engine.sh started, by the PID in its pid file,
# and waits for it to exit; then the Docker Hub stand-in (scripts/registry.sh stop) unless
# --engine-only. Touches no other process. Needs root.
#
# Usage: scripts/stop-engine.sh [--engine-only]
# Environment:
#   PYMATRIX_DOCKERD_PIDFILE  pid file (default: /run/pymatrix-dockerd.pid)
#   PYMATRIX_HUB_DIR          the hub's directory (default: /var/lib/pymatrix/hub)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PIDFILE=${PYMATRIX_DOCKERD_PIDFILE:-/run/pymatrix-dockerd.pid}
HUB_DIR=${PYMATRIX_HUB_DIR:-/var/lib/pymatrix/hub}
WAIT=60
engine_only=0
case ${1:-} in
  --engine-only) engine_only=1 ;;
  "") ;;
  *) printf 'stop-engine.sh: unknown argument: %s\n' "$1" >&2; exit 2 ;;
esac
stop_hub() {
  if [[ $engine_only -eq 0 && -d $HUB_DIR ]]; then "$REPO/scripts/registry.sh" stop "$HUB_DIR"; fi
}

step() { printf '==> %s\n' "$*"; }
die() { printf 'stop-engine.sh: error: %s\n' "$*" >&2; exit 1; }

step "stopping dockerd from $PIDFILE"
if [[ ! -f $PIDFILE ]]; then
  echo "    no pid file: nothing started by setup-engine.sh runs"
  stop_hub
  exit 0
fi
pid=$(cat "$PIDFILE")
[[ $pid =~ ^[0-9]+$ ]] || die "$PIDFILE does not hold a PID: '$pid'"
if [[ ! -r /proc/$pid/comm || $(cat "/proc/$pid/comm" 2>/dev/null) != dockerd ]]; then
  echo "    PID $pid is not running dockerd (stale pid file); removing $PIDFILE"
  rm -f "$PIDFILE"
  stop_hub
  exit 0
fi
# dockerd stops its containers (up to its shutdown timeout) and its containerd on TERM.
kill -TERM "$pid"
for ((i = 0; i < WAIT; i++)); do
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$PIDFILE"
    echo "    dockerd (PID $pid) exited after ${i} s"
    stop_hub
    exit 0
  fi
  sleep 1
done
die "dockerd (PID $pid) still runs after ${WAIT} s; see its log (/var/log/pymatrix-dockerd.log)"
