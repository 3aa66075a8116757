#!/usr/bin/env bash
# Stops the dockerd that scripts/setup-engine.sh started, by the PID in its pid file,
# and waits for it to exit. Touches no other process. Needs root.
#
# Environment:
#   PYMATRIX_DOCKERD_PIDFILE  pid file (default: /run/pymatrix-dockerd.pid)
set -euo pipefail

PIDFILE=${PYMATRIX_DOCKERD_PIDFILE:-/run/pymatrix-dockerd.pid}
WAIT=60

step() { printf '==> %s\n' "$*"; }
die() { printf 'stop-engine.sh: error: %s\n' "$*" >&2; exit 1; }

step "stopping dockerd from $PIDFILE"
if [[ ! -f $PIDFILE ]]; then
  echo "    no pid file: nothing started by setup-engine.sh runs"
  exit 0
fi
pid=$(cat "$PIDFILE")
[[ $pid =~ ^[0-9]+$ ]] || die "$PIDFILE does not hold a PID: '$pid'"
if [[ ! -r /proc/$pid/comm || $(cat "/proc/$pid/comm" 2>/dev/null) != dockerd ]]; then
  echo "    PID $pid is not running dockerd (stale pid file); removing $PIDFILE"
  rm -f "$PIDFILE"
  exit 0
fi
# dockerd stops its containers (up to its shutdown timeout) and its containerd on TERM.
kill -TERM "$pid"
for ((i = 0; i < WAIT; i++)); do
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$PIDFILE"
    echo "    dockerd (PID $pid) exited after ${i} s"
    exit 0
  fi
  sleep 1
done
die "dockerd (PID $pid) still runs after ${WAIT} s; see its log (/var/log/pymatrix-dockerd.log)"
