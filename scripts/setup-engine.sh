#!/usr/bin/env bash
# Prepares this Debian 12 machine for pymatrix the way users' machines are: build
# dependencies, a Docker engine (dockerd from docker.io, buildx from trixie) whose image
# store holds no base image, a local registry standing in for Docker Hub (the "hub": the
# engine's --registry-mirror) that serves debian:bookworm-slim and debian:trixie-slim made
# with debootstrap, and pristine CPython source tarballs from Debian's source packages.
# Bases are pulled through the mirror like any engine pulls them; nothing in pymatrix knows
# the hub. Idempotent: a second run only checks and takes a few seconds. Needs root.
#
# Usage: scripts/setup-engine.sh [--no-sources] [--no-smoke]
#   --no-sources  skip fetching CPython source tarballs
#   --no-smoke    skip the buildx smoke build
# Environment:
#   PYMATRIX_SOURCES          source tarball cache (default: <repo>/sources)
#   PYMATRIX_DEBIAN_MIRROR    Debian mirror (default: the one in the machine's apt sources)
#   PYMATRIX_DOCKERD_PIDFILE  pid file of the dockerd started here (default: /run/pymatrix-dockerd.pid)
#   PYMATRIX_DOCKERD_LOG      its log (default: /var/log/pymatrix-dockerd.log)
#   PYMATRIX_HUB_DIR          the Docker Hub stand-in's directory (default: /var/lib/pymatrix/hub)
#   PYMATRIX_HUB_PORT         its port on 127.0.0.1 (default: 5555)
#   PYMATRIX_EXTRA_SUITES     more Debian suites the hub serves as debian:<suite>-slim, e.g. "sid"
#                             for sid's python3.14/python3.15 packages (matrices/yardsticks.toml);
#                             none by default: no test needs them
# Stop the engine and the hub with scripts/stop-engine.sh.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SOURCES_DIR=${PYMATRIX_SOURCES:-$REPO/sources}
DOCKERD_PIDFILE=${PYMATRIX_DOCKERD_PIDFILE:-/run/pymatrix-dockerd.pid}
DOCKERD_LOG=${PYMATRIX_DOCKERD_LOG:-/var/log/pymatrix-dockerd.log}
APT_LOG=/var/log/pymatrix-setup-apt.log
APT_SOURCES_FILE=/etc/apt/sources.list.d/pymatrix.sources
APT_PREFS_FILE=/etc/apt/preferences.d/pymatrix-trixie
HUB_DIR=${PYMATRIX_HUB_DIR:-/var/lib/pymatrix/hub}
HUB_PORT=${PYMATRIX_HUB_PORT:-5555}
HUB=127.0.0.1:$HUB_PORT
HUB_MIRROR=http://$HUB
# the bases the hub serves as library/debian:<suite>-slim (bookworm for the quick start,
# trixie for newer toolchains); BASE_IMAGE is the one the smoke build uses
BASE_SUITES=(bookworm trixie)
read -r -a extra_suites <<<"${PYMATRIX_EXTRA_SUITES:-}"
BASE_SUITES+=("${extra_suites[@]}")
BASE_IMAGE=debian:bookworm-slim
DOCKERD_WAIT=60

BUILD_PKGS=(cmake g++ make pkg-config libboost-dev libboost-program-options-dev
            libboost-filesystem-dev libtomlplusplus-dev libarchive-dev libfmt-dev
            doctest-dev nlohmann-json3-dev libssl-dev clang libclang-rt-14-dev)
ENGINE_PKGS=(docker.io debootstrap docker-registry)
TOOL_PKGS=(ca-certificates curl dpkg-dev gpgv jq tar xz-utils python3-yaml hyperfine)
# pymatrix bench: gnuplot renders the report's plots; the tests load the report in headless chromium.
BENCH_PKGS=(gnuplot-nox chromium)

# CPython tarballs: Debian source package, suite, upstream version, orig extension,
# cache file name, expected sha256 (the orig tarball is upstream's tarball unchanged).
CPYTHONS=(
  "python3.13 trixie   3.13.5 tar.xz Python-3.13.5.tar.xz 93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
  "python3.11 bookworm 3.11.2 tar.gz Python-3.11.2.tgz    2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"
)

