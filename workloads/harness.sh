#!/bin/sh
# pymatrix bench harness (runs inside the container): runs "$@", then prints the container's
# cgroup counters as one JSON line, {"pymatrix_cgroup": {...}}, and exits with the command's
# status. cgroup v1 (this project's CI: docker 20.10, cgroupfs): memory.max_usage_in_bytes
# and cpuacct.usage (ns); cgroup v2: memory.peak (Linux 5.19+) and cpu.stat usage_usec.
# The counters cover every process of the container since it started (the command, its
# children, this shell). Peak memory is the cgroup's charge: resident memory plus page cache.
"$@"
rc=$?
cg=/sys/fs/cgroup
version=0 mem=null cpu_ns=null
if [ -r $cg/memory/memory.max_usage_in_bytes ] && [ -r $cg/cpuacct/cpuacct.usage ]; then
    version=1
    mem=$(cat $cg/memory/memory.max_usage_in_bytes)
    cpu_ns=$(cat $cg/cpuacct/cpuacct.usage)
elif [ -r $cg/cpu.stat ]; then
    version=2
    [ -r $cg/memory.peak ] && mem=$(cat $cg/memory.peak)
    while read -r key value; do
        [ "$key" = usage_usec ] && cpu_ns=${value}000
    done < $cg/cpu.stat
fi
printf '{"pymatrix_cgroup": {"version": %s, "peak_memory_bytes": %s, "cpu_ns": %s, "exit_code": %s}}\n' \
    "$version" "$mem" "$cpu_ns" "$rc"
exit $rc
