// ci-matrix output for matrices/quickstart.toml, byte for byte (lib/src/plan/ci_matrix.cpp).
#include <doctest/doctest.h>

#include "pymatrix/ci_matrix.hpp"

#include <filesystem>

using namespace pymatrix;

namespace {
std::vector<Build> quickstart() {
    return expand(load_matrix_file(std::filesystem::path(PYMATRIX_SOURCE_DIR) / "matrices" / "quickstart.toml"));
}
}  // namespace

TEST_CASE("github: one line of JSON for strategy.matrix, builds in plan order") {
    auto b = quickstart();
    REQUIRE(b.size() == 2);
    const std::string h0 = b[0].config_hash.substr(0, 12), h1 = b[1].config_hash.substr(0, 12);
    CHECK(github_matrix(b) ==
          R"({"include":[{"build":"3.13-default","python":"3.13.5","python_key":"3.13","profile":"default",)"
          R"("tag":"pymatrix/cpython:3.13.5-default","config_hash":")" + h0 + R"("},)"
          R"({"build":"3.13-opt-v3","python":"3.13.5","python_key":"3.13","profile":"opt-v3",)"
          R"("tag":"pymatrix/cpython:3.13.5-opt-v3","config_hash":")" + h1 + R"("}]})");
}

TEST_CASE("gitlab: a child pipeline, one job per build running build --only NAME --push") {
    auto b = quickstart();
    const std::string h0 = b[0].config_hash.substr(0, 12), h1 = b[1].config_hash.substr(0, 12);
    CHECK(gitlab_pipeline(b, {"matrices/quickstart.toml", "registry.example.com:5000/team/cpython"}) ==
          "# GitLab CI child pipeline written by pymatrix ci-matrix: one job per build of matrices/quickstart.toml.\n"
          "# Each job builds and pushes its build only; a build the registry already holds with the same\n"
          "# config hash is reported cached and neither built nor pulled.\n"
          "stages:\n"
          "  - build\n"
          "\n"
          "\"build:3.13-default\":\n"
          "  stage: build\n"
          "  variables:\n"
          "    PYMATRIX_BUILD: \"3.13-default\"\n"
          "    PYMATRIX_PYTHON: \"3.13.5\"\n"
          "    PYMATRIX_PROFILE: \"default\"\n"
          "    PYMATRIX_CONFIG_HASH: \"" + h0 + "\"\n"
          "  script:\n"
          "    - \"pymatrix build matrices/quickstart.toml --only 3.13-default --push --repository "
          "registry.example.com:5000/team/cpython\"\n"
          "\n"
          "\"build:3.13-opt-v3\":\n"
          "  stage: build\n"
          "  variables:\n"
          "    PYMATRIX_BUILD: \"3.13-opt-v3\"\n"
          "    PYMATRIX_PYTHON: \"3.13.5\"\n"
          "    PYMATRIX_PROFILE: \"opt-v3\"\n"
          "    PYMATRIX_CONFIG_HASH: \"" + h1 + "\"\n"
          "  script:\n"
          "    - \"pymatrix build matrices/quickstart.toml --only 3.13-opt-v3 --push --repository "
          "registry.example.com:5000/team/cpython\"\n");
}

TEST_CASE("job commands quote for the shell and the YAML scalar escapes quotes") {
    CHECK(ci_build_command({"my matrices/a'b.toml", ""}, "3.13-x") ==
          "pymatrix build 'my matrices/a'\\''b.toml' --only 3.13-x --push");
    auto b = quickstart();
    b.resize(1);
    auto y = gitlab_pipeline(b, {"dir \"q\"/m.toml", ""});
    CHECK(y.find("    - \"pymatrix build 'dir \\\"q\\\"/m.toml' --only 3.13-default --push\"\n") != std::string::npos);
}

namespace {
/// n builds named b1..bn (copies of the quick start's first build): only names and order matter
std::vector<Build> numbered(std::size_t n) {
    auto proto = quickstart().front();
    std::vector<Build> out(n, proto);
    for (std::size_t i = 0; i < n; ++i) out[i].name = "b" + std::to_string(i + 1);
    return out;
}
std::string names(const std::vector<Build>& b) {
    return b.empty() ? "" : b.front().name + ".." + b.back().name + " (" + std::to_string(b.size()) + ")";
}
std::string config_error(const std::vector<Build>& b, GithubPart p) {
    try {
        github_part(b, p, "m.toml");
    } catch (const ConfigError& e) {
        return e.key() + ": " + e.reason();
    }
    return "no error";
}
}  // namespace

