"""pymatrix's PGO training run for a profile's pgo_workload (docs/profiles.md).

CPython's Makefile runs `./python $(PROFILE_TASK) || true` with the instrumented interpreter, so a
failing training run does not stop make. pymatrix sets PROFILE_TASK to
`/pymatrix-pgo/pgo_train.py STAMP SCRIPT ARGS...`: this runs SCRIPT ARGS with the same interpreter
(sys.executable, with the Makefile's environment) in a child process, prints one line with its
exit status and duration, and writes STAMP only when it exited 0. The Dockerfile's next step fails
the build when STAMP is missing. /pymatrix-pgo is the workload, bind-mounted read-only.
"""
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        print("usage: pgo_train.py STAMP SCRIPT [ARGS...]", file=sys.stderr)
        return 2
    stamp, script, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    start = time.monotonic()
    status = subprocess.call([sys.executable, script, *args])
    print(f"pymatrix: PGO training workload {script} exited {status} after {time.monotonic() - start:.1f} s",
          flush=True)
    if status == 0:
        with open(stamp, "w") as f:
            f.write(f"{script} {' '.join(args)}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