want_sources=1
want_smoke=1
for arg in "$@"; do
  case $arg in
    --no-sources) want_sources=0 ;;
    --no-smoke) want_smoke=0 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-engine.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

step() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf 'setup-engine.sh: error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root"

tmp_paths=()
temp_policy_rc=0
cleanup() {
  local p
  for p in "${tmp_paths[@]}"; do rm -rf -- "$p"; done
  if [[ $temp_policy_rc -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

SECONDS=0
step_start=0
begin() { step "$*"; step_start=$SECONDS; }
done_step() { info "ok ($((SECONDS - step_start)) s)"; }

# Runs a command with its output appended to $APT_LOG; shows the tail on failure.
logged() {
  printf '\n### %s: %s\n' "$(date -Is)" "$*" >>"$APT_LOG"
  if ! "$@" >>"$APT_LOG" 2>&1; then
    tail -n 25 "$APT_LOG" >&2
    die "failed: $* (full log: $APT_LOG)"
  fi
}

is_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

# The URI of the machine's apt source for bookworm (deb822 or one-line format).
detect_mirror() {
  local uri=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '
      function flush() { if (!found && deb && bw && u != "") { print u; found = 1 } deb = bw = 0; u = "" }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      tolower($1) == "types:"  { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:"   { u = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") bw = 1 }
      END { flush() }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i == "bookworm") { u = $(i - 1); if (u !~ /^\[/) { print u; exit } } }' \
      /etc/apt/sources.list)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

docker_answers() { timeout 15 docker info >/dev/null 2>&1; }

pid_is_dockerd() {
  [[ -n ${1:-} && -r /proc/$1/comm && $(cat "/proc/$1/comm" 2>/dev/null) == dockerd ]]
}

# Starts dockerd with storage driver $1 in the background and waits until it answers.
start_dockerd() {
  local driver=$1 pid i
  printf '\n### %s: starting dockerd --storage-driver=%s\n' "$(date -Is)" "$driver" >>"$DOCKERD_LOG"
  # Without job control the background child is no process group leader, so setsid
  # calls setsid(2) without forking and $! is dockerd's own PID.
  setsid dockerd --storage-driver="$driver" --iptables=false --ip6tables=false --bridge=none \
    --registry-mirror="$HUB_MIRROR" \
    >>"$DOCKERD_LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$DOCKERD_PIDFILE"
  for ((i = 0; i < DOCKERD_WAIT; i++)); do
    if docker_answers; then info "dockerd (PID $pid, $driver) answers"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      info "dockerd with $driver exited; last log lines:"
      tail -n 5 "$DOCKERD_LOG" | sed 's/^/      /'
      rm -f "$DOCKERD_PIDFILE"
      return 1
    fi
    sleep 1
  done
  info "dockerd with $driver did not answer within ${DOCKERD_WAIT} s; stopping it"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  rm -f "$DOCKERD_PIDFILE"
  return 1
}

MIRROR=$(printf '%s' "${PYMATRIX_DEBIAN_MIRROR:-$(detect_mirror)}" | sed 's:/*$::')
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# --- apt sources ---------------------------------------------------------------------
begin "apt sources: deb-src bookworm, trixie (pinned 100) from $MIRROR"
signed_by=""
[[ -f $KEYRING ]] && signed_by="Signed-By: $KEYRING"
want_sources_file="# Written by pymatrix scripts/setup-engine.sh: bookworm sources (for CPython
# tarballs) and trixie (for docker-buildx; pinned low in $APT_PREFS_FILE).
Types: deb-src
URIs: $MIRROR
Suites: bookworm
Components: main
$signed_by

Types: deb deb-src
URIs: $MIRROR
Suites: trixie
Components: main
$signed_by
"
want_prefs_file="# Written by pymatrix scripts/setup-engine.sh: trixie only where asked for (-t trixie).
Package: *
Pin: release n=trixie
Pin-Priority: 100
"
need_update=0
if [[ ! -f $APT_SOURCES_FILE || $(cat "$APT_SOURCES_FILE") != "$(printf '%s' "$want_sources_file")" ]]; then
  printf '%s' "$want_sources_file" >"$APT_SOURCES_FILE"
  info "wrote $APT_SOURCES_FILE"
  need_update=1
fi
if [[ ! -f $APT_PREFS_FILE || $(cat "$APT_PREFS_FILE") != "$(printf '%s' "$want_prefs_file")" ]]; then
  printf '%s' "$want_prefs_file" >"$APT_PREFS_FILE"
  info "wrote $APT_PREFS_FILE"
  need_update=1
fi
# Indexes may be missing even when the files were already there (e.g. lists cleaned).
shopt -s nullglob
idx_trixie=(/var/lib/apt/lists/*_dists_trixie_main_binary-*_Packages*)
idx_src=(/var/lib/apt/lists/*_dists_trixie_main_source_Sources* /var/lib/apt/lists/*_dists_bookworm_main_source_Sources*)
shopt -u nullglob
if [[ ${#idx_trixie[@]} -eq 0 || ${#idx_src[@]} -lt 2 ]]; then need_update=1; fi
done_step

# --- packages ------------------------------------------------------------------------
begin "packages: build deps, docker.io, debootstrap, docker-registry, gnuplot, chromium, docker-buildx (trixie)"
missing=()
for p in "${BUILD_PKGS[@]}" "${ENGINE_PKGS[@]}" "${TOOL_PKGS[@]}" "${BENCH_PKGS[@]}"; do
  is_installed "$p" || missing+=("$p")
done
need_buildx=0
is_installed docker-buildx || need_buildx=1
if [[ ${#missing[@]} -gt 0 || $need_buildx -eq 1 ]]; then
  need_update=1
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for a concurrent apt/dpkg run instead of failing on its lock.
APT=(apt-get -o DPkg::Lock::Timeout=300)
if [[ $need_update -eq 1 ]]; then
  info "apt-get update (log: $APT_LOG)"
  logged "${APT[@]}" update
fi
if [[ ${#missing[@]} -gt 0 || $need_buildx -eq 1 ]]; then
  # Package scripts must not start services (docker, docker-registry): no systemd runs
  # here, and a packaged registry would hold port 5000.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    temp_policy_rc=1
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    info "installing: ${missing[*]}"
    logged "${APT[@]}" install -y --no-install-recommends "${missing[@]}"
  fi
  if [[ $need_buildx -eq 1 ]]; then
    info "installing: docker-buildx from trixie"
    logged "${APT[@]}" install -y --no-install-recommends -t trixie docker-buildx
  fi
  if [[ $temp_policy_rc -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; temp_policy_rc=0; fi
else
  info "all installed"
fi
done_step

# --- the Docker Hub stand-in ----------------------------------------------------------
begin "hub: a local registry standing in for Docker Hub at $HUB ($HUB_DIR)"
PYMATRIX_REGISTRY_PORT=$HUB_PORT logged "$REPO/scripts/registry.sh" start "$HUB_DIR"
done_step

# --- dockerd -------------------------------------------------------------------------
has_hub_mirror() {
  docker info --format '{{range .RegistryConfig.Mirrors}}{{.}} {{end}}' 2>/dev/null | grep -qF "$HUB_MIRROR"
}
begin "docker engine (registry mirror $HUB_MIRROR)"
if docker_answers && ! has_hub_mirror; then
  old_pid=$(cat "$DOCKERD_PIDFILE" 2>/dev/null || true)
  pid_is_dockerd "$old_pid" ||
    die "a docker engine answers without --registry-mirror=$HUB_MIRROR and was not started here; stop it or add the mirror"
  info "dockerd (PID $old_pid) runs without the hub mirror; restarting it"
  "$REPO/scripts/stop-engine.sh" --engine-only >>"$DOCKERD_LOG" 2>&1 || die "could not stop dockerd PID $old_pid"
fi
if docker_answers; then
  info "a docker engine already answers; not starting another"
else
  old_pid=$(cat "$DOCKERD_PIDFILE" 2>/dev/null || true)
  if pid_is_dockerd "$old_pid"; then
    info "dockerd from $DOCKERD_PIDFILE (PID $old_pid) runs but does not answer; waiting"
    for ((i = 0; i < DOCKERD_WAIT; i++)); do docker_answers && break; sleep 1; done
    docker_answers || die "dockerd PID $old_pid does not answer; stop it with scripts/stop-engine.sh (log: $DOCKERD_LOG)"
  else
    rm -f "$DOCKERD_PIDFILE"
    start_dockerd overlay2 || {
      info "falling back to the vfs storage driver (copies every layer in full)"
      start_dockerd vfs
    } || die "dockerd did not start (log: $DOCKERD_LOG)"
  fi
fi
done_step

# --- base images, in the hub only ----------------------------------------------------
# The hub answers a manifest HEAD with 200 when it serves library/debian:<suite>-slim.
hub_has() {
  curl -sf -o /dev/null --max-time 5 -I \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$HUB/v2/library/debian/manifests/$1-slim"
}
# debootstrap SUITE into a temporary rootfs and `docker import` it as REF.
debootstrap_image() {
  local suite=$1 ref=$2 rootfs
  rootfs=$(mktemp -d /var/tmp/pymatrix-rootfs.XXXXXX)
  tmp_paths+=("$rootfs")
  info "debootstrap --variant=minbase $suite from $MIRROR (log: $APT_LOG)"
  logged debootstrap --variant=minbase "$suite" "$rootfs" "$MIRROR"
  printf 'deb %s %s main\n' "$MIRROR" "$suite" >"$rootfs/etc/apt/sources.list"
  if [[ $suite == sid || $suite == unstable ]]; then
    # This machine's mirror serves a sid Release file past its Valid-Until date (apt: "is
    # expired"); Docker Hub's debian:sid-slim meets a fresh one. The stand-in is told so, the
    # product is not.
    printf '// pymatrix test world: this mirror'"'"'s sid Release file is past its Valid-Until\nAcquire::Check-Valid-Until "false";\n' \
      >"$rootfs/etc/apt/apt.conf.d/99pymatrix-sid-valid-until"
  fi
  rm -f "$rootfs/etc/apt/sources.list.d/debian.sources"
  # Host specifics and caches do not belong in the image.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
         "$rootfs"/var/log/bootstrap.log
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  info "docker import as $ref"
  tar --numeric-owner -C "$rootfs" -c . |
    docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["bash"]' - "$ref" >/dev/null
  rm -rf -- "$rootfs"
}
for suite in "${BASE_SUITES[@]}"; do
  begin "base image debian:$suite-slim in the hub"
  if hub_has "$suite"; then
    info "served"
  else
    staging=$HUB/library/debian:$suite-slim
    if docker image inspect "debian:$suite-slim" >/dev/null 2>&1; then
      # an older setup imported it into the store: push that one, so that build caches keyed
      # on its layers stay valid
      info "pushing the store's debian:$suite-slim"
      docker tag "debian:$suite-slim" "$staging"
    else
      debootstrap_image "$suite" "$staging"
    fi
    image_sources=$(docker run --rm --network=none "$staging" \
      sh -c 'cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; true')
    if ! grep -Eq "^deb +https?://[^ ]+ +$suite( |\$).*main" <<<"$image_sources"; then
      docker image rm "$staging" >/dev/null
      die "debian:$suite-slim has no apt source for $suite main: $image_sources"
    fi
    info "apt source in image: $(grep -E '^deb ' <<<"$image_sources" | head -n 1)"
    logged docker push "$staging"
    docker image rm "$staging" >/dev/null
    hub_has "$suite" || die "the hub does not serve library/debian:$suite-slim after the push"
    info "pushed to the hub"
  fi
  # users' stores start without a base: an image imported by an older setup goes (its layers
  # stay in BuildKit's cache), and builds pull the base through the mirror
  if docker image inspect "debian:$suite-slim" >/dev/null 2>&1; then
    docker image rm "debian:$suite-slim" >/dev/null
    info "removed debian:$suite-slim from the local image store"
  fi
  done_step
done

# --- CPython sources -----------------------------------------------------------------
if [[ $want_sources -eq 1 ]]; then
  begin "CPython sources in $SOURCES_DIR"
  mkdir -p "$SOURCES_DIR"
  for entry in "${CPYTHONS[@]}"; do
    read -r pkg suite version ext file sha <<<"$entry"
    dest=$SOURCES_DIR/$file
    if [[ -f $dest ]] && [[ $(sha256sum "$dest" | cut -d' ' -f1) == "$sha" ]]; then
      info "$file: present, sha256 ok"
      continue
    fi
    dl=$(mktemp -d /var/tmp/pymatrix-src.XXXXXX)
    tmp_paths+=("$dl")
    # apt's download sandbox user must be able to write there.
    if id _apt >/dev/null 2>&1; then chown _apt "$dl"; fi
    info "$file: apt-get source --download-only $pkg/$suite"
    (cd "$dl" && logged "${APT[@]}" source --download-only "$pkg/$suite")
    orig=$dl/${pkg}_${version}.orig.$ext
    [[ -f $orig ]] || die "apt-get source $pkg/$suite gave no ${pkg}_${version}.orig.$ext: $(ls "$dl")"
    got=$(sha256sum "$orig" | cut -d' ' -f1)
    [[ $got == "$sha" ]] || die "$file: sha256 $got, expected $sha"
    mv -f -- "$orig" "$dest.part"
    chown "$(stat -c %u:%g "$SOURCES_DIR")" "$dest.part"
    mv -f -- "$dest.part" "$dest"
    rm -rf -- "$dl"
    info "$file: stored, sha256 ok"
  done
  done_step
fi

# --- buildx --------------------------------------------------------------------------
begin "buildx"
buildx_version=$(docker buildx version) || die "docker buildx does not work (plugin: /usr/libexec/docker/cli-plugins/docker-buildx)"
info "$buildx_version"
if [[ $want_smoke -eq 1 ]]; then
  smoke_tag=pymatrix-setup-smoke:latest
  smoke_dir=$(mktemp -d)  # a directory context: a Dockerfile on stdin leaves /tmp/dockerfile* behind
  printf 'FROM %s\nRUN true\n' "$BASE_IMAGE" > "$smoke_dir/Dockerfile"
  docker buildx build --quiet --network=host --load -t "$smoke_tag" "$smoke_dir" >/dev/null ||
    { rm -rf "$smoke_dir"; die "smoke build failed: FROM $BASE_IMAGE, RUN true"; }
  rm -rf "$smoke_dir"
  docker image rm "$smoke_tag" >/dev/null
  info "smoke build (FROM $BASE_IMAGE, RUN true) ok"
fi
done_step

# --- summary -------------------------------------------------------------------------
step "ready (${SECONDS} s)"
server=$(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')
driver=$(docker info --format '{{.Driver}}' 2>/dev/null || echo '?')
pid_note="not started by this script"
if pid_is_dockerd "$(cat "$DOCKERD_PIDFILE" 2>/dev/null || true)"; then
  pid_note="PID $(cat "$DOCKERD_PIDFILE") in $DOCKERD_PIDFILE, log $DOCKERD_LOG; stop: scripts/stop-engine.sh"
fi
info "docker client: $(command -v docker) $(docker version --format '{{.Client.Version}}' 2>/dev/null)"
info "docker engine: $server, storage driver $driver; $pid_note"
info "buildx:        $buildx_version"
info "hub:           $HUB_MIRROR (registry mirror; $HUB_DIR) serves ${BASE_SUITES[*]/%/-slim}"
if [[ $want_sources -eq 1 ]]; then
  for entry in "${CPYTHONS[@]}"; do
    read -r _ _ _ _ file _ <<<"$entry"
    info "source:        $SOURCES_DIR/$file"
  done
fi
info "registry:      /usr/bin/docker-registry (scripts/registry.sh start DIR)"
