// Build once: an unchanged build (same config hash) is found in the local store, not rebuilt.
#include "pymatrix/build.hpp"

namespace pymatrix {

std::optional<BuildResult> find_cached(const Engine& engine, const Build& build) {
    const std::string& hash_tag = build.tags.back();  // <repository>:<...>-<hash12>
    auto doc = engine.inspect_image(hash_tag);
    if (!doc) return std::nullopt;
    const auto& labels = (*doc)["Config"]["Labels"];
    if (!labels.is_object() || labels.value(label::config_hash, std::string()) != build.config_hash) return std::nullopt;
    BuildResult r;
    r.name = build.name;
    r.ok = true;
    r.cached = true;
    r.image_id = doc->value("Id", "");
    r.size_bytes = doc->value("Size", std::uint64_t{0});
    r.tags = build.tags;
    for (auto& [k, v] : labels.items())
        if (v.is_string()) r.labels[k] = v.get<std::string>();
    for (auto& t : build.tags) {
        auto other = engine.inspect_image(t);
        if (!other || other->value("Id", "") != r.image_id) run_command({engine.docker(), "tag", r.image_id, t});
    }
    return r;
}

}  // namespace pymatrix
