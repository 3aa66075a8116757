#!/usr/bin/env bash
# The end-to-end suites against another Docker engine: a build node of scripts/node.sh, reached
# through its docker context. Exports DOCKER_CONTEXT=<node> so that every `docker` of the suites
# and every docker and buildx call of pymatrix (and its engine socket) talk to that node, then
# runs the suites that must pass on today's engines too: quickstart, isa_gate, cancel, bench and
# registry (in that order). Extra arguments go to ctest.
#
# Usage: scripts/test-engine.sh [20|26] [ctest arguments...]
#   26 (default)  dockerd 26.1 with the containerd image store, node n26
#   20            dockerd 20.10 with overlay2, node n20 (a second engine like the main one)
#
# The node keeps its image store and build cache in /var/lib/pymatrix/nodes/<node>: the first run
# on a new node builds the quick start's CPython images again (about 30 minutes on 2 busy cores);
# later runs reuse them. A node this script started is stopped at the end (its data stays); one
# that already ran is left running. The suites pick ports of their own on a node
# (tests/e2e/lib.sh, e2e_port), so this can run while scripts/test.sh runs on the main engine.
# Environment:
#   PYMATRIX_E2E_NODE      the node's name (default: n<engine>)
#   PYMATRIX_E2E_SUITES    ctest -R regex (default: the five suites above)
#   PYMATRIX_BUILD_DIR     pymatrix's build directory (default: build/)
#   PYMATRIX_NETWORK       build network (default: host; these engines have no bridge)
# Exit code: ctest's (0 when every suite passed); 2 on a usage error.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo pipefail$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
engine=26
if [[ $# -gt 0 && $1 != -* ]]; then engine=$1; shift; fi
[[ $engine == 20 || $engine == 26 ]] || { echo "test-engine.sh: engine must be 20 or 26, not '$engine'" >&2; exit 2; }
node=${PYMATRIX_E2E_NODE:-n$engine}
suites=${PYMATRIX_E2E_SUITES:-'^e2e_(quickstart|isa_gate|cancel|bench|registry)$'}
export PYMATRIX_NETWORK=${PYMATRIX_NETWORK:-host}
BUILD=${PYMATRIX_BUILD_DIR:-$REPO/build}

# the main engine's set-up also provides the Docker Hub stand-in the node mirrors, and the sources
"$REPO/scripts/setup-engine.sh" --no-smoke
started=0
"$REPO/scripts/node.sh" status "$node" >/dev/null 2>&1 || started=1
"$REPO/scripts/node.sh" start "$node" --engine "$engine"
if [[ $started -eq 1 ]]; then
  trap '"$REPO/scripts/node.sh" stop "$node" >/dev/null || true' EXIT
fi
"$REPO/scripts/build-pymatrix.sh"

export DOCKER_CONTEXT=$node
# quickstart compares the sizes pymatrix reports here with the main engine's, for the same builds
export PYMATRIX_E2E_COMPARE_CONTEXT=${PYMATRIX_E2E_COMPARE_CONTEXT:-default}
echo "==> end-to-end suites on node $node: $(docker version --format 'dockerd {{.Server.Version}} (API {{.Server.APIVersion}})'), $(docker info --format '{{.Driver}}{{range .DriverStatus}} {{index . 1}}{{end}}')"
cd "$BUILD"
set +e
ctest --output-on-failure -L e2e -R "$suites" "$@"
rc=$?
set -e
exit $rc
