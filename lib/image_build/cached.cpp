// Build once: an unchanged build (same config hash) is found in the local store, not rebuilt.
#include "pymatrix/build.hpp"

namespace pymatrix {

std::optional<BuildResult> find_cached(const Builder& builder, const Build& build) {
    const std::string& hash_tag = build.tags.back();  // <repository>:<...>-<hash12>
    auto doc = builder.inspect_local(hash_tag);
    if (!carries_config_hash(doc, build.config_hash)) {  // not under this repository: the same config under another one will do
        auto ids = builder.images_labelled(label::config_hash, build.config_hash);
        if (ids.empty()) return std::nullopt;
        doc = builder.inspect_local(ids.front());
        if (!carries_config_hash(doc, build.config_hash)) return std::nullopt;
    }
    BuildResult r;
    r.name = build.name;
    r.outcome = BuildOutcome::cached;
    r.image_id = doc->value("Id", "");
    r.size_bytes = doc->value("Size", std::uint64_t{0});
    r.tags = build.tags;
    for (auto& [k, v] : (*doc)["Config"]["Labels"].items())
        if (v.is_string()) r.labels[k] = v.get<std::string>();
    for (auto& t : build.tags) {
        auto other = builder.inspect_local(t);
        if (!other || other->value("Id", "") != r.image_id) builder.tag(r.image_id, t);
    }
    return r;
}

}  // namespace pymatrix
