#!/usr/bin/env bash
# The seed investigation in one command: bench/matrix.sh seed (matrices/seed.toml, results in
# bench/seed/ or $SEED_OUT). Usage and options: bench/matrix.sh --help.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_OUT=${SEED_OUT:-$REPO/bench/seed} exec "$REPO/bench/matrix.sh" seed "$@"
