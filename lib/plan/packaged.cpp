// A packaged python's build: the distribution compiled it, so no build setting applies.
#include "packaged.hpp"
#include "pymatrix/hash.hpp"
#include "pymatrix/templates.hpp"

#include <fmt/format.h>

namespace pymatrix {

void plan_packaged(Build& b, const std::string& defaults_base_image) {
    auto refuse = [&](const SourcePosition& at, const std::string& key, const std::string& setting) {
        throw ConfigError(at, key,
                          fmt::format("python '{}' is the distribution's package {}, compiled by the distribution: "
                                      "{} does not apply to it; pair it with a profile that sets no build settings, "
                                      "or exclude the combination",
                                      b.python.key, b.python.package, setting));
    };
    for (const auto& [key, value] : b.axes)
        if (key != "python" && key != "profile" && key != "base_image") refuse(b.where, "matrix", key + " = " + value);
    for (const auto& [key, at] : b.settings.origin)
        if (key != "base_image") refuse(at, "profiles." + b.profile + "." + key, key);
    const std::string& own = b.python.base_image;
    if (!own.empty() && !b.settings.base_image.empty() && b.settings.base_image != own)
        throw ConfigError(b.settings.origin.count("base_image") ? b.settings.origin.at("base_image") : b.where,
                          "profiles." + b.profile + ".base_image",
                          fmt::format("base_image '{}' differs from '{}', the release python '{}' names for its "
                                      "package {}: keep one",
                                      b.settings.base_image, own, b.python.key, b.python.package));
    b.base_image = !own.empty() ? own : !b.settings.base_image.empty() ? b.settings.base_image : defaults_base_image;
    b.configure_args.clear();
    b.build_packages.clear();
    b.toolchain_packages.clear();
    nlohmann::json canon = {{"package", b.python.package},
                            {"packages", b.python.packages},
                            {"base_image", b.base_image},
                            {"template", package_template_version()}};
    b.config_hash = sha256_hex(canon.dump());
}

}  // namespace pymatrix
