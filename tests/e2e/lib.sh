# tests/e2e/lib.sh: assertions for the end-to-end tests (sourced). Each test script runs the real
# pymatrix binary ($PYMATRIX) against the real engine and exits non-zero on the first failure.
set -euo pipefail
: "${PYMATRIX:?set PYMATRIX to the pymatrix binary}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E="$REPO/tests/e2e"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
pass=0
ok()   { pass=$((pass + 1)); echo "ok - $*"; }
fail() { echo "FAIL - $*" >&2; exit 1; }
assert_eq() {  # expected actual message
    [[ "$1" == "$2" ]] || fail "$3: expected [$1], got [$2]"
    ok "$3"
}
assert_contains() {  # haystack needle message
    [[ "$1" == *"$2"* ]] || fail "$3: [$2] not found in: $1"
    ok "$3"
}
assert_not_contains() {
    [[ "$1" != *"$2"* ]] || fail "$3: [$2] unexpectedly found in: $1"
    ok "$3"
}
# run CMD...: sets $rc, $out (stdout), $err (stderr)
run() {
    set +e
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    set -e
    out="$(cat "$TMP/out")"
    err="$(cat "$TMP/err")"
}
label() { docker image inspect --format "{{index .Config.Labels \"$2\"}}" "$1"; }
# the interpreter, not the deployment gate (test_isa_gate tests the guard): this host built the
# image and ran it in the build, while its cpuinfo may hide a flag the image records (an AMD EPYC
# family 26 VM lists no `abm` although LZCNT executes), and the guard would then refuse it
in_image() { local image="$1"; shift; docker run --rm --network=none -e PYMATRIX_SKIP_ISA_CHECK=1 "$image" "$@"; }
# plain_image: builds an image without pymatrix labels FROM debian:bookworm-slim (the store holds
# no base: BuildKit pulls it through the engine's mirror, as on a user's machine); prints its tag.
# The caller removes it (docker image rm).
plain_image() {
    local tag="pymatrix-e2e/plain:$$" dir="$TMP/plain-image"
    mkdir -p "$dir"
    printf 'FROM debian:bookworm-slim\n' >"$dir/Dockerfile"
    tar -C "$dir" -c Dockerfile | docker buildx build --quiet --load --tag "$tag" - >/dev/null
    echo "$tag"
}
done_testing() { echo "$pass assertions passed"; }
