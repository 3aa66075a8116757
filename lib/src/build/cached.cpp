// Build once: an unchanged build (same config hash) is found in the local store, not rebuilt.
#include "pymatrix/build.hpp"

namespace pymatrix {
namespace {

/// The id of a local image labelled with `hash` under any repository, or "".
std::string image_with_hash(const Engine& engine, const std::string& hash) {
    auto r = run_command({engine.docker(), "images", "--no-trunc", "--format", "{{.ID}}", "--filter",
                          std::string("label=") + label::config_hash + "=" + hash});
    if (r.exit_code != 0) return "";
    return r.out.substr(0, r.out.find('\n'));
}

}  // namespace

std::optional<BuildResult> find_cached(const Engine& engine, const Build& build) {
    const std::string& hash_tag = build.tags.back();  // <repository>:<...>-<hash12>
    auto doc = engine.inspect_image(hash_tag);
    auto matches = [&](const std::optional<nlohmann::json>& d) {
        if (!d) return false;
        const auto& labels = (*d)["Config"]["Labels"];
        return labels.is_object() && labels.value(label::config_hash, std::string()) == build.config_hash;
    };
    if (!matches(doc)) {  // not under this repository: the same config under another one will do
        std::string id = image_with_hash(engine, build.config_hash);
        if (id.empty()) return std::nullopt;
        doc = engine.inspect_image(id);
        if (!matches(doc)) return std::nullopt;
    }
    const auto& labels = (*doc)["Config"]["Labels"];
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
