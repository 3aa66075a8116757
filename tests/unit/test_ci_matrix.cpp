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
