// The bench result as JSON and as console table rows.
#include "format.hpp"

#include <fmt/format.h>

namespace pymatrix::bench {

namespace {

nlohmann::json run_json(const Run& r) {
    nlohmann::json metrics = nlohmann::json::object();
    for (auto& [name, m] : r.output.metrics)
        metrics[name] = {{"value", m.value}, {"unit", m.unit}, {"better", m.higher_is_better ? "higher" : "lower"}};
    return {{"subject", r.subject},
            {"round", r.round},
            {"warmup", r.round == 0},
            {"wall_seconds", r.wall_seconds},
            {"metrics", metrics},
            {"info", r.output.info},
            {"cgroup_version", r.output.cgroup_version},
            {"cpu_seconds", r.output.cpu_seconds ? nlohmann::json(*r.output.cpu_seconds) : nullptr},
            {"peak_memory_bytes", r.output.peak_memory_bytes ? nlohmann::json(*r.output.peak_memory_bytes) : nullptr}};
}

}  // namespace

nlohmann::json to_json(const Result& res) {
    const auto& o = res.options;
    nlohmann::json out = {
        {"started", res.started},
        {"host_cpu", res.host_cpu},
        {"workload", res.workload_label},
        {"options",
         {{"workload", o.command.empty() ? nlohmann::json(o.workload) : nullptr},
          {"command", o.command.empty() ? nullptr : nlohmann::json(o.command)},
          {"repeat", o.repeat},
          {"duration_seconds", o.duration},
          {"cpus", o.cpus ? nlohmann::json(*o.cpus) : nullptr},
          {"cpuset", res.cpuset},
          {"env", o.env}}},
        {"baseline", res.baseline},
        {"statistics",
         {{"center", "median"},
          {"spread", "median absolute deviation"},
          {"interval", "percentile bootstrap of the ratio of medians, 10000 resamples, seed 20261130"},
          {"confidence", 0.95}}},
        {"metric_order", res.metric_order},
        {"images", nlohmann::json::array()},
        {"warmups", nlohmann::json::array()},
        {"warnings", nlohmann::json::array()}};
    for (auto& img : res.images) {
        const auto& s = img.subject;
        nlohmann::json j = {{"name", s.name},
                            {"image", s.image},
                            {"image_id", s.image_id},
                            {"python_version", s.python_version},
                            {"profile", s.profile},
                            {"baseline", s.name == res.baseline},
                            {"image_size_bytes", s.size_bytes},
                            {"build_seconds", s.build_seconds ? nlohmann::json(*s.build_seconds) : nullptr},
                            {"metrics", nlohmann::json::object()},
                            {"runs", nlohmann::json::array()},
                            {"warnings", img.warnings}};
        for (auto& [name, m] : img.metrics) {
            nlohmann::json mj = {{"unit", m.unit},
                                 {"better", m.higher_is_better ? "higher" : "lower"},
                                 {"n", m.summary.n},
                                 {"median", m.summary.median},
                                 {"min", m.summary.min},
                                 {"max", m.summary.max},
                                 {"mad", m.summary.mad},
                                 {"spread_percent", m.summary.spread_percent()},
                                 {"values", m.values},
                                 {"vs_baseline", nullptr}};
            if (m.vs_baseline)
                mj["vs_baseline"] = {{"ratio", m.vs_baseline->ratio},
                                     {"low", m.vs_baseline->low},
                                     {"high", m.vs_baseline->high},
                                     {"confidence", m.vs_baseline->confidence},
                                     {"significant", m.vs_baseline->significant()},
                                     {"verdict", verdict(*m.vs_baseline, m.higher_is_better)}};
            j["metrics"][name] = mj;
        }
        for (auto& r : img.runs) j["runs"].push_back(run_json(r));
        for (auto& w : img.warnings) out["warnings"].push_back(w);
        out["images"].push_back(j);
    }
    for (auto& r : res.warmups) out["warmups"].push_back(run_json(r));
    return out;
}

std::vector<std::vector<std::string>> table_rows(const Result& res) {
    std::vector<std::vector<std::string>> rows = {{"IMAGE", "METRIC", "MEDIAN", "SPREAD", "VS BASELINE (95% CI)", "VERDICT"}};
    for (auto& name : res.metric_order)
        for (auto& img : res.images) {
            auto it = img.metrics.find(name);
            if (it == img.metrics.end()) continue;
            const auto& m = it->second;
            bool base = img.subject.name == res.baseline;
            rows.push_back({img.subject.name, name, format_value(m.summary.median, m.unit),
                            fmt::format("±{:.1f}%", m.summary.spread_percent()),
                            base ? "baseline" : m.vs_baseline ? format_ratio(*m.vs_baseline) : "-",
                            base || !m.vs_baseline ? "" : verdict(*m.vs_baseline, m.higher_is_better)});
        }
    return rows;
}

}  // namespace pymatrix::bench
