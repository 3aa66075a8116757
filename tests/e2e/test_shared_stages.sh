#!/usr/bin/env bash
# Shared stages: three profiles on one base image and one CPython tarball share the build-deps
# (package install) and source stages, which pymatrix builds once before the builds. The base
# image is made unique to this run (an ENV on top of debian:bookworm-slim), so BuildKit has no
# cache of the package install and must really run it: exactly once, in the shared stage; every
# build then shows the step CACHED. The three profiles stop at configure (a missing
# --with-build-python binary: configure's first checks) to keep the test to about a minute.
# Also: --jobs 2, --fail-fast, and bad --jobs/--progress values.
source "$(dirname "$0")/lib.sh"
cd "$TMP"
nonce="$(date +%s)$$"
base="pymatrix-e2e/shared-base:$nonce"
trap 'docker image rm "$base" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
printf 'FROM debian:bookworm-slim\nENV PYMATRIX_E2E_NONCE=%s\n' "$nonce" | docker buildx build --load --tag "$base" - >/dev/null 2>&1
[[ -n "$(docker images -q "$base")" ]] || fail "could not create the base image $base"

cat >"$TMP/shared.toml" <<TOML
[defaults]
repository = "pymatrix-e2e/shared"
base_image = "$base"
[pythons."3.13"]
version = "3.13.5"
source = "$REPO/sources/Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.a]
configure = ["--with-build-python=/nonexistent/python-a"]
[profiles.b]
configure = ["--with-build-python=/nonexistent/python-b"]
[profiles.c]
configure = ["--with-build-python=/nonexistent/python-c"]
[matrix]
python = ["3.13"]
profile = ["a", "b", "c"]
TOML

run "$PYMATRIX" build "$TMP/shared.toml" --jobs 2 --progress plain
echo "$out" | tail -8
assert_eq 3 "$rc" "three failing builds exit 3"
assert_contains "$out" "==> shared stage 1 build-deps+source ($base, Python-3.13.5.tar.xz) for 3 builds: 3.13-a 3.13-b 3.13-c" \
    "the shared stage is announced with its builds"
[[ "$out" =~ "shared stage 1 build-deps+source ($base, Python-3.13.5.tar.xz): built in "[0-9.ms]+", used by 3 builds; apt step CACHED in 3 of 3" ]] \
    || fail "summary line of the shared stage: $out"
ok "summary: shared stage built once, used by 3 builds, apt step CACHED in all 3"
logs="$TMP/.pymatrix/logs"
apt_step='\[build-deps 2/2\] RUN apt-get update'
# the package install really ran in the shared stage: its step has output and no CACHED line
n="$(grep -E "^#[0-9]+ $apt_step" "$logs/shared-1.log" | head -1 | cut -d' ' -f1)"
[[ -n "$n" ]] || fail "no apt step in shared-1.log"
assert_eq "0" "$(grep -c "^$n CACHED" "$logs/shared-1.log" || true)" "shared stage: the apt step was not cached"
grep -qE "^$n [0-9.]+ Setting up build-essential" "$logs/shared-1.log" || fail "apt did not install in the shared stage"
ok "shared stage: apt-get installed build-essential"
installs=0
for f in "$logs"/*.log; do grep -qE "^#[0-9]+ [0-9.]+ Setting up build-essential" "$f" && installs=$((installs + 1)); done
assert_eq 1 "$installs" "the package install ran once for the matrix (logs: $(ls "$logs" | tr '\n' ' '))"
for b in a b c; do
    f="$logs/3.13-$b.log"
    n="$(grep -E "^#[0-9]+ $apt_step" "$f" | head -1 | cut -d' ' -f1)"
    assert_eq "1" "$(grep -c "^$n CACHED" "$f")" "3.13-$b: the apt step was CACHED"
    assert_contains "$out" "[3.13-$b] build-deps 2/2: CACHED RUN apt-get update" "3.13-$b: plain output shows the cached apt step"
    assert_contains "$out" "3.13-$b  failed" "3.13-$b: failed at configure"
done
assert_contains "$out" "configure: error: invalid or missing build python binary" "configure's error is shown"
assert_contains "$out" "make -j1 per build" "--jobs 2 on 2 cores: make -j1 each"

# --fail-fast: the first failure stops the run; the shared stage is now cached
run "$PYMATRIX" build "$TMP/shared.toml" --fail-fast --progress plain
assert_eq 3 "$rc" "--fail-fast exits 3"
[[ "$out" =~ "shared stage 1 build-deps+source ($base, Python-3.13.5.tar.xz): cached, used by 3 builds" ]] \
    || fail "second run: shared stage cached: $out"
ok "second run: the shared stage is cached"
assert_contains "$out" "3.13-a  failed" "--fail-fast: the first build failed"
assert_contains "$out" "3.13-b  skipped" "--fail-fast: the second never started"
assert_contains "$out" "3.13-c  skipped" "--fail-fast: the third never started"
assert_contains "$err" "--fail-fast: stopped after the first failure: stopped while running: none; not started: 3.13-b 3.13-c" \
    "--fail-fast names what it did not start"

run "$PYMATRIX" build "$TMP/shared.toml" --jobs 0
assert_eq 2 "$rc" "--jobs 0 exits 2"
assert_contains "$err" "--jobs: must be between 1 and 1024" "--jobs 0 is named"
run "$PYMATRIX" build "$TMP/shared.toml" --jobs=-1
assert_eq 2 "$rc" "--jobs=-1 exits 2 (it must not wrap to a huge unsigned)"
assert_contains "$err" "--jobs: must be between 1 and 1024" "--jobs=-1 is named"
run "$PYMATRIX" build "$TMP/shared.toml" --progress fancy
assert_eq 2 "$rc" "--progress fancy exits 2"
assert_contains "$err" "--progress: 'fancy' is not one of auto, tty, plain, quiet" "--progress value is named"
done_testing
