#!/usr/bin/env bash
# A packaged python: Debian trixie's python3.13 (package = "python3.13" on debian:trixie-slim,
# pulled through the engine's mirror) in a thin pymatrix image. Its labels are the interpreter's
# own: CONFIG_ARGS as Debian configured it, 3.13.5, the packages and versions installed, and the
# baseline ISA that GCC 14 gives Debian's flags (the binary's ELF note agrees). Its launcher
# guards every way in; `pymatrix check` accepts an Ivy Bridge; a missing stdlib module fails the
# build naming the package to add; a build setting beside a packaged python is refused at its line.
source "$(dirname "$0")/lib.sh"
FIX="${PYMATRIX_FIXTURES:-$REPO/tests/fixtures}/cpuinfo"
M="$E2E/matrices/packaged.toml"
IMAGE=pymatrix/cpython:3.13-debian-distro
cd "$TMP"

run "$PYMATRIX" build "$M" --only 3.13-debian-distro
assert_eq 0 "$rc" "Debian's python3.13 builds into a pymatrix image ($err)"
hash=$(label "$IMAGE" io.pymatrix.config-hash)
assert_eq 0 "$(docker image inspect "$IMAGE-${hash:0:12}" >/dev/null 2>&1; echo $?)" "tagged with its config hash too"

# labels: what the interpreter and dpkg say, not what the TOML says
real_args=$(in_image "$IMAGE" python3 -c 'import sysconfig; print(sysconfig.get_config_var("CONFIG_ARGS"))')
assert_eq "$real_args" "$(label "$IMAGE" io.pymatrix.config-args)" "config-args is Debian's CONFIG_ARGS, byte for byte"
assert_contains "$real_args" "'--prefix=/usr'" "Debian's configure arguments"
assert_eq "3.13.5" "$(label "$IMAGE" io.pymatrix.python.version)" "trixie's python3.13 is 3.13.5"
assert_eq "x86-64" "$(label "$IMAGE" io.pymatrix.isa.level)" "Debian builds for the x86-64 baseline"
assert_eq "cmov cx8 fpu fxsr mmx sse sse2" "$(label "$IMAGE" io.pymatrix.isa.features)" "baseline features only"
packages=$(label "$IMAGE" io.pymatrix.package)
assert_contains "$packages" "python3.13=3.13.5-" "the package and its Debian version"
assert_contains "$packages" "python3-gdbm=" "the extra package"
assert_eq "distro" "$(label "$IMAGE" io.pymatrix.profile)" "the profile"
run "$PYMATRIX" inspect "$IMAGE" --format json
assert_eq "$(tr ' ' '\n' <<<"$packages" | python3 -c 'import json, sys; print(json.dumps(sys.stdin.read().split()))')" \
    "$(python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["decoded"]["packages"]))' <<<"$out")" \
    "inspect decodes the packages"
assert_eq "x86-64-baseline" "$(in_image "$IMAGE" cat /usr/local/share/pymatrix/elf-isa-needed.txt)" \
    "the binary's x86 ISA needed note"
assert_contains "$(in_image "$IMAGE" python3 -c 'import sys; print(sys.version)')" "[GCC 14." "compiled by Debian with GCC 14"

# the stdlib is complete, from the interpreter behind the launcher
run in_image "$IMAGE" python3 -c 'import dbm.gnu, ssl, sqlite3, ctypes, sys, sysconfig; print(sys.executable, sysconfig.get_paths()["stdlib"])'
assert_eq "0|/usr/local/bin/python3 /usr/lib/python3.13" "$rc|$out" "python3 runs Debian's interpreter with its stdlib"

# the launcher stands in for /usr/bin/python3.13 and python3: an unfit CPU (no x86-64 flags) is refused
LINE="pymatrix: refusing to start: this CPU lacks ISA features the interpreter in this image was compiled for: cmov cx8 fxsr mmx sse sse2 (PYMATRIX_SKIP_ISA_CHECK=1 runs it anyway)"
printf 'processor\t: 0\nflags\t\t: fpu\n' >nocpu  # an x87 and nothing else
ways=("$IMAGE python3" "--entrypoint python3.13 $IMAGE" "--entrypoint /usr/bin/python3 $IMAGE" "--entrypoint python $IMAGE")
for way in "${ways[@]}"; do
    run docker run --rm --network=none -v "$PWD/nocpu:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo $way -c 'print(1)'
    assert_eq "4|$LINE" "$rc|$err" "$way: refused on a CPU without the baseline"
    run docker run --rm --network=none -v "$FIX/linux-rhel7-ivybridge:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo $way -c 'print(1)'
    assert_eq "0|1" "$rc|$out" "$way: runs on Ivy Bridge"
done
run "$PYMATRIX" check "$IMAGE" --target-cpuinfo "$FIX/linux-rhel7-ivybridge"
assert_eq 0 "$rc" "check accepts an Ivy Bridge for Debian's baseline build ($err)"

# built again: a cache hit
run "$PYMATRIX" build "$M" --only 3.13-debian-distro
assert_eq 0 "$rc" "the second build succeeds"
assert_contains "$out" "cached" "and is cached"

# without python3-gdbm: the stdlib check fails the build, naming the module and Debian's package
run "$PYMATRIX" build "$M" --only 3.13-debian-nogdbm-distro
assert_eq 3 "$rc" "a packaged python missing a stdlib module fails (exit 3)"
assert_contains "$out$err" "stdlib modules missing: dbm.gnu" "names the module"
assert_contains "$out$err" "please install the python3-gdbm package" "and Debian's hint"
assert_eq 1 "$(docker image inspect pymatrix/cpython:3.13-debian-nogdbm-distro >/dev/null 2>&1; echo $?)" "no image tagged"

# a build setting beside a packaged python: refused before anything runs, at its line
sed 's/^include = .*/profile = ["distro", "pgo"]/; s/^profile = \["distro"\]$//' "$M" >pgo.toml
run "$PYMATRIX" plan pgo.toml
assert_eq 2 "$rc" "pgo on a packaged python: exit 2"
assert_eq "pymatrix: pgo.toml:17:7: profiles.pgo.pgo: python '3.13-debian' is the distribution's package python3.13, compiled by the distribution: pgo does not apply to it; pair it with a profile that sets no build settings, or exclude the combination" \
    "$err" "named at file:line:key"
done_testing
