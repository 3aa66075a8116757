// pymatrix check IMAGE... [--target-cpuinfo FILE | --target-level LEVEL] [--allow-unlabelled]
// pymatrix check IMAGE... --format k8s [--nfd VERSION|legacy]
// pymatrix select --target-cpuinfo FILE IMAGE...
#include "commands.hpp"
#include "output.hpp"

#include "pymatrix/check.hpp"
#include "pymatrix/docker_driver.hpp"
#include "pymatrix/image_labels.hpp"
#include "pymatrix/isa.hpp"
#include "pymatrix/k8s_placement.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>

namespace po = boost::program_options;

namespace pymatrix::cli {

nlohmann::json cpu_to_json(const isa::CpuInfo& c);

namespace {

std::string spaced(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, " ")); }

/// One image the gate was asked about.
struct GateResult {
    ImageLabels labels;
    Verdict verdict;                    ///< an image index: `accepted` and `reason` of `index`
    std::optional<IndexVerdict> index;  ///< set for an image index (labels.entries non-empty)
};

struct Gate {
    isa::CpuInfo target;
    std::vector<GateResult> results;
};

std::vector<IndexEntryRequirement> entry_requirements(const ImageLabels& index) {
    std::vector<IndexEntryRequirement> out;
    for (auto& e : index.entries) out.push_back({e.platform, requirement_of(e.labels)});
    return out;
}

po::options_description gate_options(const std::string& title, const char* formats) {
    po::options_description desc(title);
    desc.add_options()("help,h", "show this help")("target-cpuinfo", po::value<std::string>(),
                                                    "a /proc/cpuinfo dump of the target (default: this host)")(
        "target-level", po::value<std::string>(), "an x86-64 level: x86-64, x86-64-v2, x86-64-v3, x86-64-v4")(
        "allow-unlabelled", "accept images without pymatrix ISA labels")(
        "format", po::value<std::string>()->default_value("table"), formats);
    return desc;
}

std::unique_ptr<DockerDriver> engine_for(const std::string& ref, std::unique_ptr<DockerDriver> engine) {
    if (!engine && !std::filesystem::is_regular_file(ref)) engine = std::make_unique<DockerDriver>();
    return engine;
}

Gate run_gate(const po::variables_map& vm, const std::string& usage) {
    if (!vm.count("image")) throw ConfigError({}, "IMAGE", "at least one image is needed (usage: " + usage + ")");
    if (vm.count("target-cpuinfo") && vm.count("target-level"))
        throw ConfigError({}, "--target-level", "give --target-cpuinfo or --target-level, not both");
    Gate g;
    g.target = vm.count("target-cpuinfo")  ? isa::read_cpuinfo(vm["target-cpuinfo"].as<std::string>())
               : vm.count("target-level") ? isa::cpu_for_level(vm["target-level"].as<std::string>())
                                          : isa::host_cpu();
    std::unique_ptr<DockerDriver> engine;
    for (auto& ref : vm["image"].as<std::vector<std::string>>()) {
        engine = engine_for(ref, std::move(engine));
        GateResult r{read_image_labels(ref, engine.get()), {}, std::nullopt};
        const bool allow = vm.count("allow-unlabelled") > 0;
        if (r.labels.entries.empty()) {
            r.verdict = decide(requirement_of(r.labels.labels), g.target, allow);
        } else {
            r.index = decide_index(entry_requirements(r.labels), g.target, allow);
            r.verdict.accepted = r.index->accepted;
            r.verdict.reason = r.index->reason;
        }
        g.results.push_back(std::move(r));
    }
    return g;
}

nlohmann::json result_json(const ImageLabels& l, const Verdict& v) {
    auto req = requirement_of(l.labels);
    return {{"image", l.ref},          {"source", source_name(l.source)}, {"accepted", v.accepted},
            {"reason", v.reason},      {"missing", v.missing},            {"warnings", v.warnings},
            {"features_unknown", v.features_unknown},
            {"requires", {{"arch", req.arch}, {"level", req.level}, {"features", req.features}, {"march", req.march}}}};
}

