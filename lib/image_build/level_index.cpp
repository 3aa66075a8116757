// image_build/level_index.cpp: which pushed builds become which entries of a per-level image
// index (pymatrix/level_index.hpp), from the labels each image was given from its own binary.
#include "pymatrix/level_index.hpp"

#include "pymatrix/error.hpp"
#include "pymatrix/isa.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/tags.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace pymatrix {

namespace {

std::string label_of(const BuildResult& r, const char* key) {
    auto it = r.labels.find(key);
    return it == r.labels.end() ? "" : it->second;
}

std::set<std::string> words(const std::string& s) {
    std::set<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;) out.insert(w);
    return out;
}

}  // namespace

std::string variant_of_level(const std::string& level) {
    if (level == "x86-64") return "";
    if (level == "x86-64-v2" || level == "x86-64-v3" || level == "x86-64-v4") return level.substr(7);
    throw std::out_of_range("not an x86-64 level: '" + level + "'");
}

std::vector<LevelIndexEntry> plan_level_index(const std::string& index_ref, const std::vector<Build>& builds,
                                              const std::vector<BuildResult>& results) {
    const std::string repo = repository_of(index_ref);
    std::map<std::size_t, LevelIndexEntry> by_level;  // position in x86_64_levels() -> entry
    std::string python;
    const auto& levels = isa::x86_64_levels();
    for (std::size_t i = 0; i < builds.size() && i < results.size(); ++i) {
        const Build& b = builds[i];
        const BuildResult& r = results[i];
        auto refuse = [&](const std::string& why) {
            return Error(fmt::format("index {}: build {} {}; the index was not published", index_ref, b.name, why),
                         exit_build_failed);
        };
        if (!r.ok()) throw refuse("did not build");
        if (r.push == PushState::not_pushed || r.pushed.empty())
            throw refuse("was not pushed (the index refers to pushed manifests: build --push)");
        if (repository_of(r.pushed) != repo)
            throw refuse(fmt::format("is pushed to {}, not to the index's repository {} (an index refers to "
                                     "manifests of its own repository: --repository {})",
                                     repository_of(r.pushed), repo, repo));
        if (const auto arch = label_of(r, label::isa_arch); arch != "x86_64")
            throw refuse(fmt::format("records ISA arch '{}': the level index is for x86_64 builds", arch));
        const std::string level = label_of(r, label::isa_level);
        const auto at = std::find(levels.begin(), levels.end(), level);
        if (at == levels.end()) throw refuse(fmt::format("records no x86-64 level ('{}')", level));
        const std::set<std::string> features = words(label_of(r, label::isa_features));
        std::vector<std::string> beyond;
        const auto allowed = isa::flags_for_level(level);
        for (const auto& f : features)
            if (!allowed.count(f)) beyond.push_back(f);
        if (!beyond.empty())
            throw refuse(fmt::format("records ISA features beyond {} ({}): a {} CPU may lack them, so no "
                                     "platform variant may promise it runs there (a -march=native build?)",
                                     level, fmt::join(beyond, " "), level));
        std::string asked = label_of(r, label::isa_march);  // "x86-64-v3 -> x86-64-v3": asked -> resolved
        if (const auto arrow = asked.find(" -> "); arrow != std::string::npos) asked.resize(arrow);
        if (std::find(levels.begin(), levels.end(), asked) != levels.end() && asked != level)
            throw refuse(fmt::format("asked for -march={} but records level {}: its variant would lie", asked, level));
        const std::string version = label_of(r, label::python_version);
        if (python.empty()) python = version;
        else if (version != python)
            throw refuse(fmt::format("is Python {}, another is Python {}: one index holds one Python version "
                                     "(--only picks builds)", version, python));
        const std::size_t pos = static_cast<std::size_t>(at - levels.begin());
        if (by_level.count(pos))
            throw refuse(fmt::format("records level {}, as build {} does: one entry per level (--only picks builds)",
                                     level, by_level[pos].build));
        by_level[pos] = {b.name, level, variant_of_level(level), r.digest};
    }
    if (!by_level.count(0))
        throw Error(fmt::format("index {}: no build records the baseline level x86-64, and linux/amd64 must be in "
                                "the index (an engine without variant matching, such as dockerd 20.10, pulls "
                                "it); add a build without -march; the index was not published",
                                index_ref),
                    exit_build_failed);
    std::vector<LevelIndexEntry> out;
    for (auto& [pos, e] : by_level) out.push_back(e);
    return out;
}

nlohmann::json index_descriptor(const LevelIndexEntry& entry) {
    nlohmann::json platform = {{"architecture", "amd64"}, {"os", "linux"}};
    if (!entry.variant.empty()) platform["variant"] = entry.variant;
    return {{"digest", entry.digest}, {"platform", platform}};
}

}  // namespace pymatrix
