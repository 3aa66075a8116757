// libFuzzer target: the TOML matrix loader and the matrix expansion.
//
// Input: the bytes of a matrix file. pymatrix::load_matrix_string() and pymatrix::expand()
// may reject it with pymatrix::ConfigError (expected). Anything else is a finding: another
// exception escaping (std::terminate -> abort), a crash, a sanitizer report (ASan, UBSan,
// LeakSanitizer), or a broken invariant below (abort with a message).
#include "pymatrix/error.hpp"
#include "pymatrix/plan.hpp"
#include "pymatrix/profile.hpp"
#include "pymatrix/tags.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void invariant_failed(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_profile_loader: invariant failed: %s: %s\n", what, detail.c_str());
    std::abort();
}
#define CHECK(cond, detail) \
    do {                    \
        if (!(cond)) invariant_failed(#cond, (detail)); \
    } while (0)

bool is_lower_hex(const std::string& s, std::size_t n) {
    if (s.size() != n) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// The cartesian product of the axes, saturating. expand() has no limit of its own (a matrix of
// a few hundred bytes can ask for billions of builds); the fuzzer skips those files instead of
// reporting an out-of-memory or timeout that is expected behaviour for such a request.
constexpr std::size_t kMaxCombinations = 1024;
std::size_t combinations(const pymatrix::MatrixSpec& m) {
    std::size_t n = 1;
    for (const auto& [axis, values] : m.axes) {
        if (values.empty()) return 0;
        if (n > kMaxCombinations / values.size() + 1) return kMaxCombinations + 1;
        n *= values.size();
    }
    return n + m.include.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);

    pymatrix::MatrixFile file;
    try {
        file = pymatrix::load_matrix_string(text, "fuzz/matrix.toml");
    } catch (const pymatrix::ConfigError& e) {
        CHECK(std::string_view(e.what()).size() > 0, "empty ConfigError message");
        CHECK(e.exit_code() == pymatrix::exit_config, e.what());
        return 0;
    }

    // What a successful load promises (profile.hpp).
    for (const auto& [key, py] : file.pythons) {
        CHECK(py.key == key, key);
        CHECK(is_lower_hex(py.sha256, 64), py.sha256);
    }
    for (const auto& [name, pr] : file.profiles) CHECK(pr.name == name, name);
    CHECK(pymatrix::repository_problem(file.defaults.repository).empty(), file.defaults.repository);

    if (combinations(file.matrix) > kMaxCombinations) return 0;

    std::vector<pymatrix::Build> builds;
    try {
        builds = pymatrix::expand(file);
    } catch (const pymatrix::ConfigError& e) {
        CHECK(std::string_view(e.what()).size() > 0, "empty ConfigError message");
        return 0;
    }

    // What a successful expansion promises (plan.hpp): unique names, unique valid tags.
    std::set<std::string> names, tags;
    for (const auto& b : builds) {
        CHECK(names.insert(b.name).second, "duplicate build name " + b.name);
        CHECK(file.profiles.count(b.profile) == 1, b.profile);
        CHECK(is_lower_hex(b.config_hash, 64), b.config_hash);
        CHECK(!b.configure_args.empty(), b.name);
        CHECK(b.tags.size() == 2, b.name);
        for (const auto& t : b.tags) {
            CHECK(tags.insert(t).second, "duplicate tag " + t);
            auto colon = t.rfind(':');
            CHECK(colon != std::string::npos, t);
            CHECK(t.substr(0, colon) == b.repository, t);
            CHECK(pymatrix::is_valid_tag(t.substr(colon + 1)), t);
        }
    }

    // The plan is printed as JSON (`pymatrix plan --json`): every string must be valid UTF-8,
    // otherwise nlohmann::json::dump() throws type_error.316 (escapes -> abort -> finding).
    std::string json = pymatrix::plan_to_json(file, builds).dump();
    CHECK(!json.empty(), "empty JSON");
    return 0;
}
