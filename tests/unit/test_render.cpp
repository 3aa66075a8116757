// Dockerfile rendering and atomic output of `generate`.
#include <doctest/doctest.h>

#include "pymatrix/render.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace pymatrix;
namespace fs = std::filesystem;

namespace {
std::vector<Build> quickstart_like(const std::string& extra_profile = "") {
    auto f = load_matrix_string(R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.default]
[profiles.opt-v3]
cflags_nodist = "-O3"
march = "x86-64-v3"
build_packages = ["libtool"]
[profiles.hostile]
configure = ["PYMATRIX_NOTE=it's '; touch /tmp/pwned; ' \"; RUN touch /tmp/pwned"]
)" + extra_profile + R"(
[matrix]
python = ["3.13"]
profile = ["default", "opt-v3", "hostile"]
)", "m.toml");
    return expand(f);
}

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}
}  // namespace

TEST_CASE("the Dockerfile has the four stages and the profile's exact configure argv") {
    auto builds = quickstart_like();
    std::string d = render_dockerfile(builds[1]);
    CHECK(count(d, "FROM debian:bookworm-slim AS build-deps\n") == 1);
    CHECK(count(d, "FROM build-deps AS source\n") == 1);
    CHECK(count(d, "FROM source AS build\n") == 1);
    CHECK(count(d, "FROM debian:bookworm-slim AS runtime\n") == 1);
    CHECK(count(d, "RUN [\"./configure\",\"--enable-option-checking=fatal\",\"CFLAGS_NODIST=-O3 -march=x86-64-v3\"]\n") == 1);
    CHECK(count(d, "COPY Python-3.13.5.tar.xz /usr/src/\n") == 1);
    CHECK(count(d, "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640  /usr/src/Python-3.13.5.tar.xz") == 1);
    CHECK(count(d, "\"install-build-packages\",\"libtool\"]") == 1);
    for (const char* dev : {"libssl-dev", "libsqlite3-dev", "libffi-dev", "liblzma-dev", "libbz2-dev", "zlib1g-dev",
                            "libreadline-dev", "libncurses-dev", "uuid-dev", "libgdbm-dev"})
        CHECK_MESSAGE(count(d, dev) == 1, dev);
    CHECK_FALSE(std::regex_search(d, std::regex("@[A-Z_]+@")));  // every placeholder replaced
    CHECK(context_source_name(builds[0]) == "Python-3.13.5.tar.xz");
}

TEST_CASE("a hostile flag value only ever appears inside a JSON exec-form array") {
    std::string d = render_dockerfile(quickstart_like()[2]);
    std::istringstream in(d);
    std::string line;
    int seen = 0;
    while (std::getline(in, line)) {
        if (line.find("touch /tmp/pwned") == std::string::npos) continue;
        ++seen;
        CHECK(line.rfind("RUN [\"./configure\",", 0) == 0);
        CHECK(line.find(R"("PYMATRIX_NOTE=it's '; touch /tmp/pwned; ' \"; RUN touch /tmp/pwned"])") != std::string::npos);
    }
    CHECK(seen == 1);
}

TEST_CASE("generate writes one directory per build, atomically") {
    fs::path out = fs::temp_directory_path() / "pymatrix-test-generate";
    fs::remove_all(out);
    auto builds = quickstart_like();
    auto written = write_build_dirs(builds, out);
    REQUIRE(written.size() == 3);
    CHECK(written[1] == out / "3.13-opt-v3" / "Dockerfile");
    std::ifstream in(written[1]);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == render_dockerfile(builds[1]));
    CHECK(fs::exists(out / "3.13-opt-v3" / "pymatrix" / "buildinfo.py"));
    std::size_t entries = 0;
    for (auto& e : fs::directory_iterator(out)) entries += e.is_directory();
    CHECK(entries == 3);  // no temporary directory left behind
    fs::remove_all(out);

    // an output path that cannot be created: an error, and nothing written
    fs::path blocked = fs::temp_directory_path() / "pymatrix-test-blocker";
    std::ofstream(blocked) << "a file, not a directory";
    CHECK_THROWS_AS(write_build_dirs(builds, blocked / "out"), Error);
    CHECK(fs::is_regular_file(blocked));
    fs::remove(blocked);
}
