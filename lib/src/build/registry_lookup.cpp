// Build once against a registry: the config-hash tag looked up with `docker buildx imagetools
// inspect` (manifest digest and labels; nothing pulled).
#include "pymatrix/registry.hpp"

#include <fmt/format.h>

#include <future>

namespace pymatrix {
namespace {

std::string first_line(const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    if (line.rfind("ERROR: ", 0) == 0) line.erase(0, 7);
    return line;
}

}  // namespace

bool names_registry_host(const std::string& reference) {
    auto slash = reference.find('/');
    if (slash == std::string::npos) return false;
    std::string first = reference.substr(0, slash);
    return first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost";
}

std::string registry_host(const std::string& repository) {
    return names_registry_host(repository) ? repository.substr(0, repository.find('/')) : "docker.io";
}

std::string repository_of(const std::string& reference) {
    if (auto at = reference.find('@'); at != std::string::npos) return reference.substr(0, at);
    auto colon = reference.rfind(':');
    auto slash = reference.rfind('/');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return reference;
    return reference.substr(0, colon);
}

std::optional<RegistryImage> inspect_remote(const Engine& engine, const std::string& reference) {
    auto r = run_command({engine.docker(), "buildx", "imagetools", "inspect", "--format", "{{json .}}", reference});
    if (r.exit_code != 0) {
        std::string why = first_line(r.err.empty() ? r.out : r.err);
        // distribution answers MANIFEST_UNKNOWN / NAME_UNKNOWN, which buildx reports as "REF: not found"
        if (why.find(": not found") != std::string::npos || why.find("MANIFEST_UNKNOWN") != std::string::npos ||
            why.find("NAME_UNKNOWN") != std::string::npos)
            return std::nullopt;
        throw EnvironmentError(fmt::format("registry {} does not answer for {}: {}", registry_host(reference),
                                           reference, why));
    }
    RegistryImage out;
    out.reference = reference;
    try {
        auto j = nlohmann::json::parse(r.out);
        out.digest = j.at("manifest").at("digest").get<std::string>();
        const auto& image = j.value("image", nlohmann::json::object());
        if (image.contains("config") && image["config"].contains("Labels") && image["config"]["Labels"].is_object())
            for (auto& [k, v] : image["config"]["Labels"].items())
                if (v.is_string()) out.labels[k] = v.get<std::string>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("docker buildx imagetools inspect {}: unreadable output: {}", reference, e.what()));
    }
    return out;
}

std::optional<BuildResult> find_in_registry(const Engine& engine, const Build& build) {
    const std::string& hash_tag = build.tags.back();
    const std::string& readable = build.tags.front();
    // both lookups at once: each is a docker CLI start plus a registry round trip
    auto readable_lookup = std::async(std::launch::async, [&] { return inspect_remote(engine, readable); });
    std::optional<RegistryImage> remote;
    try {
        remote = inspect_remote(engine, hash_tag);
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
    r.ok = true;
    r.cached = true;
    r.in_registry = true;
    r.tags = build.tags;
    r.labels = remote->labels;
    r.digest = remote->digest;
    r.pushed = repository_of(hash_tag) + "@" + remote->digest;
    auto local = engine.inspect_image(hash_tag);
    if (local) {
        r.image_id = local->value("Id", "");
        r.size_bytes = local->value("Size", std::uint64_t{0});
    }
    if (!readable_remote || readable_remote->digest != remote->digest) {
        // the readable tag is missing or names an older build: point it at this image, by a push
        // of the same manifest when the image is local (under any repository), else registry-side
        CommandResult moved;
        if (auto here = local ? std::nullopt : find_cached(engine, build)) {
            r.image_id = here->image_id;
            r.size_bytes = here->size_bytes;
            local = engine.inspect_image(hash_tag);
        }
        if (local) {
            run_command({engine.docker(), "tag", r.image_id, readable});
            moved = run_command({engine.docker(), "push", readable});
        } else {
            moved = run_command({engine.docker(), "buildx", "imagetools", "create", "--tag", readable, r.pushed});
        }
        if (moved.exit_code != 0) {
            r.ok = false;
            r.error = fmt::format("{} holds config hash {} but moving {} onto it failed: {}", hash_tag,
                                  build.config_hash.substr(0, 12), readable,
                                  first_line(moved.err.empty() ? moved.out : moved.err));
        }
    }
    return r;
}

}  // namespace pymatrix
