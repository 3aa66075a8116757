// Build once against a registry: the config-hash tag looked up through the builder (manifest
// digest and labels; nothing pulled).
#include "pymatrix/registry.hpp"

#include <fmt/format.h>

#include <future>

namespace pymatrix {

std::optional<BuildResult> find_in_registry(const Builder& builder, const Build& build) {
    const std::string& hash_tag = build.tags.back();
    const std::string& readable = build.tags.front();
    // both lookups at once: each is a docker CLI start plus a registry round trip
    auto readable_lookup = std::async(std::launch::async, [&] { return builder.inspect_remote(readable); });
    std::optional<RegistryImage> remote;
    try {
        remote = builder.inspect_remote(hash_tag);
    } catch (...) {
        try { readable_lookup.get(); } catch (...) {}
        throw;
    }
    auto readable_remote = readable_lookup.get();
    if (!remote) return std::nullopt;
    auto label = remote->labels.find(label::config_hash);
    if (label == remote->labels.end() || label->second != build.config_hash) return std::nullopt;

    BuildResult r;
    r.name = build.name;
    r.outcome = BuildOutcome::cached;
    r.push = PushState::in_registry;
    r.tags = build.tags;
    r.labels = remote->labels;
    r.digest = remote->digest;
    r.pushed = repository_of(hash_tag) + "@" + remote->digest;
    auto local = builder.inspect_local(hash_tag);
    if (local) {
        r.image_id = local->value("Id", "");
        r.size_bytes = local->value("Size", std::uint64_t{0});
    }
    if (!readable_remote || readable_remote->digest != remote->digest) {
        // the readable tag is missing or names an older build: point it at this image, by a push
        // of the same manifest when the image is local (under any repository), else registry-side
        RegistryWrite moved;
        if (auto here = local ? std::nullopt : find_cached(builder, build)) {
            r.image_id = here->image_id;
            r.size_bytes = here->size_bytes;
            local = builder.inspect_local(hash_tag);
        }
        if (local) {
            builder.tag(r.image_id, readable);
            moved = builder.push(readable);
        } else {
            moved = builder.tag_remote(r.pushed, readable);
        }
        if (!moved.ok) {
            r.outcome = BuildOutcome::failed;
            r.error = fmt::format("{} holds config hash {} but moving {} onto it failed: {}", hash_tag,
                                  build.config_hash.substr(0, 12), readable, moved.message);
        }
    }
    return r;
}

}  // namespace pymatrix