TEST_CASE("--part values: K or K/N, 1 <= K <= N") {
    CHECK(parse_github_part("1") == GithubPart{1, 0});
    CHECK(parse_github_part("2/3") == GithubPart{2, 3});
    CHECK(parse_github_part("3/3") == GithubPart{3, 3});
    for (const char* bad : {"0", "0/2", "3/2", "1/0", "", "/2", "2/", "-1", "1/2/3", "x", "1.5", "9999999"})
        CHECK_THROWS_WITH_AS(parse_github_part(bad),
                             doctest::Contains("is not K or K/N (whole numbers, 1 <= K <= N)"), ConfigError);
}

TEST_CASE("github: 256 builds are one matrix, 257 are refused with the --part K/N calls") {
    CHECK(github_max_jobs == 256);
    CHECK(names(github_part(numbered(256), {}, "m.toml")) == "b1..b256 (256)");
    CHECK(config_error(numbered(257), {}) ==
          "matrix: 257 builds, but GitHub Actions runs at most 256 jobs per matrix: split them over 2 matrix jobs with "
          "--part 1/2, --part 2/2 (one setup job output each), or pick builds with --only");
    CHECK(config_error(numbered(600), {}) ==
          "matrix: 600 builds, but GitHub Actions runs at most 256 jobs per matrix: split them over 3 matrix jobs with "
          "--part 1/3, --part 2/3, --part 3/3 (one setup job output each), or pick builds with --only");
    std::string file;
    try {
        github_part(numbered(300), {}, "m.toml");
    } catch (const ConfigError& e) {
        file = e.where().file;
    }
    CHECK(file == "m.toml");  // the refusal names the matrix file
}

TEST_CASE("github --part K/N: slices of 256 in plan order; an outgrown workflow is refused, a spare job is empty") {
    auto b = numbered(300);
    CHECK(names(github_part(b, {1, 2}, "m.toml")) == "b1..b256 (256)");
    CHECK(names(github_part(b, {2, 2}, "m.toml")) == "b257..b300 (44)");
    CHECK(names(github_part(b, {2, 3}, "m.toml")) == "b257..b300 (44)");
    CHECK(github_part(b, {3, 3}, "m.toml").empty());  // the third job of the workflow has nothing to do
    CHECK(github_matrix(github_part(b, {3, 3}, "m.toml")) == R"({"include":[]})");
    CHECK(config_error(b, {1, 1}) ==
          "--part: 1/1: 300 builds need 2 matrices of at most 256 jobs, but the workflow has 1 matrix job: give it 2 "
          "(--part 1/2, --part 2/2)");
    CHECK(config_error(numbered(513), {2, 2}) ==
          "--part: 2/2: 513 builds need 3 matrices of at most 256 jobs, but the workflow has 2 matrix jobs: give it 3 "
          "(--part 1/3, --part 2/3, --part 3/3)");
    // a small matrix in a two-job workflow: everything in the first job, the second skipped
    auto small = numbered(2);
    CHECK(names(github_part(small, {1, 2}, "m.toml")) == "b1..b2 (2)");
    CHECK(github_part(small, {2, 2}, "m.toml").empty());
    // exactly 512: both full
    CHECK(names(github_part(numbered(512), {2, 2}, "m.toml")) == "b257..b512 (256)");
}

TEST_CASE("github --part K without N: slice K, past the last refused") {
    auto b = numbered(300);
    CHECK(names(github_part(b, {1, 0}, "m.toml")) == "b1..b256 (256)");
    CHECK(names(github_part(b, {2, 0}, "m.toml")) == "b257..b300 (44)");
    CHECK(config_error(b, {3, 0}) == "--part: 3 is past the last part: 300 builds make 2 parts of at most 256");
    CHECK(config_error(numbered(2), {2, 0}) == "--part: 2 is past the last part: 2 builds make 1 part of at most 256");
    // the parts together are the builds, in order
    auto p1 = github_part(b, {1, 0}, "m.toml"), p2 = github_part(b, {2, 0}, "m.toml");
    p1.insert(p1.end(), p2.begin(), p2.end());
    REQUIRE(p1.size() == b.size());
    for (std::size_t i = 0; i < b.size(); ++i) CHECK(p1[i].name == b[i].name);
}