/// result_json, and for an index its entries: each entry's own result plus platform, digest and
/// "gets" (an engine on the target may pull it); "matched": the entry a variant-matching engine pulls.
nlohmann::json gate_json(const GateResult& r) {
    auto out = result_json(r.labels, r.verdict);
    if (!r.index) return out;
    out.erase("requires");
    out.erase("missing");
    out["digest"] = r.labels.digest;
    out["matched"] = r.index->matched ? nlohmann::json(r.labels.entries[*r.index->matched].ref) : nlohmann::json();
    out["entries"] = nlohmann::json::array();
    for (std::size_t i = 0; i < r.labels.entries.size(); ++i) {
        auto e = result_json(r.labels.entries[i], r.index->entries[i]);
        e["platform"] = r.labels.entries[i].platform;
        e["digest"] = r.labels.entries[i].digest;
        e["gets"] = static_cast<bool>(r.index->gets[i]);
        out["entries"].push_back(std::move(e));
    }
    return out;
}

/// The table lines of one result: "ACCEPT  REF: reason", then for an index one line per entry.
std::string gate_lines(const GateResult& r, const char* yes, const char* no) {
    std::string out = fmt::format("{}  {}: {}\n", r.verdict.accepted ? yes : no, r.labels.ref, r.verdict.reason);
    if (!r.index) return out;
    for (std::size_t i = 0; i < r.labels.entries.size(); ++i) {
        const auto& e = r.labels.entries[i];
        const auto& v = r.index->entries[i];
        out += fmt::format("        {} ({}): {} {}: {}\n", e.platform, r.index->gets[i] ? "the target may pull it" : "not pulled",
                           v.accepted ? "runs" : "cannot run", e.ref, v.reason);
    }
    return out;
}

void print_target_warnings(const Gate& g) {
    if (g.target.hypervisor)
        std::cerr << fmt::format("pymatrix: warning: the target ({}) runs under a hypervisor, which may mask CPU "
                                 "features; the decision uses the flags it reports\n", g.target.source);
}

/// check --format k8s: the node affinity of each image, every image read before anything is printed.
int print_placements(const po::variables_map& vm, const std::string& usage) {
    for (const char* flag : {"target-cpuinfo", "target-level", "allow-unlabelled"})
        if (vm.count(flag))
            throw ConfigError({}, std::string("--") + flag,
                              "--format k8s prints the nodes an image needs and compares with no target: drop it");
    if (!vm.count("image")) throw ConfigError({}, "IMAGE", "at least one image is needed (usage: " + usage + ")");
    const auto mode = isa::nfd::parse_mode(vm.count("nfd") ? vm["nfd"].as<std::string>() : "0.19");
    std::unique_ptr<DockerDriver> engine;
    std::vector<std::pair<std::string, Placement>> placements;
    bool refused = false;
    for (auto& ref : vm["image"].as<std::vector<std::string>>()) {
        engine = engine_for(ref, std::move(engine));
        ImageLabels labels = read_image_labels(ref, engine.get());
        Placement p;
        if (labels.entries.empty()) {
            p = placement_for(requirement_of(labels.labels), mode);
        } else {  // an index runs where its floor entry runs (index_floor), or nowhere it can name
            auto floor = index_floor(entry_requirements(labels));
            if (floor.entry) {
                p = placement_for(requirement_of(labels.entries[*floor.entry].labels), mode);
                std::cerr << fmt::format("pymatrix: note: {} is an image index: the nodes that run its {} entry, "
                                         "each pulling the entry of its level\n",
                                         ref, labels.entries[*floor.entry].platform);
            } else {
                p.refused = "an image index that no node set fits: " + floor.refused;
            }
        }
        if (!p.refused.empty()) {
            std::cerr << fmt::format("pymatrix: {}: {}\n", ref, p.refused);
            refused = true;
        }
        placements.emplace_back(ref, std::move(p));
    }
    if (refused) return exit_rejected;  // nothing half-written
    for (std::size_t i = 0; i < placements.size(); ++i) {
        auto& [ref, p] = placements[i];
        if (!p.no_nfd_label.empty())
            std::cerr << fmt::format("pymatrix: note: {}: NFD has no label for {}: the affinity cannot require it\n",
                                     ref, spaced(p.no_nfd_label));
        if (!p.needs_config.empty())
            std::cerr << fmt::format("pymatrix: note: {}: NFD does not publish {} by default: configure nfd-worker as "
                                     "the comment in the output shows\n", ref, spaced(p.needs_config));
        std::cout << (i ? "---\n" : "") << affinity_yaml(p, ref);
    }
    return exit_ok;
}

}  // namespace

