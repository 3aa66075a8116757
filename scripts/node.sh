#!/usr/bin/env bash
# Starts, stops or shows a "build node": an extra Docker engine beside the main one (the
# one scripts/setup-engine.sh starts), so that tests can build on a second engine or on a
# newer one. Each node is reached through a docker context of its own name:
# `docker --context NAME ...`, `docker --context NAME buildx build ...` (its builder is the
# context's docker-driver builder; buildx 0.13 refuses `--builder NAME` unless NAME is
# also the current context, e.g. DOCKER_CONTEXT=NAME). Needs root.
#
# Usage: scripts/node.sh start NAME [--engine 20|26] | stop NAME | restart NAME [--kill] | crash NAME | status NAME
#   start   starts the node's dockerd and creates (or updates) the docker context NAME for
#           its socket; a node that already runs is only reported
#   stop    removes the context NAME and stops the dockerd (TERM, then KILL after a wait);
#           the data stays, so image store and build cache survive a restart
#   restart stops the running dockerd and starts it again on the same socket, data and
#           context (clients of the context reach it again once it answers): TERM as a
#           service restart does (it stops its containers and builds first), or with
#           --kill SIGKILL, a crash: nothing is stopped first, and the new dockerd finds
#           what the killed one left (its containerd gets SIGKILL with it, by the parent-
#           death signal dockerd sets; one that outlived it is taken over); for fault tests
#   crash   a build host that dies: SIGKILL to its dockerd and to the containerd under it,
#           nothing cleaned up first, and the context NAME stays, so its clients find
#           nothing answering there; `start NAME` brings it back; for fault tests
#   status  engine version, storage driver, socket and context; exit 1 if it does not run
#   --engine 20  Debian 12's docker.io (/usr/sbin/dockerd with the system's containerd and
#                runc; overlay2 graph driver). Default for a new node.
#   --engine 26  Debian 13's docker.io 26.1 with the containerd image store (snapshotter).
#                Not installed: on first use `apt-get download docker.io/trixie
#                containerd/trixie` (needs the trixie apt source of setup-engine.sh) and
#                `dpkg -x` under PYMATRIX_ENGINE26_DIR; runs its own containerd 1.7 and
#                the system's runc (trixie's runc needs glibc 2.38).
#   A node keeps the engine it was made with; without --engine, start uses that one.
# Node NAME keeps everything in PYMATRIX_NODES_DIR/NAME: docker.sock (the only socket its
# engine listens on), dockerd.pid, dockerd.log, daemon.json, engine, data/ (data-root) and
# run/ (exec-root, with the sockets and state of the containerd its dockerd starts).
# Nothing is shared with the main engine (/var/lib/docker, /run/docker).
# Environment:
#   PYMATRIX_HUB_MIRROR    the engines' --registry-mirror, the Docker Hub stand-in
#                          (default: http://127.0.0.1:5555)
#   PYMATRIX_NODES_DIR     nodes' directories (default: /var/lib/pymatrix/nodes)
#   PYMATRIX_ENGINE26_DIR  where engine 26 is unpacked (default: /opt/pymatrix/engine-26)
#   PYMATRIX_DEB_CACHE     its downloaded .debs (default: /var/cache/pymatrix/debs)
#   PYMATRIX_NODE_WAIT     seconds to wait for a dockerd to answer or to exit (default: 60)
set -euo pipefail

