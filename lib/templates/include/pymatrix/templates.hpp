// pymatrix/templates.hpp: the files of dockerfiles/ (the Dockerfile template, the in-image
// build-info script and the ISA launcher's C source), embedded at build time by cmake/embed_files.cmake, and
// the template version every config hash carries. Throws nothing.
#pragma once

#include <string>
#include <string_view>

namespace pymatrix {

namespace embedded {
extern const std::string_view cpython_dockerfile;  ///< dockerfiles/cpython.Dockerfile.in
extern const std::string_view buildinfo_py;        ///< dockerfiles/buildinfo.py
extern const std::string_view pymatrix_launcher_c; ///< dockerfiles/pymatrix-launcher.c
}  // namespace embedded

/// Version of the Dockerfile template and build procedure: "2-" (2: the ISA guard moved into the
/// interpreter's own path) and the first 12 hex digits of
/// the SHA-256 of the three embedded files. Part of every config hash, so a change to how images
/// are built changes every tag that names a config hash.
std::string template_version();

}  // namespace pymatrix
