// cpython/toolchain.cpp: the Debian packages and configure tool variables a build needs in its
// builder stage, from the rules table (rules.cpp) and kToolPaths below.
// builder_toolchain() throws pymatrix::ConfigError only for an unparsable version.
#include "pymatrix/cpython.hpp"
#include "rules_detail.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

namespace pymatrix {
namespace {

using namespace rules_detail;

// Tools configure looks up by their unversioned name with AC_PATH_TOOL (PATH, plus clang's LLVM
// directory only when CC is exactly "clang"), which Debian installs only in /usr/lib/llvm-N/bin
// (on PATH they are name-N). Checked with dpkg-deb -c on Debian 12's bolt-15/16/19 and
// llvm-14/19, and against CPython 3.13.5's configure.ac (AC_PATH_TOOL LLVM_BOLT, MERGE_FDATA,
// LLVM_AR, LLVM_PROFDATA; the error messages "llvm-bolt is required for a --enable-bolt build",
// "llvm-ar is required for a --with-lto build with clang", and for PGO with clang
// "llvm-profdata is required").
struct ToolPath {
    std::string_view option;    // as option_name() gives it
    bool with_clang_only;       // only when CC= names clang (gcc builds use gcc-ar / gcov)
    std::string_view variable;  // configure variable
    std::string_view program;   // in /usr/lib/llvm-N/bin
    std::string_view package;   // stem of the Debian package giving N: "bolt" -> bolt-N
    std::string_view runtime;   // "" or the stem of a runtime package the option needs: <stem>-N-dev
};
// The clang PGO build links its instrumented binary against the profile runtime
// (libclang_rt.profile-x86_64.a from the -fprofile-instr-generate driver flag). Debian ships it in
// libclang-rt-N-dev, which libclang-common-N-dev only recommends: the build-deps stage installs
// without recommends, and the link stopped with "/usr/bin/ld: cannot find
// /usr/lib/llvm-19/lib/clang/19/lib/linux/libclang_rt.profile-x86_64.a" (issue 15).
// clang-format off
constexpr ToolPath kToolPaths[] = {
    {"--enable-bolt",          false, "LLVM_BOLT",     "llvm-bolt",     "bolt", ""},
    {"--enable-bolt",          false, "MERGE_FDATA",   "merge-fdata",   "bolt", ""},
    {"--with-lto",             true,  "LLVM_AR",       "llvm-ar",       "llvm", ""},
    {"--enable-optimizations", true,  "LLVM_PROFDATA", "llvm-profdata", "llvm", "libclang-rt"},
};
// clang-format on

// N of "<stem>-N" among `packages`, 0 when none.
int major_of(const std::vector<std::string>& packages, std::string_view stem) {
    const std::regex re(std::string(stem) + R"(-(\d{1,4}))");
    std::smatch m;
    for (const auto& p : packages)
        if (std::regex_match(p, m, re)) return std::stoi(m[1]);
    return 0;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

BuilderToolchain builder_toolchain(const std::string& python_version,
                                   const std::vector<std::string>& configure_args,
                                   const std::string& base_image,
                                   const std::vector<std::string>& build_packages) {
    const MinorVersion v = minor_version_of(python_version);
    const std::string suite = debian_suite(base_image);
    const bool known = suite_known(suite);
    const Compiler cc = compiler_of(configure_args, suite);

    BuilderToolchain tc;
    std::vector<std::string> chosen;  // every package the build gets, the profile's included
    auto add = [&](const std::string& p) {
        if (!contains(chosen, p)) chosen.push_back(p);
        if (contains(build_packages, p) || contains(tc.packages, p)) return;
        tc.packages.push_back(p);
        if (auto security = security_suite_of(suite, p); !security.empty())
            tc.notes.push_back(fmt::format("{} comes from {}: {} must list that suite in its apt sources (Docker "
                                           "Hub's debian:bookworm images do), else apt cannot find it",
                                           p, security, base_image));
    };
    auto available = [&](const std::string& p) { return !known || suite_has(suite, p); };

    if (cc.clang) {
        if (available(cc.package))
            add(cc.package);
        else
            tc.notes.push_back(fmt::format("{}, but the Debian suite of {} ({}) has no {} package: configure "
                                           "will find no C compiler",
                                           cc.shown, base_image, suite, cc.package));
    }

    std::vector<std::string> options;  // options in use, for kToolPaths
    for (const auto& arg : configure_args) {
        const std::string name = option_name(arg);
        if (name.empty()) continue;
        const std::string value = value_of(arg);
        if (value == "no") continue;  // disabled: nothing to build it with
        options.push_back(name);
        for (const auto& r : option_rules()) {
            if (r.kind == RuleKind::known_crash) continue;  // names a package to avoid, not one to install
            if (r.option != name || !applies_to_value(r, value)) continue;
            if (v < r.since || (!r.until.none() && v > r.until)) continue;
            for (const auto& group : words(r.packages)) {
                const auto alternatives = words(group, '|');
                std::string pick;
                for (const auto& a : alternatives)  // 1. what the profile installs itself
                    if (pick.empty() && contains(build_packages, a)) pick = a;
                if (pick.empty() && cc.major)  // 2. the LLVM major of the clang CC=
                    for (const auto& a : alternatives)
                        if (pick.empty() && a.ends_with(fmt::format("-{}", cc.major)) && available(a)) pick = a;
                for (const auto& a : alternatives)  // 3. the first the suite has
                    if (pick.empty() && available(a)) pick = a;
                if (!pick.empty()) add(pick);  // else check_rules() rejects the build
            }
        }
    }

    auto assigned = [&](std::string_view variable) {
        return std::any_of(configure_args.begin(), configure_args.end(),
                           [&](const std::string& a) { return a.rfind(std::string(variable) + "=", 0) == 0; });
    };
    for (const auto& t : kToolPaths) {
        if (!contains(options, std::string(t.option)) || (t.with_clang_only && !cc.clang)) continue;
        int major = 0;
        if (t.package == "llvm") {
            major = cc.major;
            if (major) {
                const std::string llvm = fmt::format("llvm-{}", major);
                if (available(llvm)) add(llvm);
                else major = 0;
            }
            const std::string runtime = fmt::format("{}-{}-dev", t.runtime, cc.major);
            if (!t.runtime.empty() && cc.major && available(runtime)) add(runtime);
        } else {
            major = major_of(chosen, t.package);
            if (!major) continue;  // no package could be chosen: check_rules() rejects the build
        }
        if (assigned(t.variable)) continue;  // the profile's own value stays
        if (!major) {
            tc.notes.push_back(fmt::format("{} with {} needs {}, but pymatrix cannot tell which llvm-N package "
                                           "{} provides for it: give {}=/path/to/{} in configure and the package "
                                           "in build_packages",
                                           t.option, cc.shown, t.program, base_image, t.variable, t.program));
            continue;
        }
        tc.assignments.push_back(fmt::format("{}=/usr/lib/llvm-{}/bin/{}", t.variable, major, t.program));
    }
    return tc;
}

}  // namespace pymatrix