HUB_MIRROR=${PYMATRIX_HUB_MIRROR:-http://127.0.0.1:5555}
NODES_DIR=${PYMATRIX_NODES_DIR:-/var/lib/pymatrix/nodes}
E26=${PYMATRIX_ENGINE26_DIR:-/opt/pymatrix/engine-26}
DEB_CACHE=${PYMATRIX_DEB_CACHE:-/var/cache/pymatrix/debs}
WAIT=${PYMATRIX_NODE_WAIT:-60}
DOCKERD20=/usr/sbin/dockerd
# engine 26: these packages from trixie; runc and docker-init (tini) come from the system
E26_PKGS=(docker.io containerd)
SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# the longest socket path dockerd's containerd makes under the exec-root, and the limit
# of a unix socket path (sun_path holds 108 bytes with the NUL)
LONGEST_SOCK=containerd/containerd-debug.sock
SOCK_MAX=107

die() { printf 'node.sh: error: %s\n' "$*" >&2; exit 1; }
info() { printf '    %s\n' "$*"; }
usage() { sed -n 's/^# Usage: /Usage: /p' "$0" >&2; exit 2; }
show_help() { sed -n '2,/^set -euo pipefail$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0; }

[[ ${1:-} == -h || ${1:-} == --help ]] && show_help
[[ $# -ge 2 ]] || usage
cmd=$1 name=$2
shift 2
engine_arg=""
kill_arg=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --engine) [[ $# -ge 2 ]] || die "--engine needs a value (20 or 26)"; engine_arg=$2; shift 2 ;;
    --engine=*) engine_arg=${1#--engine=}; shift ;;
    --kill) kill_arg=1; shift ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
done
case $cmd in start | stop | restart | crash | status) ;; *) usage ;; esac
[[ -z $engine_arg || $cmd == start ]] || die "--engine goes with start only"
[[ $kill_arg -eq 0 || $cmd == restart ]] || die "--kill goes with restart only"
[[ -z $engine_arg || $engine_arg == 20 || $engine_arg == 26 ]] || die "--engine must be 20 or 26, not '$engine_arg'"
# docker's rule for context names, shorter; "default" is the main engine's context
[[ $name =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,31}$ ]] || die "bad node name '$name' (letters, digits, _ . -; at most 32)"
[[ $name != default ]] || die "'default' is the main engine's context; choose another name"
[[ $WAIT =~ ^[0-9]+$ && $WAIT -gt 0 ]] || die "PYMATRIX_NODE_WAIT is not a number of seconds: $WAIT"
[[ $(id -u) -eq 0 ]] || die "run as root"
command -v docker >/dev/null || die "no docker client (run scripts/setup-engine.sh)"
command -v curl >/dev/null || die "no curl (run scripts/setup-engine.sh)"

dir=$NODES_DIR/$name
sock=$dir/docker.sock
host=unix://$sock
pidfile=$dir/dockerd.pid
log=$dir/dockerd.log
exec_root=$dir/run
data_root=$dir/data

# pid_if FILE COMM WORD: the PID in FILE if that process is named COMM and its command line
# holds WORD; empty otherwise.
pid_if() {
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] &&
     tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$3"; then
    echo "$pid"
  fi
}
# this node's dockerd, and the containerd it started
running_pid() { pid_if "$pidfile" dockerd "--pidfile=$pidfile"; }
containerd_pid() { pid_if "$exec_root/containerd/containerd.pid" containerd "$exec_root/"; }

