// The images under test: by reference, or a matrix's builds by their config-hash tag.
// An image pymatrix did not build (no io.pymatrix.python.version label) is asked for its
// Python version by the interpreter the bench runs in it (python_version_in).
#include "pymatrix/bench.hpp"
#include "pymatrix/labels.hpp"

#include <fmt/format.h>

#include <cctype>

namespace pymatrix::bench {

namespace {

Subject from_inspect(const std::string& name, const std::string& ref, const nlohmann::json& doc) {
    Subject s;
    s.name = name;
    s.image = ref;
    s.image_id = doc.value("Id", "");
    s.size_bytes = doc.value("Size", std::uint64_t{0});
    const auto& labels = doc["Config"]["Labels"];
    if (labels.is_object()) {
        s.python_version = labels.value(label::python_version, "");
        s.profile = labels.value(label::profile, "");
    }
    return s;
}

}  // namespace

std::string python_version_in(const Builder& builder, const std::string& ref) {
    RunRequest q;
    q.image = ref;
    q.command = {"python3", "-c", "import platform; print(platform.python_version())"};
    const auto r = builder.run(q);
    std::string v = r.out;
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    // one line of digits and dots, with a pre-release or "+" suffix at most ("3.15.0a2", "3.14.0+")
    const bool looks_right = !v.empty() && v.size() <= 32 && std::isdigit(static_cast<unsigned char>(v[0])) &&
                             v.find_first_not_of("0123456789.abrc+") == std::string::npos;
    return r.exit_code == 0 && looks_right ? v : "";
}

std::vector<Subject> subjects_from_images(const Builder& builder, const std::vector<std::string>& refs) {
    std::vector<Subject> out;
    for (auto& ref : refs) {
        auto doc = builder.inspect_local(ref);
        if (!doc)
            throw ConfigError({}, "IMAGE",
                              fmt::format("'{}' is not in the local image store (docker images; pymatrix build FILE)", ref));
        out.push_back(from_inspect(ref, ref, *doc));
        if (out.back().python_version.empty()) out.back().python_version = python_version_in(builder, ref);
    }
    return out;
}

std::vector<Subject> subjects_from_builds(const Builder& builder, const std::vector<Build>& builds,
                                          const std::string& matrix_path) {
    std::vector<Subject> out;
    std::vector<std::string> missing, only;
    for (auto& b : builds) {
        const std::string& hash_tag = b.tags.back();
        auto doc = builder.inspect_local(hash_tag);
        if (!carries_config_hash(doc, b.config_hash)) {
            missing.push_back(fmt::format("{} ({})", b.name, hash_tag));
            only.push_back(" --only " + b.name);
            continue;
        }
        out.push_back(from_inspect(b.name, hash_tag, *doc));
    }
    if (!missing.empty())
        throw EnvironmentError(fmt::format("{}: not built yet: {}; build them first: pymatrix build {}{}", matrix_path,
                                           fmt::join(missing, ", "), matrix_path, fmt::join(only, "")));
    return out;
}

std::size_t apply_build_metadata(std::vector<Subject>& subjects, const nlohmann::json& doc) {
    if (!doc.is_object() || !doc.contains("builds") || !doc["builds"].is_array())
        throw ConfigError({}, "--metadata-file", "not a pymatrix build --metadata-file document (no \"builds\" array)");
    std::size_t applied = 0;
    for (auto& s : subjects) {
        for (auto& b : doc["builds"]) {
            bool same = !s.image_id.empty() && b.value("image_id", "") == s.image_id;
            if (!same && b.contains("tags") && b["tags"].is_array())
                for (auto& t : b["tags"]) same |= t.is_string() && t.get<std::string>() == s.image;
            if (!same) continue;
            if (b.value("status", "") == "built" && b.contains("duration_seconds") && b["duration_seconds"].is_number()) {
                s.build_seconds = b["duration_seconds"].get<double>();
                ++applied;
            }
            break;
        }
    }
    return applied;
}

}  // namespace pymatrix::bench
