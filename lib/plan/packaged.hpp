// plan/packaged.hpp: planning a packaged python's build (internal to expand()).
#pragma once

#include "pymatrix/plan.hpp"

namespace pymatrix {

/// Completes `b` (python, profile, settings and axes set) for a packaged python
/// (Python::is_packaged()): no configure argv, no toolchain; base_image = the python's
/// base_image, else the profile's, else `defaults_base_image`; config_hash = SHA-256 over the
/// package, its extra packages, the base image and package_template_version().
/// Throws ConfigError (exit 2) when the build carries a setting that only a compiled build can
/// use: any profile setting but base_image, or a matrix axis overriding one (at the setting's
/// file:line, key "profiles.<profile>.<setting>", or the combination's, key "matrix"), or when
/// the profile's base_image differs from the python's (key "profiles.<profile>.base_image").
void plan_packaged(Build& b, const std::string& defaults_base_image);

}  // namespace pymatrix
