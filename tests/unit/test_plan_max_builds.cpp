// The expansion cap: a tiny TOML cannot ask for billions of builds (lib/src/plan/expand.cpp).
#include <doctest/doctest.h>

#include "pymatrix/plan.hpp"

#include <fmt/format.h>

#include <chrono>

using namespace pymatrix;

namespace {
const std::string kHead = R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"

[profiles.default]

)";

// `key = ["-DA0", ..., "-DA<n-1>"]`
std::string axis(const std::string& key, int n, const std::string& prefix) {
    std::string s = key + " = [";
    for (int i = 0; i < n; ++i) s += fmt::format("{}\"-D{}{}\"", i ? ", " : "", prefix, i);
    return s + "]\n";
}

ConfigError expand_error(const std::string& toml) {
    auto f = load_matrix_string(toml, "big.toml");
    try {
        expand(f);
    } catch (const ConfigError& e) {
        return e;
    }
    FAIL("expected a ConfigError");
    return ConfigError({}, "", "");
}
}  // namespace

TEST_CASE("max_builds is 100,000") { CHECK(max_builds == 100000); }

TEST_CASE("ten axes of ten values (10^10 builds) are refused at once, naming the file and [matrix]") {
    std::string toml = kHead + "[matrix]\npython = [\"3.13\"]\nprofile = [\"default\"]\n";
    const char* keys[] = {"cflags", "cflags_nodist", "ldflags", "ldflags_nodist", "profile_task"};
    for (int i = 0; i < 5; ++i) toml += axis(keys[i], 100, fmt::format("K{}x", i));  // 100^5 = 10^10
    auto start = std::chrono::steady_clock::now();
    auto e = expand_error(toml);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(seconds < 0.5);
    CHECK(e.key() == "matrix");
    CHECK(e.where().file == "big.toml");
    CHECK(e.where().line == 8);
    CHECK(e.reason() == "the matrix expands to 10000000000 combinations (1 python x 1 profile x 100 cflags x 100 "
                        "cflags_nodist x 100 ldflags x 100 ldflags_nodist x 100 profile_task): more than the 100000 "
                        "builds pymatrix accepts in one file; split the matrix or narrow its axes");
    CHECK(std::string(e.what()).rfind("big.toml:8:1: matrix: the matrix expands to 10000000000", 0) == 0);
}

TEST_CASE("the product plus include entries counts: 400 x 250 = 100,000 plus one include is refused") {
    std::string toml = kHead + "[matrix]\npython = [\"3.13\"]\nprofile = [\"default\"]\n" + axis("cflags", 400, "C") +
                       axis("ldflags", 250, "L") +
                       "include = [{python = \"3.13\", profile = \"default\", cflags = \"-DX\", ldflags = \"-DY\"}]\n";
    auto e = expand_error(toml);
    CHECK(e.reason() == "the matrix expands to 100000 combinations (1 python x 1 profile x 400 cflags x 250 ldflags, "
                        "plus 1 include entries): more than the 100000 builds pymatrix accepts in one file; split the "
                        "matrix or narrow its axes");
}

TEST_CASE("a matrix under the cap expands") {
    std::string toml = kHead + "[matrix]\npython = [\"3.13\"]\nprofile = [\"default\"]\n" + axis("cflags", 20, "C") +
                       axis("ldflags", 10, "L");
    CHECK(expand(load_matrix_string(toml, "ok.toml")).size() == 200);
}
