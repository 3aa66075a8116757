// Kubernetes node affinity from an image's ISA requirement (see pymatrix/k8s_placement.hpp).
#include "pymatrix/k8s_placement.hpp"
#include "pymatrix/isa.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace pymatrix {
namespace {

NodeSelectorRequirement label_true(const std::string& nfd_name) {
    return {isa::nfd::cpuid_label_prefix + nfd_name, "In", {"true"}};
}

std::string quoted(const std::string& s) {  // a YAML double-quoted scalar
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string one_line(std::string s) {  // for a YAML comment
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return s;
}

std::optional<long long> integer(const std::string& s) {
    long long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

Placement placement_for(const IsaRequirement& image, isa::nfd::Mode mode) {
    Placement p;
    p.mode = mode;
    if (!image.labelled) {
        p.refused = "no pymatrix ISA labels: what it needs from a CPU is unknown, so no placement can be given";
        return p;
    }
    const std::string arch = isa::nfd::kubernetes_arch(image.arch);
    if (arch.empty()) {
        p.refused = fmt::format("io.pymatrix.isa.arch '{}' has no kubernetes.io/arch value here (x86_64, aarch64)",
                                image.arch);
        return p;
    }
    p.match_expressions.push_back({isa::nfd::arch_label, "In", {arch}});
    if (image.arch != "x86_64") return p;

    const auto& levels = isa::x86_64_levels();
    p.level = std::find(levels.begin(), levels.end(), image.level) != levels.end() ? image.level
                                                                                   : isa::level_of(image.features);
    std::set<std::string> covered = isa::flags_for_level("x86-64");  // every amd64 node has the baseline
    if (mode == isa::nfd::Mode::levels && !p.level.empty()) {
        p.match_expressions.push_back(label_true(isa::nfd::level_name(p.level)));
        covered = isa::flags_for_level(p.level);
    }
    std::set<std::string> names;
    for (auto& flag : image.features) {
        if (covered.count(flag)) continue;
        auto name = isa::nfd::cpuid_name(flag);
        if (name.empty()) p.no_nfd_label.push_back(flag);
        else names.insert(name);
    }
    for (auto& name : names) {
        p.match_expressions.push_back(label_true(name));
        if (!isa::nfd::published_by_default(name)) p.needs_config.push_back(name);
    }
    return p;
}

bool admits(const std::vector<NodeSelectorRequirement>& match_expressions,
            const std::map<std::string, std::string>& node_labels) {
    for (auto& e : match_expressions) {
        auto it = node_labels.find(e.key);
        bool present = it != node_labels.end();
        bool listed = present && std::find(e.values.begin(), e.values.end(), it->second) != e.values.end();
        bool ok = false;
        if (e.op == "In") ok = listed;
        else if (e.op == "NotIn") ok = !listed;
        else if (e.op == "Exists") ok = present;
        else if (e.op == "DoesNotExist") ok = !present;
        else if ((e.op == "Gt" || e.op == "Lt") && present && e.values.size() == 1) {
            auto have = integer(it->second), bound = integer(e.values[0]);
            ok = have && bound && (e.op == "Gt" ? *have > *bound : *have < *bound);
        }
        if (!ok) return false;
    }
    return true;
}

std::string nfd_worker_config(const std::vector<std::string>& publish) {
    if (publish.empty()) return "";
    std::vector<std::string> keep;
    for (auto& name : isa::nfd::default_blacklist())
        if (std::find(publish.begin(), publish.end(), name) == publish.end()) keep.push_back(name);
    return fmt::format("sources:\n  cpu:\n    cpuid:\n      attributeBlacklist: [{}]\n", util::join(keep, ", "));
}

std::string affinity_yaml(const Placement& p, const std::string& image_ref) {
    std::string out = fmt::format("# {}: {}; node labels of node-feature-discovery {}\n", one_line(image_ref),
                                  p.level.empty() ? "no x86-64 level" : "needs " + p.level,
                                  p.mode == isa::nfd::Mode::levels ? ">= 0.19 (X86_64_V* level labels)"
                                                                   : "< 0.19 (per-feature labels only)");
    if (!p.no_nfd_label.empty())
        out += fmt::format("# NFD has no label for {}: placement cannot require it; the image's guard checks it at "
                           "start\n", util::join(p.no_nfd_label, " "));
    if (!p.needs_config.empty()) {
        out += fmt::format("# NFD does not publish {} by default; this nfd-worker configuration (nfd-worker.conf, "
                           "sources.cpu.cpuid) publishes them:\n", util::join(p.needs_config, " "));
        std::string config = nfd_worker_config(p.needs_config);
        for (std::size_t at = 0, nl; (nl = config.find('\n', at)) != std::string::npos; at = nl + 1)
            out += "#   " + config.substr(at, nl - at) + "\n";
    }
    out += "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
           "      nodeSelectorTerms:\n      - matchExpressions:\n";
    for (auto& e : p.match_expressions) {
        out += fmt::format("        - key: {}\n          operator: {}\n", quoted(e.key), e.op);
        if (!e.values.empty()) {
            std::vector<std::string> values;
            for (auto& v : e.values) values.push_back(quoted(v));
            out += fmt::format("          values: [{}]\n", util::join(values, ", "));
        }
    }
    return out;
}

}  // namespace pymatrix
