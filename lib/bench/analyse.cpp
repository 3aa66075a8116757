// From runs to results: per metric the summary and the ratio to the baseline; the pool-size
// pitfall of CPU quotas (pymatrix/bench.hpp, analyse()).
#include "pymatrix/bench.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace pymatrix::bench {

namespace {

// Workload metrics, then the harness's resource metrics.
std::vector<std::pair<std::string, Metric>> metrics_of(const Run& r) {
    std::vector<std::pair<std::string, Metric>> out;
    for (auto& name : r.output.order) out.emplace_back(name, r.output.metrics.at(name));
    if (r.output.cpu_seconds) out.emplace_back("cpu_seconds", Metric{*r.output.cpu_seconds, "s", false});
    if (r.output.peak_memory_bytes)
        out.emplace_back("peak_memory_bytes", Metric{static_cast<double>(*r.output.peak_memory_bytes), "bytes", false});
    return out;
}

bool python_at_least(const std::string& version, int major, int minor) {
    int ma = 0, mi = 0;
    if (std::sscanf(version.c_str(), "%d.%d", &ma, &mi) != 2) return false;
    return ma > major || (ma == major && mi >= minor);
}

void check_pool_size(const Result& result, ImageResult& image) {
    if (image.runs.empty()) return;
    const auto& info = image.runs.front().output.info;
    if (!info.contains("pool_size") || !info["pool_size"].is_number_integer()) return;
    long pool = info["pool_size"].get<long>();
    long cpu_count = info.contains("cpu_count") && info["cpu_count"].is_number_integer() ? info["cpu_count"].get<long>() : -1;
    std::string version = info.contains("python") && info["python"].is_string() ? info["python"].get<std::string>()
                                                                                 : image.subject.python_version;
    long allowed = cpuset_size(result.cpuset);
    std::string limit = fmt::format("--cpuset-cpus {} ({} CPU{})", result.cpuset, allowed, allowed == 1 ? "" : "s");
    if (result.options.cpus) {
        long quota = static_cast<long>(std::ceil(*result.options.cpus));
        if (quota < allowed) {
            allowed = quota;
            limit = fmt::format("--cpus {} (a CPU quota)", *result.options.cpus);
        }
    }
    if (pool <= allowed) return;
    std::string fix = python_at_least(version, 3, 13)
                          ? fmt::format("Python {} honours PYTHON_CPU_COUNT: rerun with --env PYTHON_CPU_COUNT={}", version, allowed)
                          : fmt::format("Python {} predates PYTHON_CPU_COUNT (3.13+): set the pool size by hand "
                                        "(ProcessPoolExecutor(max_workers={}); for the bundled workload "
                                        "--env PYMATRIX_BENCH_WORKERS={})",
                                        version.empty() ? "(unknown version)" : version, allowed, allowed);
    image.warnings.push_back(fmt::format(
        "{}: the interpreter chose a pool of {} workers{} but {} allows {}: the workers time-share the CPUs, so "
        "task rates measure oversubscription. {}",
        image.subject.name, pool, cpu_count >= 0 ? fmt::format(" (os.cpu_count() = {})", cpu_count) : "", limit,
        allowed, fix));
}

}  // namespace

void analyse(Result& result) {
    result.metric_order.clear();
    const ImageResult* base = nullptr;
    for (auto& img : result.images)
        if (img.subject.name == result.baseline) base = &img;
    if (!base) throw ConfigError({}, "--baseline", fmt::format("'{}' is none of the benched images", result.baseline));
    for (auto& img : result.images) {
        img.metrics.clear();
        img.warnings.clear();
        for (auto& run : img.runs)
            for (auto& [name, m] : metrics_of(run)) {
                if (std::find(result.metric_order.begin(), result.metric_order.end(), name) == result.metric_order.end())
                    result.metric_order.push_back(name);
                auto& mr = img.metrics[name];
                mr.unit = m.unit;
                mr.higher_is_better = m.higher_is_better;
                mr.values.push_back(m.value);
                mr.rounds.push_back(run.round);
            }
        for (auto& [name, mr] : img.metrics) {
            mr.summary = summarise(mr.values);
            if (mr.values.size() != img.runs.size())
                img.warnings.push_back(fmt::format("{}: metric {} is missing from {} of {} runs", img.subject.name, name,
                                                   img.runs.size() - mr.values.size(), img.runs.size()));
        }
        check_pool_size(result, img);
    }
    for (auto& img : result.images) {
        if (&img == base) continue;
        for (auto& [name, mr] : img.metrics) {
            auto b = base->metrics.find(name);
            if (b == base->metrics.end() || b->second.summary.median == 0) continue;
            // Interleaved rounds: a pair measured in the same round shares that round's drift.
            mr.vs_baseline = mr.rounds == b->second.rounds
                                 ? paired_bootstrap_ratio_of_medians(mr.values, b->second.values)
                                 : bootstrap_ratio_of_medians(mr.values, b->second.values);
        }
    }
}

}  // namespace pymatrix::bench
