#include "validate.hpp"
#include "pymatrix/cpython.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <unordered_map>

namespace pymatrix {
namespace {
/// Matches `s` against `pattern` (a string literal), compiling each pattern once: validation runs
/// for every value of every profile, and compiling a std::regex costs far more than matching.
bool full(const std::string& s, const char* pattern) {
    static std::unordered_map<const char*, std::regex> compiled;
    auto it = compiled.find(pattern);
    if (it == compiled.end()) it = compiled.emplace(pattern, std::regex(pattern)).first;
    return std::regex_match(s, it->second);
}
}  // namespace

std::string configure_option_problem(const std::string& o) {
    if (full(o, R"(--(enable|disable|with|without)-[A-Za-z0-9][A-Za-z0-9_-]*(=.*)?)")) return "";
    if (full(o, R"([A-Z_][A-Z0-9_]*=.*)")) return "";
    return fmt::format("'{}' is not a configure argument (expected --enable-X, --disable-X, --with-X[=V], "
                       "--without-X or VAR=VALUE)", o);
}

std::string shell_word_problem(const std::string& v) {
    for (char c : v) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  std::string(" _./:,+=@%~-").find(c) != std::string::npos;
        if (!ok)
            return fmt::format("'{}' is not allowed here: flags reach make recipes, which run them through a shell "
                               "(allowed: letters, digits, space and _./:,+=@%~-)", c);
    }
    return "";
}

std::string configure_value_problem(const std::string& o) {
    static const std::regex assignment(R"(([A-Z_][A-Z0-9_]*)=(.*))");
    static const std::regex consumed(
        R"(.*FLAGS.*|CC|CXX|CPP|LIBS|LD|AR|PROFILE_TASK|LLVM_.*|MERGE_FDATA|PKG_CONFIG.*|.*_CFLAGS|.*_LIBS|MACHDEP|HOSTRUNNER|CONFIG_SITE|PATH)");
    std::smatch m;
    if (std::regex_match(o, m, assignment)) {
        if (!std::regex_match(m[1].str(), consumed)) {  // only recorded in CONFIG_ARGS, quoted by configure
            auto bad = m[2].str().find_first_of("$`\\");
            if (bad == std::string::npos) return "";
            return fmt::format("'{}' is not allowed in a configure value: CONFIG_ARGS reaches a make recipe, where "
                               "make expands '$' and a shell runs the rest", m[2].str()[bad]);
        }
        return shell_word_problem(m[2].str());
    }
    auto eq = o.find('=');
    return eq == std::string::npos ? "" : shell_word_problem(o.substr(eq + 1));
}

std::string package_problem(const std::string& n) {
    if (full(n, R"([a-z0-9][a-z0-9+.-]+)") && n.size() <= 100) return "";
    return fmt::format("'{}' is not a Debian package name ([a-z0-9][a-z0-9+.-]+)", n);
}

std::string packaged_python_problem(const std::string& n) {
    if (full(n, R"(python3\.[0-9]{1,2})")) return "";
    if (n == "python3" || n == "python")
        return fmt::format("'{}' installs whichever version the release makes its default; name the version's own "
                           "package, e.g. \"python3.13\"",
                           n);
    return fmt::format("'{}' is not a Debian interpreter package: give pythonX.Y (e.g. \"python3.13\"), the package "
                       "that installs /usr/bin/pythonX.Y",
                       n);
}

std::string lto_problem(const std::string& v) {
    if (v == "" || v == "yes" || v == "full" || v == "thin" || v == "no") return "";
    return fmt::format("'{}' is not an LTO mode (true, false, \"yes\", \"no\", \"full\" or \"thin\")", v);
}

std::string jit_problem(const std::string& v) {
    if (v == "" || v == "yes" || v == "yes-off" || v == "interpreter" || v == "no") return "";
    return fmt::format("'{}' is not a JIT mode (true, false, \"yes\", \"no\", \"yes-off\" or \"interpreter\")", v);
}

std::string march_problem(const std::string& v) {
    // the x86-64 psABI defines the micro-architecture levels x86-64-v2, -v3 and -v4 (and the
    // baseline x86-64); any other "x86-64-vN" is a typo GCC would refuse only inside the build
    if (v.rfind("x86-64-v", 0) == 0 && v != "x86-64-v2" && v != "x86-64-v3" && v != "x86-64-v4")
        return fmt::format("'{}' is not an x86-64 level (the psABI's: x86-64, x86-64-v2, x86-64-v3, x86-64-v4)", v);
    if (full(v, R"([a-z0-9][a-z0-9._+-]{0,63})")) return "";
    return fmt::format("'{}' is not a -march value (e.g. x86-64-v3, znver3, native)", v);
}

std::string compiler_problem(const std::string& v) {
    const auto known = known_compilers();
    if (std::find(known.begin(), known.end(), v) != known.end()) return "";
    std::string hint = util::closest(v, known);
    return fmt::format("'{}' is not a compiler pymatrix knows{} (known: {}; clang-N needs a Debian suite that "
                       "packages it)",
                       v, hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint), util::join(known, ", "));
}

std::string image_reference_problem(const std::string& ref) {
    static const char* re =
        R"(([A-Za-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*)"
        R"((:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?)";
    if (full(ref, re)) return "";
    return fmt::format("'{}' is not an image reference ([HOST[:PORT]/]path[:tag], lowercase path)", ref);
}

std::string name_problem(const std::string& n) {
    if (full(n, R"([A-Za-z0-9][A-Za-z0-9_.+-]{0,63})")) return "";
    return fmt::format("'{}' is not a valid name (letters, digits, '_', '.', '+', '-'; at most 64)", n);
}

std::string version_problem(const std::string& v) {
    if (full(v, R"([0-9]+\.[0-9]+\.[0-9]+((a|b|rc)[0-9]+)?)")) return "";
    return fmt::format("'{}' is not a CPython version (X.Y.Z, e.g. 3.13.5)", v);
}

std::string source_problem(const std::string& s) {
    if (s.empty()) return "empty source";
    if (full(s, R"(https?://[^\s]+)") || full(s, R"(file:///[^\s]*)")) return "";
    if (s.find("://") != std::string::npos) return fmt::format("'{}': only http, https and file URLs are supported", s);
    if (!full(s, R"(.*\.(tar\.xz|tar\.gz|tgz|tar\.bz2|tar\.zst))"))
        return fmt::format("'{}' is not a CPython source tarball (.tar.xz, .tar.gz, .tgz, .tar.bz2, .tar.zst)", s);
    return "";
}

std::string sha256_problem(const std::string& h) {
    if (full(h, R"([0-9a-f]{64})")) return "";
    return "expected 64 lowercase hex digits";
}

}  // namespace pymatrix
