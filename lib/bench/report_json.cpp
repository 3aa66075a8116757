// The bench result as JSON and as console table rows.
#include "format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

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

// `order`: the document's metric_order (the order the workload printed its metrics, headline
// first); a run's "metrics" object comes back sorted by name, so the order is restored from it.
Run run_from_json(const nlohmann::json& j, const std::vector<std::string>& order) {
    Run r;
    r.subject = j.at("subject").get<std::string>();
    r.round = j.at("round").get<int>();
    r.wall_seconds = j.value("wall_seconds", 0.0);
    const auto& metrics = j.at("metrics");
    for (auto& name : order)
        if (metrics.contains(name)) r.output.order.push_back(name);
    for (auto& [name, m] : metrics.items()) {
        r.output.metrics[name] = Metric{m.at("value").get<double>(), m.value("unit", ""), m.value("better", "") == "higher"};
        if (std::find(order.begin(), order.end(), name) == order.end()) r.output.order.push_back(name);
    }
    r.output.info = j.value("info", nlohmann::json::object());
    r.output.cgroup_version = j.value("cgroup_version", 0);
    if (j.contains("cpu_seconds") && j["cpu_seconds"].is_number()) r.output.cpu_seconds = j["cpu_seconds"].get<double>();
    if (j.contains("peak_memory_bytes") && j["peak_memory_bytes"].is_number())
        r.output.peak_memory_bytes = j["peak_memory_bytes"].get<std::uint64_t>();
    return r;
}

}  // namespace

Result from_json(const nlohmann::json& doc, const std::vector<std::string>& only, const std::string& baseline) {
    if (!doc.is_object() || !doc.contains("images") || !doc["images"].is_array() || !doc.contains("options"))
        throw ConfigError({}, "--from", "not a `pymatrix bench --format json` document (no \"images\" array)");
    Result res;
    try {
        const auto& o = doc.at("options");
        if (o.at("command").is_string()) res.options.command = o["command"].get<std::string>();
        if (o.at("workload").is_string()) res.options.workload = o["workload"].get<std::string>();
        res.options.repeat = o.at("repeat").get<int>();
        res.options.duration = o.at("duration_seconds").get<double>();
        if (o.at("cpus").is_number()) res.options.cpus = o["cpus"].get<double>();
        res.options.cpuset = res.cpuset = o.at("cpuset").get<std::string>();
        res.options.env = o.value("env", std::vector<std::string>{});
        res.workload_label = doc.at("workload").get<std::string>();
        res.started = doc.value("started", "");
        res.host_cpu = doc.value("host_cpu", "");
        res.baseline = doc.value("baseline", "");
        const auto order = doc.value("metric_order", std::vector<std::string>{});
        std::vector<std::string> unused = only;
        for (auto& ij : doc["images"]) {
            Subject s;
            s.name = ij.at("name").get<std::string>();
            s.image = ij.at("image").get<std::string>();
            auto names_it = [&](const std::string& n) { return n == s.name || n == s.image; };
            if (!only.empty() && std::none_of(only.begin(), only.end(), names_it)) continue;
            std::erase_if(unused, names_it);
            s.image_id = ij.value("image_id", "");
            s.python_version = ij.value("python_version", "");
            s.profile = ij.value("profile", "");
            s.size_bytes = ij.value("image_size_bytes", std::uint64_t{0});
            if (ij.contains("build_seconds") && ij["build_seconds"].is_number())
                s.build_seconds = ij["build_seconds"].get<double>();
            ImageResult img{s, {}, {}, {}};
            for (auto& rj : ij.at("runs")) img.runs.push_back(run_from_json(rj, order));
            res.images.push_back(std::move(img));
        }
        if (!unused.empty())
            throw ConfigError({}, "--only", fmt::format("the document has no image named '{}'", unused.front()));
        for (auto& rj : doc.value("warmups", nlohmann::json::array())) {
            Run r = run_from_json(rj, order);
            for (auto& img : res.images)
                if (img.subject.name == r.subject) res.warmups.push_back(std::move(r));
        }
    } catch (const nlohmann::json::exception& e) {
        throw ConfigError({}, "--from", fmt::format("not a `pymatrix bench --format json` document: {}", e.what()));
    }
    if (res.images.empty()) throw ConfigError({}, "--from", "the document holds no image");
    std::string wanted = baseline;
    if (wanted.empty()) {
        wanted = res.baseline;
        bool kept = false;
        for (auto& img : res.images) kept |= img.subject.name == wanted;
        if (!kept) wanted = res.images.front().subject.name;
    }
    res.baseline.clear();
    for (auto& img : res.images)
        if (img.subject.name == wanted || img.subject.image == wanted) res.baseline = img.subject.name;
    if (res.baseline.empty()) {
        bool in_document = false;
        std::vector<std::string> all;
        for (auto& ij : doc["images"]) {
            in_document |= ij.value("name", "") == wanted || ij.value("image", "") == wanted;
            all.push_back(ij.value("name", ""));
        }
        std::vector<std::string> kept;
        for (auto& img : res.images) kept.push_back(img.subject.name);
        throw ConfigError({}, "--baseline",
                          in_document ? fmt::format("'{}' is left out by --only; name it with --only too (kept: {})", wanted,
                                                    fmt::join(kept, ", "))
                                      : fmt::format("'{}' is none of the images in the document (images: {})", wanted,
                                                    fmt::join(all, ", ")));
    }
    res.options.baseline = res.baseline;
    return res;
}

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
          {"interval", interval_note(res)},
          {"confidence", bootstrap_confidence}}},
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
                                     {"paired", m.vs_baseline->paired},
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
