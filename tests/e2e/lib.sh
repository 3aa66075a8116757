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
# The engine under test: the docker context the docker CLI uses (DOCKER_HOST, else DOCKER_CONTEXT,
# else the current one); scripts/test-engine.sh runs the suites on a build node by exporting
# DOCKER_CONTEXT, which pymatrix follows too. ENGINE_STORE is "containerd" for the containerd image
# store (dockerd 26 with containerd-snapshotter), else "graph-driver".
E2E_CONTEXT="$(docker context show 2>/dev/null || echo default)"
[[ -n ${DOCKER_HOST:-} ]] && E2E_CONTEXT=default
if docker info --format '{{range .DriverStatus}}{{index . 1}} {{end}}' 2>/dev/null | grep -q 'io.containerd.snapshotter'; then
    ENGINE_STORE=containerd
else
    ENGINE_STORE=graph-driver
fi
echo "# engine: context $E2E_CONTEXT, dockerd $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'), $ENGINE_STORE image store"
# e2e_port LOW SPAN: a random port in [LOW, LOW+SPAN) for a registry of this test; on a build node
# (any context but the main engine's) the range moves up by PYMATRIX_E2E_PORT_OFFSET (default
# 20000), so that suites on a node and on the main engine can run at once without sharing ports.
if [[ $E2E_CONTEXT == default ]]; then E2E_PORT_OFFSET=${PYMATRIX_E2E_PORT_OFFSET:-0}; else E2E_PORT_OFFSET=${PYMATRIX_E2E_PORT_OFFSET:-20000}; fi
e2e_port() { echo $(($1 + E2E_PORT_OFFSET + RANDOM % $2)); }
# unpacked_size IMAGE: the unpacked size of its layers as the engine counts it, the sum of its
# history (graph driver: the files' bytes, = `docker image inspect` .Size; containerd store: the
# snapshots' usage), which is what pymatrix reports as size_bytes on both stores
unpacked_size() { docker image history --no-trunc --human=false --format '{{.Size}}' "$1" | awk '{ s += $1 } END { printf "%d\n", s }'; }
# manifest_digest URL: the Docker-Content-Digest a registry serves for a manifest URL, asking for
# every manifest kind (a containerd-store engine pushes an OCI index, 20.10 a Docker v2 manifest)
manifest_digest() {
    curl -sfI -H 'Accept: application/vnd.oci.image.index.v1+json' \
        -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
        -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "$1" |
        tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip'
}
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