int cmd_check(const Args& args) {
    const std::string usage =
        "pymatrix check IMAGE... [--target-cpuinfo FILE | --target-level LEVEL] [--allow-unlabelled] [--format table|json]\n"
        "       pymatrix check IMAGE... --format k8s [--nfd VERSION|legacy]";
    auto desc = gate_options("check options", "table, json or k8s (the node affinity of each image)");
    desc.add_options()("nfd", po::value<std::string>(),
                       "with --format k8s: the cluster's node-feature-discovery, a version (0.19: X86_64_V* level "
                       "labels; below: per-feature labels) or legacy (default: 0.19)");
    auto vm = parse_options(args, desc, "image", usage);
    if (vm.count("help")) {
        std::cout << usage << "\nIMAGE: a local image, a registry reference, or a `docker save` archive\n" << desc;
        return exit_ok;
    }
    std::string format = vm["format"].as<std::string>();
    require_format(format, {"table", "json", "k8s"});
    if (format == "k8s") return print_placements(vm, usage);
    if (vm.count("nfd")) throw ConfigError({}, "--nfd", "only with --format k8s");
    Gate g = run_gate(vm, usage);
    bool all = std::all_of(g.results.begin(), g.results.end(), [](auto& r) { return r.verdict.accepted; });
    if (format == "json") {
        nlohmann::json out = {{"target", cpu_to_json(g.target)}, {"accepted", all}, {"images", nlohmann::json::array()}};
        for (auto& r : g.results) out["images"].push_back(gate_json(r));
        std::cout << out.dump(2) << '\n';
    } else {
        print_target_warnings(g);
        std::string who = g.target.model.empty() ? g.target.vendor : g.target.model;
        std::cout << fmt::format("target: {} ({}, {}; from {})\n", who.empty() ? "unnamed CPU" : who, g.target.arch,
                                 g.target.level.empty() ? "no x86-64 level" : g.target.level, g.target.source);
        for (auto& r : g.results) std::cout << gate_lines(r, "ACCEPT", "REJECT");
    }
    return all ? exit_ok : exit_rejected;
}

int cmd_select(const Args& args) {
    const std::string usage = "pymatrix select [--target-cpuinfo FILE | --target-level LEVEL] [--allow-unlabelled] [--format table|json] IMAGE...";
    auto desc = gate_options("select options", "table or json");
    auto vm = parse_options(args, desc, "image", usage);
    if (vm.count("help")) {
        std::cout << usage << "\nprints the most specific image the target can run (of an image index: the entry, as REPOSITORY@DIGEST)\n" << desc;
        return exit_ok;
    }
    std::string format = vm["format"].as<std::string>();
    require_format(format, {"table", "json"});
    Gate g = run_gate(vm, usage);
    const ImageLabels* best = nullptr;
    std::pair<int, std::size_t> best_rank{-1, 0};
    const auto& levels = isa::x86_64_levels();
    std::vector<std::pair<const ImageLabels*, const Verdict*>> candidates;  // an index: each of its entries
    for (auto& r : g.results) {
        if (!r.index) candidates.emplace_back(&r.labels, &r.verdict);
        for (std::size_t i = 0; r.index && i < r.labels.entries.size(); ++i)
            candidates.emplace_back(&r.labels.entries[i], &r.index->entries[i]);
    }
    for (auto& [l, v] : candidates) {
        if (!v->accepted) continue;
        auto req = requirement_of(l->labels);
        int level = static_cast<int>(std::find(levels.begin(), levels.end(), req.level) - levels.begin());
        if (level == static_cast<int>(levels.size())) level = -1;
        std::pair<int, std::size_t> rank{level, req.features.size()};  // most specific: level, then feature count
        if (!best || rank > best_rank) {
            best = l;
            best_rank = rank;
        }
    }
    if (format == "json") {
        nlohmann::json out = {{"target", cpu_to_json(g.target)}, {"selected", best ? best->ref : nullptr},
                              {"images", nlohmann::json::array()}};
        for (auto& r : g.results) out["images"].push_back(gate_json(r));
        std::cout << out.dump(2) << '\n';
    } else {
        print_target_warnings(g);
        for (auto& r : g.results) std::cerr << gate_lines(r, "ok  ", "no  ");
        if (best) std::cout << best->ref << '\n';
    }
    if (!best) {
        std::cerr << "pymatrix: no image can run on the target\n";
        return exit_rejected;
    }
    return exit_ok;
}

}  // namespace pymatrix::cli
