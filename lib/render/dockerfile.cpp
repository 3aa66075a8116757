// Rendering dockerfiles/cpython.Dockerfile.in for one Build.
#include "pymatrix/render.hpp"
#include "pymatrix/templates.hpp"

#include <nlohmann/json.hpp>

namespace pymatrix {
namespace {
void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

/// A JSON exec-form array: the Dockerfile parser decodes it without any shell.
std::string exec_form(const std::vector<std::string>& argv) { return nlohmann::json(argv).dump(); }
}  // namespace

std::string context_source_name(const Build& b) {
    const std::string& src = b.python.source;
    for (const char* ext : {".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar.zst"}) {
        std::string e(ext);
        if (src.size() >= e.size() && src.compare(src.size() - e.size(), e.size(), e) == 0)
            return "Python-" + b.python.version + e;
    }
    return "Python-" + b.python.version + ".tar.xz";
}

std::string render_dockerfile(const Build& b) {
    std::string d(embedded::cpython_dockerfile);
    // After the shared apt layer, each in a RUN of its own: the toolchain the rules table asks for
    // (shared by every build with the same needs), then the profile's own packages.
    auto install = [](const char* comment, const char* argv0, const std::vector<std::string>& packages) {
        if (packages.empty()) return std::string();
        std::vector<std::string> argv = {"/bin/sh", "-c",
                                         "apt-get update && apt-get install -y --no-install-recommends \"$@\" "
                                         "&& rm -rf /var/lib/apt/lists/*",
                                         argv0};
        argv.insert(argv.end(), packages.begin(), packages.end());
        return std::string(comment) + "\nRUN " + exec_form(argv) + "\n";
    };
    std::string extra =
        install("# the toolchain the rules table requires for this build (LLVM_BOLT=... are in configure's argv)",
                "install-toolchain", b.toolchain_packages) +
        install("# the profile's extra build packages", "install-build-packages", b.build_packages);
    std::vector<std::string> configure = {"./configure"};
    configure.insert(configure.end(), b.configure_args.begin(), b.configure_args.end());
    replace_all(d, "@EXTRA_PACKAGES_RUN@\n", extra);
    replace_all(d, "@CONFIGURE_EXEC@", exec_form(configure));
    replace_all(d, "@TEMPLATE_VERSION@", template_version());
    replace_all(d, "@BUILD_NAME@", b.name);
    replace_all(d, "@PYTHON_VERSION@", b.python.version);
    replace_all(d, "@PROFILE@", b.profile);
    replace_all(d, "@CONFIG_HASH@", b.config_hash);
    replace_all(d, "@BASE_IMAGE@", b.base_image);
    replace_all(d, "@SOURCE_FILE@", context_source_name(b));
    replace_all(d, "@SOURCE_SHA256@", b.python.sha256);
    return d;
}

std::vector<ContextFile> render_context_files(const Build& b) {
    return {{"Dockerfile", render_dockerfile(b), 0644},
            {"pymatrix/buildinfo.py", std::string(embedded::buildinfo_py), 0644},
            {"pymatrix/isa-guard.sh", std::string(embedded::isa_guard_sh), 0755}};
}

}  // namespace pymatrix
