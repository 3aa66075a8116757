// render/embedded.hpp: the files of dockerfiles/, embedded at build time by
// cmake/embed_files.cmake (internal).
#pragma once

#include <string_view>

namespace pymatrix::embedded {
extern const std::string_view cpython_dockerfile;  ///< dockerfiles/cpython.Dockerfile.in
extern const std::string_view buildinfo_py;        ///< dockerfiles/buildinfo.py
extern const std::string_view isa_guard_sh;        ///< dockerfiles/isa-guard.sh
}  // namespace pymatrix::embedded
