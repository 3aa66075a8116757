// Labels derived from the build-info JSON an image carries (DESIGN.md, "Labels").
#include "pymatrix/labels.hpp"
#include "pymatrix/templates.hpp"
#include "pymatrix/isa.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace pymatrix {

BuildInfo parse_build_info(const nlohmann::json& doc) {
    BuildInfo i;
    try {
        i.python_version = doc.at("python_version").get<std::string>();
        i.config_args = doc.at("config_args").get<std::string>();
        i.cflags = doc.at("cflags").get<std::string>();
        i.cflags_nodist = doc.at("cflags_nodist").get<std::string>();
        i.arch = doc.at("arch").get<std::string>();
        i.march_requested = doc.at("march_requested").get<std::string>();
        i.march_resolved = doc.at("march_resolved").get<std::string>();
        i.build_host_cpu = doc.at("build_host_cpu").get<std::string>();
        i.missing_modules = doc.at("missing_modules").get<std::vector<std::string>>();
        i.features = isa::features_from_macros(doc.at("cc_macros").get<std::string>());
        i.packages = doc.value("packages", std::vector<std::string>{});
        i.elf_isa_needed = doc.value("elf_isa_needed", std::vector<std::string>{});
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("build-info JSON: {}", e.what()));
    }
    if (i.arch == "x86_64") i.level = isa::level_of(i.features);
    // binutils spells the baseline "x86-64-baseline"; the psABI's other levels as pymatrix does
    const auto& levels = isa::x86_64_levels();
    auto rank = [&](const std::string& level) {
        return std::find(levels.begin(), levels.end(), level == "x86-64-baseline" ? "x86-64" : level) - levels.begin();
    };
    for (const auto& needed : i.elf_isa_needed)
        if (i.arch == "x86_64" && rank(needed) < static_cast<long>(levels.size()) && rank(needed) > rank(i.level))
            throw Error(fmt::format("the interpreter's ELF note says it needs {} (x86 ISA needed), more than {} that "
                                    "its compiler flags imply: its ISA labels would understate what it needs",
                                    needed, i.level.empty() ? "nothing" : i.level));
    return i;
}

std::map<std::string, std::string> labels_for(const Build& b, const BuildInfo& i, const std::string& created) {
    std::vector<std::string> features(i.features.begin(), i.features.end());
    std::string march = i.march_requested.empty() ? "" : i.march_requested;
    if (!i.march_resolved.empty()) march += (march.empty() ? "(default) -> " : " -> ") + i.march_resolved;
    std::map<std::string, std::string> out = {
        {label::profile, b.profile},
        {label::python_version, i.python_version},
        {label::config_args, i.config_args},
        {label::config_hash, b.config_hash},
        {label::isa_arch, i.arch},
        {label::isa_level, i.level},
        {label::isa_features, util::join(features, " ")},
        {label::isa_march, march},
        {label::build_host_cpu, i.build_host_cpu},
        {label::oci_created, created},
        {label::oci_version, i.python_version},
    };
    // the Dockerfile failed the build unless the workload ran to its end, so this is what trained it
    if (const PgoWorkload* w = pgo_workload_of(b.settings))
        out[label::pgo_workload] = w->name + " " + w->file + " sha256:" + w->sha256;
    if (b.python.is_packaged()) out[label::package] = util::join(i.packages, " ");
    return out;
}

std::string now_rfc3339() {
    std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool carries_config_hash(const std::optional<nlohmann::json>& image, const std::string& config_hash) {
    if (!image || !image->contains("Config")) return false;
    const auto& config = (*image)["Config"];
    if (!config.is_object() || !config.contains("Labels")) return false;
    const auto& labels = config["Labels"];
    return labels.is_object() && labels.value(label::config_hash, std::string()) == config_hash;
}

}  // namespace pymatrix
