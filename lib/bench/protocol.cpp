// The workload protocol: one JSON line of metrics from the workload, one cgroup line from the
// harness (workloads/README.md, pymatrix/bench.hpp).
#include "pymatrix/bench.hpp"

#include <fmt/format.h>

#include <sstream>

namespace pymatrix::bench {

namespace {

Metric parse_metric(const std::string& name, const nlohmann::json& j) {
    Metric m;
    if (j.is_number()) {
        m.value = j.get<double>();
        return m;
    }
    if (!j.is_object() || !j.contains("value") || !j["value"].is_number())
        throw Error(fmt::format("workload output: metric '{}' is neither a number nor {{\"value\": number, ...}}: {}",
                                name, j.dump()));
    m.value = j["value"].get<double>();
    if (j.contains("unit")) {
        if (!j["unit"].is_string()) throw Error(fmt::format("workload output: metric '{}': unit is not a string", name));
        m.unit = j["unit"].get<std::string>();
    }
    if (j.contains("better")) {
        std::string b = j["better"].is_string() ? j["better"].get<std::string>() : "";
        if (b != "higher" && b != "lower")
            throw Error(fmt::format("workload output: metric '{}': better must be \"higher\" or \"lower\"", name));
        m.higher_is_better = b == "higher";
    }
    return m;
}

}  // namespace

RunOutput parse_run_output(const std::string& text) {
    RunOutput out;
    std::optional<nlohmann::ordered_json> metrics_line;  // ordered: keeps the workload's metric order
    std::optional<nlohmann::json> cgroup_line;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] != '{') continue;
        auto j = nlohmann::ordered_json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        if (j.contains("pymatrix_cgroup") && j["pymatrix_cgroup"].is_object())
            cgroup_line = nlohmann::json::parse(j["pymatrix_cgroup"].dump());
        else if (j.contains("metrics") && j["metrics"].is_object())
            metrics_line = j;
    }
    if (!metrics_line)
        throw Error("workload output: no line with a JSON object holding \"metrics\" (see workloads/README.md)");
    for (auto& [name, value] : (*metrics_line)["metrics"].items()) {
        out.metrics[name] = parse_metric(name, nlohmann::json::parse(value.dump()));
        out.order.push_back(name);
    }
    if (out.metrics.empty()) throw Error("workload output: \"metrics\" is empty");
    if (metrics_line->contains("info") && (*metrics_line)["info"].is_object())
        out.info = nlohmann::json::parse((*metrics_line)["info"].dump());
    if (cgroup_line) {
        const auto& c = *cgroup_line;
        out.cgroup_version = c.value("version", 0);
        if (c.contains("cpu_ns") && c["cpu_ns"].is_number()) out.cpu_seconds = c["cpu_ns"].get<double>() / 1e9;
        if (c.contains("peak_memory_bytes") && c["peak_memory_bytes"].is_number_unsigned())
            out.peak_memory_bytes = c["peak_memory_bytes"].get<std::uint64_t>();
    }
    return out;
}

}  // namespace pymatrix::bench