answers() { curl -sf -o /dev/null --max-time 3 --unix-socket "$sock" http://localhost/_ping; }
dk() { docker -H "$host" "$@"; }

# Waits up to $2 seconds for PID $1 to exit; false if it still runs.
wait_exit() {
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.2
  done
  ! kill -0 "$1" 2>/dev/null
}

# The endpoint of docker context NAME; empty if there is no such context.
context_host() { docker context inspect --format '{{.Endpoints.docker.Host}}' "$name" 2>/dev/null || true; }

# Removes docker context NAME if it points at this node's socket.
remove_context() {
  local h
  h=$(context_host)
  if [[ $h == "$host" ]]; then
    out=$(docker context rm -f "$name" 2>&1) || die "docker context rm $name failed: $out"
    info "removed docker context $name"
  elif [[ -n $h ]]; then
    info "docker context $name points at $h, not at this node; left alone"
  fi
}

# The newest PKG_*_ARCH.deb in $DEB_CACHE; empty if there is none.
cached_deb() {
  local f debs=()
  for f in "$DEB_CACHE/$1_"*"_$2.deb"; do [[ -f $f ]] && debs+=("$f"); done
  [[ ${#debs[@]} -eq 0 ]] || printf '%s\n' "${debs[@]}" | sort -V | tail -n 1
}

# Unpacks engine 26 under $E26 unless it is there.
ensure_engine26() {
  local pkg deb arch tmp lock ver
  e26_ok() { [[ -x $E26/usr/sbin/dockerd && -x $E26/usr/bin/containerd && -f $E26/VERSION ]]; }
  e26_ok && return 0
  mkdir -p "$(dirname "$E26")" "$DEB_CACHE"
  lock=$(dirname "$E26")/.$(basename "$E26").lock
  exec 8>"$lock"
  flock 8
  e26_ok && { exec 8>&-; return 0; }
  echo "==> unpacking engine 26 (docker.io, containerd from trixie) under $E26"
  arch=$(dpkg --print-architecture)
  # apt's download sandbox user must be able to write there.
  if id _apt >/dev/null 2>&1; then chown _apt "$DEB_CACHE"; fi
  tmp=$E26.tmp.$$
  rm -rf -- "$tmp"
  mkdir -p "$tmp"
  for pkg in "${E26_PKGS[@]}"; do
    deb=$(cached_deb "$pkg" "$arch")
    if [[ -z $deb ]]; then
      info "apt-get download $pkg/trixie into $DEB_CACHE"
      if ! (cd "$DEB_CACHE" && apt-get -o DPkg::Lock::Timeout=300 download "$pkg/trixie") >>"$log" 2>&1; then
        tail -n 5 "$log" >&2
        rm -rf -- "$tmp"
        die "apt-get download $pkg/trixie failed; the trixie apt source comes from scripts/setup-engine.sh (then apt-get update) (log: $log)"
      fi
      deb=$(cached_deb "$pkg" "$arch")
      [[ -n $deb ]] || die "apt-get download $pkg/trixie left no ${pkg}_*_$arch.deb in $DEB_CACHE"
    fi
    info "dpkg -x $(basename "$deb")"
    dpkg -x "$deb" "$tmp"
  done
  # Docs and man pages are not needed. docker-init links to tini-static, which is not in
  # these packages: without the dangling link, PATH gives the system's /usr/bin/docker-init.
  rm -rf -- "${tmp:?}/usr/share" "${tmp:?}/etc" "${tmp:?}/lib"
  rm -f -- "$tmp/usr/bin/docker-init"
  ver=$("$tmp/usr/sbin/dockerd" --version 2>&1) || { rm -rf -- "$tmp"; die "unpacked dockerd does not run: $ver"; }
  [[ $ver == "Docker version 26."* ]] || { rm -rf -- "$tmp"; die "trixie's docker.io is not engine 26: $ver"; }
  { echo "$ver"; "$tmp/usr/bin/containerd" --version; } >"$tmp/VERSION" ||
    { rm -rf -- "$tmp"; die "unpacked containerd does not run"; }
  rm -rf -- "$E26"
  mv -- "$tmp" "$E26"
  info "$(head -n 1 "$E26/VERSION"); $(tail -n 1 "$E26/VERSION")"
  exec 8>&-
}

print_status() {
  local pid=$1 cpid ver storage h
  cpid=$(containerd_pid)
  ver=$(dk version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')
  storage=$(dk info --format '{{.Driver}}{{range .DriverStatus}}, {{index . 0}}: {{index . 1}}{{end}}' 2>/dev/null || echo '?')
  info "engine:   $ver, dockerd PID $pid${cpid:+, containerd PID $cpid}"
  if [[ $storage == *io.containerd.snapshotter* ]]; then
    info "storage:  containerd image store (snapshotter $storage)"
  else
    info "storage:  graph driver $storage"
  fi
  info "socket:   $host"
  h=$(context_host)
  if [[ $h == "$host" ]]; then
    info "context:  $name (docker --context $name ..., docker --context $name buildx build ...)"
  elif [[ -n $h ]]; then
    info "context:  $name points at $h, not at this node"
  else
    info "context:  none (scripts/node.sh start $name creates it)"
  fi
  info "mirror:   $(dk info --format '{{join .RegistryConfig.Mirrors " "}}' 2>/dev/null || echo '?')"
  info "data:     $dir (log: $log)"
}

# Checks the engine binary of $engine and sets dockerd, path and config for it.
engine_setup() {
  case $engine in
    20)
      [[ -x $DOCKERD20 ]] || die "$DOCKERD20 missing (run scripts/setup-engine.sh)"
      ver=$("$DOCKERD20" --version)
      [[ $ver == "Docker version 20."* ]] || die "engine 20 is $DOCKERD20, but that is $ver"
      dockerd=$DOCKERD20
      path=$SYS_PATH
      # the engine ID comes from this key (else the main engine's /etc/docker/key.json)
      config="{\"deprecated-key-path\": \"$dir/key.json\"}"
      ;;
    26)
      ensure_engine26
      dockerd=$E26/usr/sbin/dockerd
      # its containerd, containerd-shim-runc-v2 and docker-proxy first; runc and
      # docker-init from the system
      path=$E26/usr/sbin:$E26/usr/bin:$SYS_PATH
      config='{"features": {"containerd-snapshotter": true}}'
      ;;
  esac
}

# Starts this node's dockerd (engine_setup done, the lock held) and waits until it answers.
start_dockerd() {
  local pid ok i
  [[ $HUB_MIRROR =~ ^https?://[^/]+/?$ ]] || die "PYMATRIX_HUB_MIRROR is no http(s)://host:port URL: $HUB_MIRROR"
  echo "$engine" >"$dir/engine"
  printf '%s\n' "$config" >"$dir/daemon.json"
  mkdir -p "$data_root" "$exec_root"
  rm -f -- "$pidfile" "$sock"
  echo "==> starting node $name (engine $engine, mirror $HUB_MIRROR)"
  printf '\n### %s: starting %s (engine %s)\n' "$(date -Is)" "$dockerd" "$engine" >>"$log"
  SECONDS=0
  # Without job control the background child is no process group leader, so setsid
  # calls setsid(2) without forking and $! is dockerd's own PID. No --containerd: the
  # dockerd starts its own containerd (the first in PATH) under the exec-root, or takes
  # over the one a killed dockerd left running there. It must not inherit the lock's
  # descriptor (it would hold the lock while it runs).
  setsid env PATH="$path" "$dockerd" \
    --host="$host" --pidfile="$pidfile" --data-root="$data_root" --exec-root="$exec_root" \
    --config-file="$dir/daemon.json" \
    --bridge=none --iptables=false --ip6tables=false \
    --registry-mirror="$HUB_MIRROR" \
    >>"$log" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  ok=0
  for ((i = 0; i < WAIT * 5; i++)); do
    if answers; then ok=1; break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 10 "$log" >&2
      die "dockerd of node $name exited (log: $log)"
    fi
    sleep 0.2
  done
  if [[ $ok -eq 0 ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_exit "$pid" 30 || kill -KILL "$pid" 2>/dev/null || true
    die "dockerd of node $name did not answer at $host within ${WAIT} s (log: $log)"
  fi
  info "dockerd PID $pid answers after ${SECONDS} s"
}

# Creates or updates docker context NAME for this node's socket.
ensure_context() {
  local desc verb out
  desc="pymatrix build node $name (engine $engine)"
  verb=create
  [[ -z $(context_host) ]] || verb=update
  out=$(docker context "$verb" --description "$desc" --docker "host=$host" "$name" 2>&1) ||
    die "docker context $verb $name failed: $out"
}

# stop_dockerd PID TERM|KILL: TERM (dockerd stops its containers, up to its shutdown timeout,
# and its containerd; KILL after $WAIT s) or KILL at once (a crash: no clean-up at all).
stop_dockerd() {
  local pid=$1 sig=$2
  SECONDS=0
  if [[ $sig == KILL ]]; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 10 || die "dockerd (PID $pid) survives KILL"
    info "dockerd (PID $pid) killed (SIGKILL)"
  else
    kill -TERM "$pid"
    if wait_exit "$pid" "$WAIT"; then
      info "dockerd (PID $pid) exited after ${SECONDS} s"
    else
      info "dockerd (PID $pid) still runs after ${WAIT} s; KILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 10 || die "dockerd (PID $pid) survives KILL"
    fi
  fi
  rm -f -- "$pidfile"
}

# Unmounts what a dockerd that is gone left mounted under this node's directory, deepest
# first: the bind mount of its data-root onto itself (a clean exit undoes it, a KILL does not)
# and the root filesystems of the RUN steps its BuildKit was running (left by a KILL, and by a
# TERM that stops it under a build), which would otherwise stay mounted until a reboot. The
# mounts of other nodes and of the main engine are not touched. Only while no dockerd and no
# containerd of this node runs.
unmount_leftovers() {
  local m n=0
  [[ -z $(running_pid) && -z $(containerd_pid) ]] || return 0
  while read -r m; do
    if umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; then
      n=$((n + 1))
    else
      info "could not unmount $m"
    fi
  done < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  [[ $n -eq 0 ]] || info "unmounted $n mount(s) a stopped dockerd left under $dir"
}

# KILLs what a killed dockerd and containerd of this node leave running, as a host that dies
# takes it with it: the containerd shims (their command line names this node's exec-root)
# and the processes of running containers and RUN steps (their root is under this node's
# directory). Other nodes' and the main engine's processes are not touched.
kill_node_processes() {
  local p pid root n=0
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $pid != "$$" ]] || continue
    root=$(readlink "$p/root" 2>/dev/null || true)
    if [[ $root == "$dir/"* ]] || tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qF -- "$exec_root/"; then
      kill -KILL "$pid" 2>/dev/null && n=$((n + 1))
    fi
  done
  [[ $n -eq 0 ]] || info "killed $n process(es) of its builds and containers"
}

# Its containerd exits with a dockerd that got TERM; one left over (dockerd killed) is stopped.
stop_containerd() {
  local cpid
  cpid=$(containerd_pid)
  if [[ -n $cpid ]]; then
    info "containerd (PID $cpid) still runs; TERM"
    kill -TERM "$cpid" 2>/dev/null || true
    wait_exit "$cpid" 15 || { kill -KILL "$cpid" 2>/dev/null || true; wait_exit "$cpid" 5 || true; }
  fi
}

case $cmd in
  start)
    (( ${#exec_root} + 1 + ${#LONGEST_SOCK} <= SOCK_MAX )) ||
      die "exec-root $exec_root is too long for unix socket paths; use a shorter PYMATRIX_NODES_DIR or name"
    (( ${#sock} <= SOCK_MAX )) || die "socket path $sock is too long"
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    flock 9
    recorded=$(cat "$dir/engine" 2>/dev/null || true)
    engine=${engine_arg:-${recorded:-20}}
    if [[ -n $recorded && $recorded != "$engine" ]]; then
      die "node $name was made with engine $recorded (its data-root is that engine's); to change, stop it and remove $dir"
    fi
    pid=$(running_pid)
    if [[ -n $pid ]]; then
      for ((i = 0; i < WAIT * 5; i++)); do answers && break; sleep 0.2; done
      answers || die "dockerd PID $pid of node $name runs but $host does not answer (log: $log)"
      echo "==> node $name already runs (engine $engine)"
    else
      engine_setup
      if [[ -n $(containerd_pid) ]]; then
        die "containerd PID $(containerd_pid) of node $name still runs without its dockerd; stop it first"
      fi
      unmount_leftovers
      start_dockerd
    fi
    ensure_context
    print_status "$(running_pid)"
    ;;

  restart)
    [[ -d $dir ]] || die "no node $name ($dir does not exist; scripts/node.sh start $name)"
    exec 9>"$dir/.lock"
    flock 9
    engine=$(cat "$dir/engine" 2>/dev/null || true)
    [[ $engine == 20 || $engine == 26 ]] || die "node $name records no engine in $dir/engine"
    pid=$(running_pid)
    [[ -n $pid ]] || die "node $name does not run (scripts/node.sh start $name)"
    engine_setup
    sig=TERM
    [[ $kill_arg -eq 0 ]] || sig=KILL
    echo "==> restarting node $name (SIG$sig to dockerd PID $pid)"
    stop_dockerd "$pid" "$sig"
    # a restart after TERM starts clean; after KILL a containerd that outlived the dockerd
    # is taken over by the new one, as a dockerd restarted after a crash does
    [[ $sig == KILL ]] || stop_containerd
    cpid=$(containerd_pid)
    [[ -z $cpid ]] || info "containerd PID $cpid of the killed dockerd still runs; the new dockerd takes it over"
    unmount_leftovers
    start_dockerd
    ensure_context
    print_status "$(running_pid)"
    ;;

  crash)
    [[ -d $dir ]] || die "no node $name ($dir does not exist; scripts/node.sh start $name)"
    exec 9>"$dir/.lock"
    flock 9
    pid=$(running_pid)
    [[ -n $pid ]] || die "node $name does not run (scripts/node.sh start $name)"
    cpid=$(containerd_pid)
    echo "==> crashing node $name (SIGKILL to dockerd PID $pid${cpid:+ and containerd PID $cpid})"
    [[ -z $cpid ]] || kill -KILL "$cpid" 2>/dev/null || true
    stop_dockerd "$pid" KILL
    [[ -z $cpid ]] || wait_exit "$cpid" 10 || die "containerd (PID $cpid) survives KILL"
    kill_node_processes
    sleep 1
    unmount_leftovers
    info "context $name kept; nothing answers at $host until scripts/node.sh start $name"
    ;;

  stop)
    if [[ ! -d $dir ]]; then
      echo "==> no node $name ($dir does not exist)"
      remove_context
      exit 0
    fi
    exec 9>"$dir/.lock"
    flock 9
    echo "==> stopping node $name"
    remove_context
    pid=$(running_pid)
    if [[ -z $pid ]]; then
      info "its dockerd does not run"
      rm -f -- "$pidfile"
    else
      stop_dockerd "$pid" TERM
    fi
    stop_containerd
    unmount_leftovers
    info "data kept in $dir"
    ;;

  status)
    [[ -d $dir ]] || { echo "no node $name ($dir does not exist)"; exit 1; }
    pid=$(running_pid)
    engine=$(cat "$dir/engine" 2>/dev/null || echo '?')
    if [[ -n $pid ]] && answers; then
      echo "node $name runs (engine $engine)"
      print_status "$pid"
    elif [[ -n $pid ]]; then
      echo "node $name: dockerd PID $pid runs but $host does not answer (log: $log)"
      exit 1
    else
      echo "node $name does not run (engine $engine; data in $dir)"
      h=$(context_host)
      [[ -z $h ]] || info "context $name still exists ($h)"
      exit 1
    fi
    ;;
esac
