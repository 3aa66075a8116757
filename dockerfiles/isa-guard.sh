#!/bin/sh
# pymatrix ISA guard: the entrypoint of every pymatrix image. Before it execs the command, it checks
# that the running CPU has every ISA feature the interpreter was compiled for (the cpuinfo flag
# names in /usr/local/share/pymatrix/isa-features, written when the image was labelled), so an
# unfit CPU gets one clear line and exit 4 instead of SIGILL ("illegal instruction").
#   PYMATRIX_SKIP_ISA_CHECK=1   skip the check
#   PYMATRIX_CPUINFO=FILE       read FILE instead of /proc/cpuinfo (to simulate another CPU)
# Shell builtins only (no grep, no cat): it must add no noticeable start-up time.
if [ -z "${PYMATRIX_SKIP_ISA_CHECK:-}" ] && [ -r /usr/local/share/pymatrix/isa-features ]; then
    read -r pymatrix_need < /usr/local/share/pymatrix/isa-features
    if [ ! -r "${PYMATRIX_CPUINFO:-/proc/cpuinfo}" ]; then
        echo "pymatrix: refusing to start: cannot read ${PYMATRIX_CPUINFO:-/proc/cpuinfo} to check this CPU's ISA features (PYMATRIX_SKIP_ISA_CHECK=1 runs it anyway)" >&2
        exit 4
    fi
    pymatrix_have=""
    while IFS=: read -r pymatrix_key pymatrix_value; do
        case "$pymatrix_key" in
            flags*|Features*) pymatrix_have=" $pymatrix_value "; break ;;
        esac
    done < "${PYMATRIX_CPUINFO:-/proc/cpuinfo}"
    pymatrix_missing=""
    for pymatrix_f in $pymatrix_need; do
        case "$pymatrix_have" in
            *" $pymatrix_f "*) ;;
            *) pymatrix_missing="$pymatrix_missing $pymatrix_f" ;;
        esac
    done
    if [ -n "$pymatrix_missing" ]; then
        echo "pymatrix: refusing to start: this CPU lacks ISA features the interpreter in this image was compiled for:$pymatrix_missing (PYMATRIX_SKIP_ISA_CHECK=1 runs it anyway)" >&2
        exit 4
    fi
    unset pymatrix_need pymatrix_have pymatrix_key pymatrix_value pymatrix_missing pymatrix_f
fi
exec "$@"
