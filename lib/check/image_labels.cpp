// Reading an image's labels from a docker save archive, the local store, or a registry.
#include "pymatrix/image_labels.hpp"
#include "pymatrix/tags.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>

namespace pymatrix {
namespace {

std::map<std::string, std::string> labels_from_config(const nlohmann::json& cfg) {
    std::map<std::string, std::string> out;
    const nlohmann::json* labels = nullptr;
    if (cfg.contains("config") && cfg["config"].is_object() && cfg["config"].contains("Labels")) labels = &cfg["config"]["Labels"];
    else if (cfg.contains("Config") && cfg["Config"].is_object() && cfg["Config"].contains("Labels")) labels = &cfg["Config"]["Labels"];
    else if (cfg.is_object() && !cfg.contains("config") && !cfg.contains("Config")) labels = &cfg;  // a Labels object itself
    if (labels && labels->is_object())
        for (auto& [k, v] : labels->items())
            if (v.is_string()) out[k] = v.get<std::string>();
    return out;
}

/// `docker save` output: manifest.json names the config JSON of the (first) image.
std::map<std::string, std::string> labels_from_archive(const std::string& path) {
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
    archive_read_support_format_tar(a.get());
    archive_read_support_filter_all(a.get());
    if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
        throw ConfigError({}, "IMAGE", fmt::format("{}: not a readable archive: {}", path, archive_error_string(a.get())));
    std::map<std::string, std::string> json_members;  // small JSON members only; layers are skipped
    archive_entry* e = nullptr;
    int rc;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
        std::string name = archive_entry_pathname(e);
        auto size = archive_entry_size(e);
        bool config_like = name == "manifest.json" || name.rfind("blobs/sha256/", 0) == 0 ||
                           (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0);
        if (!config_like || size <= 0 || size > (4 << 20)) continue;
        std::string data(static_cast<std::size_t>(size), '\0');
        if (archive_read_data(a.get(), data.data(), data.size()) != size) continue;
        if (!data.empty() && (data[0] == '{' || data[0] == '[')) json_members[name] = std::move(data);
    }
    if (rc != ARCHIVE_EOF)
        throw ConfigError({}, "IMAGE", fmt::format("{}: damaged archive: {}", path, archive_error_string(a.get())));
    auto m = json_members.find("manifest.json");
    if (m == json_members.end())
        throw ConfigError({}, "IMAGE", fmt::format("{}: no manifest.json: not a `docker save` archive", path));
    try {
        auto manifest = nlohmann::json::parse(m->second);
        std::string config = manifest.at(0).at("Config").get<std::string>();
        auto c = json_members.find(config);
        if (c == json_members.end())
            throw ConfigError({}, "IMAGE", fmt::format("{}: image config {} is missing from the archive", path, config));
        return labels_from_config(nlohmann::json::parse(c->second));
    } catch (const nlohmann::json::exception& ex) {
        throw ConfigError({}, "IMAGE", fmt::format("{}: unreadable manifest or config: {}", path, ex.what()));
    }
}

}  // namespace

ImageLabels read_image_labels(const std::string& ref, const Builder* builder) {
    ImageLabels out;
    out.ref = ref;
    if (std::filesystem::is_regular_file(ref)) {
        out.source = ImageSource::archive;
        out.labels = labels_from_archive(ref);
        return out;
    }
    if (!builder) throw EnvironmentError("no Docker engine to read " + ref + " from");
    if (auto doc = builder->inspect_local(ref)) {
        out.source = ImageSource::local;
        out.labels = labels_from_config(*doc);
        out.id = doc->value("Id", "");
        out.size_bytes = doc->value("Size", std::uint64_t{0});
        return out;
    }
    if (!names_registry_host(ref))
        throw ConfigError({}, "IMAGE", fmt::format("'{}' is not a file and not a local image; to read a registry without pulling, name its "
                                          "host: HOST[:PORT]/PATH:TAG", ref));
    // the same lookup as build --push: one wording for a registry that does not answer (exit 5)
    auto remote = builder->inspect_remote(ref);
    if (!remote) throw ConfigError({}, "IMAGE", fmt::format("{}: not in the local store and not in the registry {}", ref, registry_host(ref)));
    out.source = ImageSource::registry;
    out.labels = std::move(remote->labels);
    out.digest = std::move(remote->digest);
    for (auto& e : remote->entries) {
        ImageLabels entry;
        entry.ref = repository_of(ref) + "@" + e.digest;  // what pulls exactly this entry
        entry.source = ImageSource::registry;
        entry.labels = std::move(e.labels);
        entry.digest = e.digest;
        entry.platform = std::move(e.platform);
        out.entries.push_back(std::move(entry));
    }
    return out;
}

const char* source_name(ImageSource s) {
    return s == ImageSource::archive ? "archive" : s == ImageSource::registry ? "registry" : "local";
}

}  // namespace pymatrix
