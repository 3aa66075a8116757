// Rendering dockerfiles/cpython.Dockerfile.in for one Build.
#include "pymatrix/render.hpp"
#include "pymatrix/templates.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <stdexcept>
#include <string_view>

namespace pymatrix {
namespace {
/// The value of a template placeholder. `whole_lines`: the placeholder stands alone on its line and
/// the value is zero or more complete lines, so the placeholder's newline goes with it.
struct Value {
    std::string text;
    bool whole_lines = false;
};

/// `tmpl` with each `@NAME@` whose NAME is a key of `values` replaced, in a single pass: inserted
/// text is never scanned again, so a profile value that contains "@PROFILE@" stays as it is. An
/// '@' that does not open a known placeholder is copied unchanged (its closing '@' may open the
/// next one).
std::string substitute(std::string_view tmpl, const std::map<std::string, Value, std::less<>>& values) {
    std::string out;
    out.reserve(tmpl.size() + 1024);
    std::size_t i = 0;
    for (;;) {
        std::size_t open = tmpl.find('@', i);
        std::size_t close = open == std::string_view::npos ? open : tmpl.find('@', open + 1);
        if (close == std::string_view::npos) break;
        auto it = values.find(tmpl.substr(open + 1, close - open - 1));
        if (it == values.end()) {
            out.append(tmpl.substr(i, close - i));
            i = close;
            continue;
        }
        out.append(tmpl.substr(i, open - i));
        out += it->second.text;
        i = close + 1;
        if (it->second.whole_lines && i < tmpl.size() && tmpl[i] == '\n') ++i;
    }
    out.append(tmpl.substr(i));
    return out;
}

/// A JSON exec-form array: the Dockerfile parser decodes it without any shell.
std::string exec_form(const std::vector<std::string>& argv) { return nlohmann::json(argv).dump(); }
}  // namespace

std::string context_source_name(const Build& b) {
    if (b.python.is_packaged()) return "";
    const std::string& src = b.python.source;
    for (const char* ext : {".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar.zst"}) {
        std::string e(ext);
        if (src.size() >= e.size() && src.compare(src.size() - e.size(), e.size(), e) == 0)
            return "Python-" + b.python.version + e;
    }
    return "Python-" + b.python.version + ".tar.xz";
}

namespace {
/// dockerfiles/debian-package.Dockerfile.in for a packaged python: the packages go to apt-get as
/// exec-form arguments, never through a shell.
std::string render_package_dockerfile(const Build& b) {
    std::vector<std::string> packages = {b.python.package};
    packages.insert(packages.end(), b.python.packages.begin(), b.python.packages.end());
    auto install = [&](const char* argv0, std::vector<std::string> more) {
        std::vector<std::string> argv = {"/bin/sh", "-c",
                                         "apt-get update && apt-get install -y --no-install-recommends \"$@\" "
                                         "&& rm -rf /var/lib/apt/lists/*",
                                         argv0};
        argv.insert(argv.end(), packages.begin(), packages.end());
        argv.insert(argv.end(), more.begin(), more.end());
        return exec_form(argv);
    };
    std::string words;  // dpkg-query's arguments: Debian package names ([a-z0-9][a-z0-9+.-]+, validated)
    for (const auto& p : packages) words += (words.empty() ? "" : " ") + p;
    return substitute(embedded::debian_package_dockerfile,
                      {{"INSTALL_INSPECT", {install("install-inspect", {"gcc", "libc6-dev", "binutils"})}},
                       {"INSTALL_RUNTIME", {install("install-runtime", {"ca-certificates"})}},
                       {"PACKAGE_WORDS", {words}},
                       {"PACKAGE", {b.python.package}},
                       {"TEMPLATE_VERSION", {package_template_version()}},
                       {"BUILD_NAME", {b.name}},
                       {"PYTHON_VERSION", {b.python.version}},
                       {"PROFILE", {b.profile}},
                       {"CONFIG_HASH", {b.config_hash}},
                       {"BASE_IMAGE", {b.base_image}}});
}
}  // namespace

std::string render_dockerfile(const Build& b) {
    if (b.python.is_packaged()) return render_package_dockerfile(b);
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
    // A pgo_workload: the context's pymatrix/pgo-workload/ (render_context_files) mounted for make,
    // and a step that fails the build when the training run did not end well (make's
    // `./python $(PROFILE_TASK) || true` would not). Other builds keep the step as it was.
    std::string make_mount, workload_check;
    if (!b.settings.pgo_workload.empty()) {
        make_mount = fmt::format("--mount=type=bind,source=pymatrix/pgo-workload,target={} ", pgo_workload_mount);
        workload_check = fmt::format(
            "# the PGO training workload must have run to its end: make ignores a failing training run\n"
            "RUN test -f {0} || {{ echo 'pymatrix: the PGO training workload {1} failed (pgo_train.py wrote no {0}): "
            "its output is in the make step above' >&2; exit 1; }}\n",
            pgo_workload_stamp, b.settings.pgo_workload);
    }
    return substitute(embedded::cpython_dockerfile,
                      {{"EXTRA_PACKAGES_RUN", {extra, true}},
                       {"MAKE_MOUNT", {make_mount}},
                       {"PGO_WORKLOAD_CHECK", {workload_check, true}},
                       {"CONFIGURE_EXEC", {exec_form(configure)}},
                       {"TEMPLATE_VERSION", {template_version()}},
                       {"BUILD_NAME", {b.name}},
                       {"PYTHON_VERSION", {b.python.version}},
                       {"PROFILE", {b.profile}},
                       {"CONFIG_HASH", {b.config_hash}},
                       {"BASE_IMAGE", {b.base_image}},
                       {"SOURCE_FILE", {context_source_name(b)}},
                       {"SOURCE_SHA256", {b.python.sha256}}});
}

std::string shared_stages_text(const Build& b) {
    // A line starting "FROM " comes from the template: profile values hold no newline (the loader
    // refuses control characters) and are never at the start of a line.
    std::string d = render_dockerfile(b);
    std::size_t begin = std::string::npos;
    bool in_source = false;
    for (std::size_t line = 0; line < d.size();) {
        std::size_t eol = d.find('\n', line);
        if (eol == std::string::npos) eol = d.size();
        std::string_view l(d.data() + line, eol - line);
        if (l.rfind("FROM ", 0) == 0) {
            if (in_source) return d.substr(begin, line - begin);
            if (l.ends_with(" AS build-deps")) begin = line;
            else if (begin != std::string::npos && l.ends_with(" AS source")) in_source = true;
        }
        line = eol + 1;
    }
    throw std::logic_error("the Dockerfile template has no build-deps and source stages followed by another stage");
}

std::vector<ContextFile> render_context_files(const Build& b) {
    // (a packaged python's context: the same three files; its settings hold no pgo_workload)
    std::vector<ContextFile> files = {{"Dockerfile", render_dockerfile(b), 0644},
                                      {"pymatrix/buildinfo.py", std::string(embedded::buildinfo_py), 0644},
                                      {"pymatrix/pymatrix-launcher.c", std::string(embedded::pymatrix_launcher_c), 0644}};
    if (const PgoWorkload* w = pgo_workload_of(b.settings)) {
        files.push_back({"pymatrix/pgo-workload/pgo_train.py", std::string(embedded::pgo_train_py), 0644});
        for (const auto& [path, content] : w->files) files.push_back({"pymatrix/pgo-workload/" + path, content, 0644});
    }
    return files;
}

}  // namespace pymatrix
