#!/usr/bin/env bash
# The ISA guard in the interpreter's own path: every way of starting the interpreter of an
# x86-64-v3 image refuses a simulated Ivy Bridge (PYMATRIX_CPUINFO) with exit 4 and one line, and
# runs normally on a simulated Zen: the image's entrypoint, `--entrypoint python3`, python3.13,
# python, pip3's shebang, an app image FROM it with its own ENTRYPOINT, its venvs (symlinked and
# --copies), and multiprocessing's spawn and forkserver children. The v3 image is isa_gate's
# (same matrix and profile: a cached build there); PYMATRIX_GUARD_REPOSITORY tags it elsewhere.
source "$(dirname "$0")/lib.sh"
FIX="${PYMATRIX_FIXTURES:-$REPO/tests/fixtures}/cpuinfo"
REPOSITORY="${PYMATRIX_GUARD_REPOSITORY:-pymatrix/cpython}"
V3="$REPOSITORY:3.13.5-opt-v3"
APP="${REPOSITORY%/*}/guard-app:$$"
cd "$TMP"
trap 'docker image rm "$APP" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

run "$PYMATRIX" build "$E2E/matrices/isa.toml" --only 3.13-opt-v3 --repository "$REPOSITORY"
assert_eq 0 "$rc" "the opt-v3 image builds ($err)"

# an application image with its own ENTRYPOINT and two venvs, built on this host (whose cpuinfo may
# hide a flag of the image: a VM without `abm`), so its RUN skips the check
mkdir app
cat >app/app.py <<'PY'
import multiprocessing, os, sys

def child():
    print("child ran")

if __name__ == "__main__":
    if sys.argv[1:] == ["children"]:
        # the parent was let through; its children are started from sys.executable without the skip
        del os.environ["PYMATRIX_SKIP_ISA_CHECK"]
        for method in ("spawn", "forkserver"):
            p = multiprocessing.get_context(method).Process(target=child)
            try:
                p.start()
                p.join()
                print(method, "child exit", p.exitcode, flush=True)
            except Exception as e:  # the forkserver process itself was refused
                print(method, "child not started:", type(e).__name__, flush=True)
    else:
        print("app ran", sys.executable, sys.prefix)
PY
cat >app/Dockerfile <<DOCKERFILE
FROM $V3
RUN PYMATRIX_SKIP_ISA_CHECK=1 python3 -m venv --without-pip /opt/venv \\
 && PYMATRIX_SKIP_ISA_CHECK=1 python3 -m venv --without-pip --copies /opt/venv-copies
COPY app.py /app/app.py
ENTRYPOINT ["python3", "/app/app.py"]
DOCKERFILE
# the engine here has no bridge network: RUN steps use the one PYMATRIX_NETWORK names
docker build -q --network "${PYMATRIX_NETWORK:-default}" -t "$APP" app >/dev/null
ok "app image FROM $V3 with ENTRYPOINT [\"python3\", \"/app/app.py\"] built"

LINE="pymatrix: refusing to start: this CPU lacks ISA features the interpreter in this image was compiled for: abm avx2 bmi1 bmi2 fma movbe (PYMATRIX_SKIP_ISA_CHECK=1 runs it anyway)"
ivybridge=(-v "$FIX/linux-rhel7-ivybridge:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo)
zen=(-v "$FIX/linux-rhel7-zen:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo)
# each way in: what follows `docker run --rm --network=none <cpu>`, and what it prints on a fit CPU
ways=(
    "the image's entrypoint|$V3 python3 -c print('ran')|ran"
    "--entrypoint python3|--entrypoint python3 $V3 -c print('ran')|ran"
    "--entrypoint python3.13|--entrypoint python3.13 $V3 -c print('ran')|ran"
    "--entrypoint python|--entrypoint python $V3 -c print('ran')|ran"
    "pip3 (a shebang)|--entrypoint pip3 $V3 --version|pip "
    "the app's own ENTRYPOINT|$APP|app ran /usr/local/bin/python3 /usr/local"
    "a venv's python|--entrypoint /opt/venv/bin/python $APP /app/app.py|app ran /opt/venv/bin/python /opt/venv"
    "a --copies venv's python|--entrypoint /opt/venv-copies/bin/python $APP /app/app.py|app ran /opt/venv-copies/bin/python /opt/venv-copies"
)
for way in "${ways[@]}"; do
    IFS='|' read -r what args fit <<<"$way"
    run docker run --rm --network=none "${ivybridge[@]}" $args
    assert_eq "4|$LINE|" "$rc|$err|$out" "$what: refused on Ivy Bridge with exit 4 and one line"
    run docker run --rm --network=none "${zen[@]}" $args
    assert_eq 0 "$rc" "$what: runs on Zen ($err)"
    assert_contains "$out" "$fit" "$what: its normal output on Zen"
done
run docker run --rm --network=none "${ivybridge[@]}" -e PYMATRIX_SKIP_ISA_CHECK=1 "$APP"
assert_eq "0|app ran /usr/local/bin/python3 /usr/local" "$rc|$out" "PYMATRIX_SKIP_ISA_CHECK=1 lets the app run"

# multiprocessing: spawn and forkserver start sys.executable, so each child passes the check too
run docker run --rm --network=none "${ivybridge[@]}" -e PYMATRIX_SKIP_ISA_CHECK=1 "$APP" children
assert_eq "spawn child exit 4" "$(sed -n 1p <<<"$out")" "a spawn child refused on Ivy Bridge (exit 4)"
assert_contains "$(sed -n 2p <<<"$out")" "forkserver child " "forkserver: its server refused, so no child ran"
assert_not_contains "$out" "child ran" "no child ran on Ivy Bridge"
assert_contains "$err" "$LINE" "the child's line"
run docker run --rm --network=none "${zen[@]}" -e PYMATRIX_SKIP_ISA_CHECK=1 "$APP" children
assert_eq $'child ran\nspawn child exit 0\nchild ran\nforkserver child exit 0' "$out" "the children run on Zen"
# the stdlib and sysconfig from the interpreter behind the launcher
run docker run --rm --network=none "${zen[@]}" --entrypoint /opt/venv/bin/python "$APP" -c \
    'import ssl, sqlite3, sysconfig, sys; print(sysconfig.get_paths()["stdlib"], sys.base_prefix)'
assert_eq "/usr/local/lib/python3.13 /usr/local" "$out" "a venv finds the stdlib through the launcher"
done_testing
