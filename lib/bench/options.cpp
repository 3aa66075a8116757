// Bench options: validation, the CPU set, and the docker run arguments of one run.
#include "pymatrix/bench.hpp"
#include "pymatrix/docker_driver.hpp"

#include <fmt/format.h>

#include <sched.h>

#include <cmath>
#include <cstdio>
#include <set>

namespace pymatrix::bench {

const std::vector<std::string>& bundled_workloads() {
    static const std::vector<std::string> names = {"worker-pool", "kernels"};
    return names;
}

namespace {

std::set<int> cpuset_cpus(const std::string& cpuset) {
    // docker's --cpuset-cpus grammar: comma-separated CPU numbers or ranges A-B.
    auto bad = [&](const std::string& why) {
        return ConfigError({}, "--cpuset", fmt::format("'{}' is not a CPU list like 1, 0-1 or 0,2: {}", cpuset, why));
    };
    if (cpuset.empty()) throw bad("empty");
    std::set<int> cpus;
    std::size_t pos = 0;
    while (pos <= cpuset.size()) {
        auto comma = cpuset.find(',', pos);
        std::string part = cpuset.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        auto num = [&](const std::string& s) {
            if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos)
                throw bad(fmt::format("'{}' is not a CPU number", s));
            return std::stoi(s);
        };
        auto dash = part.find('-');
        int a = num(part.substr(0, dash)), b = dash == std::string::npos ? a : num(part.substr(dash + 1));
        if (b < a) throw bad(fmt::format("range '{}' runs backwards", part));
        for (int c = a; c <= b; ++c) cpus.insert(c);
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return cpus;
}

}  // namespace

int cpuset_size(const std::string& cpuset) { return static_cast<int>(cpuset_cpus(cpuset).size()); }

int cpuset_highest(const std::string& cpuset) { return *cpuset_cpus(cpuset).rbegin(); }

void require_cpuset_on_engine(const Builder& builder, const std::string& cpuset) {
    const int highest = cpuset_highest(cpuset);
    const int ncpu = builder.host_cpus();
    if (ncpu <= 0) return;
    if (highest >= ncpu)
        throw ConfigError({}, "--cpuset",
                          fmt::format("'{}' names CPU {}, but the engine's host has {} CPU{} ({})", cpuset, highest, ncpu,
                                      ncpu == 1 ? "" : "s", ncpu == 1 ? std::string("0") : fmt::format("0-{}", ncpu - 1)));
}

std::string default_cpuset() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return "0";
    for (int c = CPU_SETSIZE - 1; c >= 0; --c)
        if (CPU_ISSET(c, &set)) return std::to_string(c);
    return "0";
}

void validate(const Options& o) {
    if (o.command.empty()) {
        bool known = false;
        for (auto& w : bundled_workloads()) known |= w == o.workload;
        if (!known)
            throw ConfigError({}, "--workload",
                              fmt::format("unknown workload '{}' (bundled: {}; or --command CMD)", o.workload,
                                          fmt::join(bundled_workloads(), ", ")));
    }
    if (o.repeat < 3 || o.repeat > 1000)
        throw ConfigError({}, "--repeat", "between 3 and 1000 measured runs per image (fewer give no useful interval)");
    if (!(o.duration > 0) || o.duration > 86400) throw ConfigError({}, "--duration", "must be > 0 and at most 86400 seconds");
    if (o.cpus && !(*o.cpus > 0)) throw ConfigError({}, "--cpus", "must be > 0");
    if (!o.cpuset.empty()) cpuset_size(o.cpuset);
    for (auto& e : o.env) {
        auto eq = e.find('=');
        if (eq == std::string::npos || eq == 0)
            throw ConfigError({}, "--env", fmt::format("'{}' is not KEY=VALUE", e));
    }
    if (!o.command.empty() && !o.mount.empty() && !std::filesystem::is_directory(o.mount))
        throw ConfigError({}, "--mount", fmt::format("'{}' is not a directory", o.mount.string()));
    if (o.mount.string().find(',') != std::string::npos)
        throw ConfigError({}, "--mount", "a path with ',' cannot be passed to docker run --mount");
}

RunRequest run_request(const Options& o, const Subject& subject, const std::filesystem::path& workloads_dir) {
    RunRequest q;
    q.image = subject.image;
    q.cpuset = o.cpuset;
    q.cpus = o.cpus;
    std::string duration = fmt::format("{}", o.duration);
    q.env.push_back("PYMATRIX_BENCH_DURATION=" + duration);
    q.env.insert(q.env.end(), o.env.begin(), o.env.end());
    q.mounts.push_back("type=bind,source=" + workloads_dir.string() + ",target=/pymatrix-workloads,readonly");
    if (!o.command.empty()) {
        q.mounts.push_back("type=bind,source=" + o.mount.string() + ",target=/bench,readonly");
        q.workdir = "/bench";
    }
    q.command = {"sh", "/pymatrix-workloads/harness.sh"};
    if (!o.command.empty())
        q.command.insert(q.command.end(), {"sh", "-c", o.command});
    else
        q.command.insert(q.command.end(),
                         {"python3", "/pymatrix-workloads/" + std::string(o.workload == "worker-pool" ? "worker_pool.py"
                                                                                                     : "kernels.py"),
                          "--duration", duration});
    return q;
}

std::vector<std::string> docker_run_args(const Options& o, const Subject& subject,
                                         const std::filesystem::path& workloads_dir) {
    return docker_argv::run(run_request(o, subject, workloads_dir));
}

}  // namespace pymatrix::bench
