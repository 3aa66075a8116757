// The template version: a digest of the embedded dockerfiles/ files.
#include "pymatrix/hash.hpp"
#include "pymatrix/templates.hpp"

namespace pymatrix {

std::string template_version() {
    static const std::string v = "2-" + sha256_hex(std::string(embedded::cpython_dockerfile) +
                                                   std::string(embedded::buildinfo_py) +
                                                   std::string(embedded::pymatrix_launcher_c)).substr(0, 12);
    return v;
}

}  // namespace pymatrix
