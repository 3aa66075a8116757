// cpython/rules.cpp: which configure options need which CPython release, compiler and Debian
// packages, as data (kRules, kSuites), and check_rules() over them.
// check_rules() throws pymatrix::ConfigError only for an unparsable version. builder_toolchain()
// (toolchain.cpp) reads the same data through cpython/rules_detail.hpp.
#include "pymatrix/cpython.hpp"
#include "rules_detail.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

namespace pymatrix {
namespace {

using RK = RuleKind;

// clang-format off
constexpr OptionRule kRules[] = {
    {RK::available, "--enable-bolt", "", {3, 12}, {}, "", "",
     "llvm-bolt and merge-fdata (rows below)",
     "BOLT post-link optimisation was added to configure in CPython 3.12",
     "CPython Doc/using/configure.rst (--enable-bolt, versionadded 3.12); What's New in Python 3.12"},

    // Package groups list their alternatives in order of preference (builder_toolchain()).
    {RK::requires_toolchain, "--enable-bolt", "", {3, 12}, {3, 12}, "",
     "bolt-19|bolt-22|bolt-18|bolt-17|bolt-16|bolt-15",
     "llvm-bolt and merge-fdata: Debian bolt-N installs them as /usr/lib/llvm-N/bin/llvm-bolt and "
     "/usr/lib/llvm-N/bin/merge-fdata (on PATH only as llvm-bolt-N, merge-fdata-N), so pymatrix passes "
     "LLVM_BOLT= and MERGE_FDATA=",
     "configure finds the tools with AC_PATH_TOOL(llvm-bolt) and AC_PATH_TOOL(merge-fdata) on PATH (plus "
     "clang's LLVM directory when CC=clang) and stops with \"llvm-bolt is required for a --enable-bolt build "
     "but could not be found\" without them",
     "CPython 3.12 configure.ac (AC_PATH_TOOL LLVM_BOLT, MERGE_FDATA); dpkg-deb -c bolt-15/16/19 on Debian 12 "
     "(no 3.12 tarball here: which BOLT its flags need is not checked)"},

    // bolt-19 first: the one the seed matrix built 3.13 with (gcc 12); a clang-N build takes bolt-N.
    {RK::requires_toolchain, "--enable-bolt", "", {3, 13}, {}, "",
     "bolt-19|bolt-22|bolt-18",
     "llvm-bolt and merge-fdata of LLVM 18 or newer (Debian 12: bolt-19, or bolt-22 from its security "
     "suite), as LLVM_BOLT= and MERGE_FDATA=",
     "CPython 3.13's default BOLT_APPLY_FLAGS pass -reorder-functions=cdsort, which BOLT has from LLVM 18: "
     "Debian 12's llvm-bolt-15 and -16 stop with \"for the --reorder-functions option: Cannot find option "
     "named 'cdsort'!\" (checked here); configure finds the tools as in 3.12",
     "CPython 3.13.5 configure.ac (BOLT_APPLY_FLAGS, AC_PATH_TOOL LLVM_BOLT, MERGE_FDATA); "
     "llvm-bolt -reorder-functions=cdsort with bolt-16 and bolt-19 of Debian 12"},

    // Evidence (issue 15, "Tried as a new user would", Intel Xeon VM): a 3.13.5 profile with
    // pgo = true, lto = "full", bolt = true and CC=clang-19 on debian:bookworm-slim compiled, trained
    // and linked, then llvm-bolt 19 (bolt-19 1:19.1.7-3~deb12u1) crashed with a segmentation fault in
    // profile-bolt-stamp; the same profile with gcc 12 + bolt-19 built in the seed matrix
    // (matrices/seed.toml, 3.13-pgo-lto-bolt). Seen once, on 3.13: later versions are kept under
    // the rule until a build shows otherwise.
    {RK::known_crash, "--enable-bolt", "", {3, 13}, {}, "clang-19", "bolt-19",
     "llvm-bolt 19 on a clang-19 build",
     "llvm-bolt 19 crashed (segmentation fault) in profile-bolt-stamp of a clang-19 PGO+LTO+BOLT build "
     "of CPython 3.13.5 on Debian 12, after about 20 minutes of build; gcc 12 + bolt-19 built the same "
     "source",
     "issue 15 (Tried as a new user would); matrices/seed.toml 3.13-pgo-lto-bolt (gcc 12 + bolt-19)",
     "compiler = \"gcc\" (gcc 12 + bolt-19 worked), bolt = false, or build_packages = [\"bolt-22\"] to "
     "try LLVM 22's BOLT (untested)"},

    {RK::available, "--enable-experimental-jit", "", {3, 13}, {}, "",
     "python3",
     "a Python 3.11+ on the builder (PYTHON_FOR_REGEN runs Tools/jit/build.py)",
     "the experimental copy-and-patch JIT (PEP 744) was added in CPython 3.13; its stencils are "
     "generated at build time by Tools/jit with the builder's Python and LLVM",
     "PEP 744; What's New in Python 3.13 (An experimental just-in-time (JIT) compiler); "
     "CPython Doc/using/configure.rst (--enable-experimental-jit, versionadded 3.13)"},

    {RK::requires_toolchain, "--enable-experimental-jit", "yes yes-off", {3, 13}, {3, 13}, "",
     "clang-18 llvm-18",
     "clang-18, llvm-objdump-18, llvm-readobj-18 (LLVM 18 exactly, at build time only)",
     "CPython 3.13's JIT build accepts exactly one LLVM major, 18 (Tools/jit/_llvm.py: "
     "_LLVM_VERSION = 18, \"Can't find clang-18!\" otherwise); Debian 12 (bookworm) has LLVM 13, "
     "14, 15, 16 and 19 but no llvm-18/clang-18 (those are in trixie)",
     "CPython 3.13 Tools/jit/_llvm.py and Tools/jit/README.md; apt-cache policy llvm-18 on Debian 12"},

    {RK::requires_toolchain, "--enable-experimental-jit", "yes yes-off", {3, 14}, {3, 14}, "",
     "clang-19 llvm-19",
     "clang-19, llvm-objdump-19, llvm-readobj-19 (LLVM 19 exactly, at build time only)",
     "CPython 3.14's JIT build accepts exactly one LLVM major, 19 (Tools/jit/_llvm.py: "
     "_LLVM_VERSION = 19); Debian 12 has llvm-19 (bookworm point release), trixie too",
     "CPython 3.14 Tools/jit/_llvm.py and Tools/jit/README.md"},

    {RK::available, "--disable-gil", "", {3, 13}, {}, "", "",
     "",
     "the free-threaded build (PEP 703) was added in CPython 3.13: Py_GIL_DISABLED, sys.abiflags "
     "'t', the interpreter is installed as python3.13t (python3.13 and python3 link to it), the "
     "stdlib in lib/python3.13t, and C extensions need the cp313t ABI",
     "PEP 703; What's New in Python 3.13 (Free-threaded CPython); CPython Doc/using/configure.rst "
     "(--disable-gil, versionadded 3.13); Makefile.pre.in (altbininstall, bininstall)"},

    {RK::available, "--with-tail-call-interp", "", {3, 14}, {}, "clang>=19", "",
     "clang 19 or newer as CC (e.g. CC=clang-19: Debian 12 has clang-19, its default clang is 14)",
     "the tail-calling interpreter was added in CPython 3.14 and needs the preserve_none and "
     "musttail attributes: it works only with Clang 19 and newer (GCC 12/14 of Debian 12/13 fail)",
     "What's New in Python 3.14 (A new type of interpreter); CPython Doc/using/configure.rst "
     "(--with-tail-call-interp, versionadded 3.14); gh-128563"},

    {RK::available, "--with-lto", "thin", {3, 11}, {}, "clang", "",
     "clang as CC and llvm-ar on PATH (Debian llvm, or LLVM_AR=/usr/lib/llvm-N/bin/llvm-ar)",
     "--with-lto=full|thin was added in CPython 3.11; ThinLTO is clang's: configure stops with "
     "\"thin lto is not supported under gcc compiler\", and clang LTO needs llvm-ar (\"llvm-ar is "
     "required for a --with-lto build with clang but could not be found\")",
     "CPython Doc/using/configure.rst (--with-lto, versionadded 3.11: ThinLTO on Clang); configure.ac "
     "(Py_LTO_POLICY, LLVM_AR)"},

    {RK::available, "--with-lto", "full", {3, 11}, {}, "", "",
     "",
     "--with-lto=full|thin was added in CPython 3.11; before, --with-lto took only yes or no",
     "CPython Doc/using/configure.rst (--with-lto=[full|thin|no|yes], versionadded 3.11)"},
};

// What the Debian suites have of the packages the rules name, and their default clang.
// `apt-cache policy` / `apt-cache madison` on this machine (deb.debian.org, bookworm and trixie
// main, amd64, snapshot 2025-05-20), run for llvm-13..20, clang-13..20, bolt-14..20, llvm, clang:
//   bookworm: llvm-13 14 15 16 19 (llvm-19 1:19.1.7-3~deb12u1, a point-release addition),
//             clang-13 14 15 16 19, bolt-15 16 19, llvm/clang = 14 (llvm-defaults 0.55.7~deb12u1);
//             NO llvm-18, clang-18, bolt-18 (and nothing of 17 or 20).
//   trixie:   llvm-17 18 19, clang-17 18 19, bolt-17 18 19, llvm/clang = 19 (llvm-defaults 0.63);
//             nothing of 13..16 or 20.
// Read again 2026-12 for LLVM 20..22 and the profile runtimes libclang-rt-N-dev:
//   bookworm: clang-22 llvm-22 bolt-22 libclang-rt-22-dev 1:22.1.8-1~deb12u1 in bookworm-security
//             (debian:bookworm-slim lists that suite); libclang-rt-14/16/19-dev in main (none for
//             13 or 15); nothing of 20 or 21.
//   trixie:   clang-22 llvm-22 bolt-22 1:22.1.8-1~deb13u5; libclang-rt-17/18/19/22-dev.
// A package missing from this list counts as absent: add it here before a rule names it.
struct Suite {
    std::string_view name;
    std::string_view release;
    int default_clang;
    std::string_view packages;
    // those of `packages` only the suite's security updates have (bookworm-security): an image
    // whose apt sources lack that suite cannot install them (the stand-in debian:bookworm-slim
    // of this machine's registry mirror lists only "bookworm main"; Docker Hub's lists both)
    std::string_view security_only = {};
};
constexpr Suite kSuites[] = {
    {"bookworm", "Debian 12", 14,
     "python3 clang llvm clang-13 clang-14 clang-15 clang-16 clang-19 clang-22 llvm-13 llvm-14 llvm-15 "
     "llvm-16 llvm-19 llvm-22 bolt-15 bolt-16 bolt-19 bolt-22 libclang-rt-14-dev libclang-rt-16-dev "
     "libclang-rt-19-dev libclang-rt-22-dev",
     "clang-22 llvm-22 bolt-22 libclang-rt-22-dev"},
    {"trixie", "Debian 13", 19,
     "python3 clang llvm clang-17 clang-18 clang-19 clang-22 llvm-17 llvm-18 llvm-19 llvm-22 bolt-17 "
     "bolt-18 bolt-19 bolt-22 libclang-rt-17-dev libclang-rt-18-dev libclang-rt-19-dev libclang-rt-22-dev"},
};
// clang-format on

using rules_detail::applies_to_value;
using rules_detail::Compiler;
using rules_detail::value_of;
using rules_detail::words;

const Suite* suite_named(const std::string& name) {
    for (const auto& s : kSuites)
        if (s.name == name) return &s;
    return nullptr;
}

bool suite_has(const Suite& s, const std::string& package) {
    auto all = words(s.packages);
    return std::find(all.begin(), all.end(), package) != all.end();
}

std::string str(MinorVersion v) { return fmt::format("{}.{}", v.major, v.minor); }

// The LLVM major of the tool a package stem gives, as configure's argv names it: N of the last
// LLVM_BOLT=/usr/lib/llvm-N/bin/llvm-bolt (or .../llvm-bolt-N); 0 when not given or not telling.
int tool_major(const std::vector<std::string>& args, std::string_view stem) {
    static const std::pair<std::string_view, std::string_view> variable_of[] = {{"bolt", "LLVM_BOLT="}};
    std::string path;
    for (const auto& [s, variable] : variable_of)
        if (s == stem)
            for (const auto& a : args)
                if (a.rfind(variable, 0) == 0) path = a.substr(variable.size());
    static const std::regex major(R"(/llvm-(\d{1,4})/|-(\d{1,4})$)");
    std::smatch m;
    if (!std::regex_search(path, m, major)) return 0;
    return std::stoi(m[1].matched ? m[1].str() : m[2].str());
}

// Whether a known_crash row's compiler ("clang-19") and tool package ("bolt-19") are this build's.
bool crash_applies(const OptionRule& r, const Compiler& cc, const std::vector<std::string>& args) {
    static const std::regex versioned(R"(([a-z]+)-(\d{1,4}))");
    std::match_results<std::string_view::const_iterator> compiler, package;
    if (!std::regex_match(r.compiler.begin(), r.compiler.end(), compiler, versioned) ||
        !std::regex_match(r.packages.begin(), r.packages.end(), package, versioned))
        return false;
    return compiler[1] == "clang" && cc.clang && cc.major == std::stoi(compiler[2]) &&
           tool_major(args, std::string_view(&*package[1].first, package[1].length())) == std::stoi(package[2]);
}

// The compiler configure will use: the last CC= argument, else the image's cc (gcc on Debian).

Compiler compiler_of(const std::vector<std::string>& args, const Suite* suite) {
    std::string cc;
    for (const auto& a : args)
        if (a.rfind("CC=", 0) == 0) cc = a.substr(3);
    if (cc.empty()) return {"gcc (no CC= given, so the base image's cc)", false, 0, ""};
    Compiler c{"CC=" + cc, false, 0, ""};
    for (const auto& w : words(cc)) {
        if (w == "ccache" || w == "env" || w.find('=') != std::string::npos) continue;
        std::string base = w.substr(w.rfind('/') + 1);
        static const std::regex versioned(R"(clang-(\d{1,4}))");
        std::smatch m;
        if (base == "clang") {
            c.clang = true;
            c.major = suite ? suite->default_clang : 0;
            c.package = "clang";
        } else if (std::regex_match(base, m, versioned)) {
            c.clang = true;
            c.major = std::stoi(m[1]);
            c.package = base;
        }
        break;
    }
    return c;
}

}  // namespace

namespace rules_detail {

std::vector<std::string> words(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::string value_of(const std::string& arg) {
    auto eq = arg.find('=');
    return eq == std::string::npos ? "yes" : arg.substr(eq + 1);
}

bool applies_to_value(const OptionRule& r, const std::string& value) {
    if (r.values.empty()) return true;
    auto vs = words(r.values);
    return std::find(vs.begin(), vs.end(), value) != vs.end();
}

MinorVersion minor_version_of(const std::string& python_version) {
    static const std::regex version_re(R"((\d{1,4})\.(\d{1,4})([^0-9].*)?)");
    std::smatch m;
    if (!std::regex_match(python_version, m, version_re))
        throw ConfigError({}, "", fmt::format("'{}' is not a CPython version (MAJOR.MINOR...)", python_version));
    return {std::stoi(m[1]), std::stoi(m[2])};
}

bool suite_known(const std::string& suite) { return suite_named(suite) != nullptr; }

std::string security_suite_of(const std::string& suite, const std::string& package) {
    const Suite* s = suite_named(suite);
    if (!s) return "";
    auto only = words(s->security_only);
    return std::find(only.begin(), only.end(), package) == only.end() ? "" : std::string(s->name) + "-security";
}

bool suite_has(const std::string& suite, const std::string& package) {
    const Suite* s = suite_named(suite);
    return s && ::pymatrix::suite_has(*s, package);
}

Compiler compiler_of(const std::vector<std::string>& configure_args, const std::string& suite) {
    return ::pymatrix::compiler_of(configure_args, suite_named(suite));
}

}  // namespace rules_detail

std::span<const OptionRule> option_rules() { return kRules; }

std::vector<std::string> known_compilers() {
    std::vector<std::string> out = {"gcc", "clang"};
    std::set<int> majors;
    static const std::regex versioned(R"(clang-(\d{1,4}))");
    std::smatch m;
    for (const auto& s : kSuites)
        for (const auto& p : words(s.packages))
            if (std::regex_match(p, m, versioned)) majors.insert(std::stoi(m[1]));
    for (int n : majors) out.push_back(fmt::format("clang-{}", n));
    return out;
}

std::string debian_suite(const std::string& base_image) {
    std::string ref = base_image.substr(0, base_image.find('@'));
    std::string last = ref.substr(ref.rfind('/') + 1);
    auto colon = last.find(':');
    std::string name = last.substr(0, colon);
    std::string tag = colon == std::string::npos ? "" : last.substr(colon + 1);
    auto tag_words = words(tag, '-');
    if (name == "debian" && !tag_words.empty()) {
        std::string first = tag_words.front().substr(0, tag_words.front().find('.'));
        if (first == "bookworm" || first == "12") return "bookworm";
        if (first == "trixie" || first == "13") return "trixie";
        return "";
    }
    for (const auto& w : tag_words)
        if (suite_named(w)) return w;
    return "";
}

std::vector<RuleViolation> check_rules(const std::string& python_version,
                                       const std::vector<std::string>& configure_args,
                                       const std::string& base_image) {
    const MinorVersion v = rules_detail::minor_version_of(python_version);
    const std::string suite_name = debian_suite(base_image);
    const Suite* suite = suite_named(suite_name);
    const Compiler cc = compiler_of(configure_args, suite);

    std::vector<RuleViolation> out;
    if (cc.clang && suite && !suite_has(*suite, cc.package))
        out.push_back({cc.shown,
                       fmt::format("{}, but {} is {} ({}), which has no {} package: configure would find no C compiler",
                                   cc.shown, base_image, suite->release, suite->name, cc.package),
                       "the compiler must be installable in the build-deps stage; the compilers each suite has are "
                       "listed in the rules table",
                       "apt-cache policy clang-N on Debian 12 and 13 (pymatrix cpython/rules.cpp kSuites)"});
    for (const auto& arg : configure_args) {
        const std::string name = option_name(arg);
        if (name.empty()) continue;
        const std::string value = value_of(arg);
        for (const auto& r : kRules) {
            if (r.option != name || !applies_to_value(r, value)) continue;
            auto add = [&](std::string message) {
                out.push_back({arg, std::move(message), std::string(r.reason), std::string(r.citation)});
            };
            bool in_range = v >= r.since && (r.until.none() || v <= r.until);
            if (!in_range) {
                if (r.kind == RuleKind::available)
                    add(v < r.since ? fmt::format("'{}' needs CPython {} or newer; this build is CPython {}", arg,
                                                  str(r.since), python_version)
                                    : fmt::format("'{}' is not accepted after CPython {}; this build is CPython {}",
                                                  arg, str(r.until), python_version));
                continue;
            }
            if (value == "no") continue;  // disabled: nothing to build it with
            if (r.kind == RuleKind::known_crash) {
                if (crash_applies(r, cc, configure_args))
                    add(fmt::format("'{}' with {} and {} is a combination known to crash; instead: {}", arg, cc.shown,
                                    r.packages, r.way_out));
                continue;
            }
            if (!r.compiler.empty()) {
                int need = 0;
                if (auto ge = r.compiler.find(">="); ge != std::string_view::npos)
                    need = std::stoi(std::string(r.compiler.substr(ge + 2)));
                std::string wanted = need ? fmt::format("clang {} or newer", need) : std::string("clang");
                if (!cc.clang)
                    add(fmt::format("'{}' needs {} as the compiler, but this build uses {}", arg, wanted, cc.shown));
                else if (need && cc.major && cc.major < need)
                    add(fmt::format("'{}' needs {}, but {} is clang {}{}", arg, wanted, cc.shown, cc.major,
                                    cc.package == "clang" ? fmt::format(" (the default of {})", suite_name) : ""));
            }
            if (suite) {
                std::vector<std::string> missing;
                for (const auto& group : words(r.packages)) {
                    auto alternatives = words(group, '|');
                    if (std::none_of(alternatives.begin(), alternatives.end(),
                                     [&](const std::string& p) { return suite_has(*suite, p); }))
                        missing.push_back(group);
                }
                if (!missing.empty())
                    add(fmt::format("'{}' with CPython {} needs the Debian package{} {}, but {} is {} ({}), which "
                                    "has no {}",
                                    arg, python_version, missing.size() > 1 ? "s" : "", fmt::join(missing, " "),
                                    base_image, suite->release, suite->name, fmt::join(missing, ", ")));
            }
        }
    }
    return out;
}

}  // namespace pymatrix
