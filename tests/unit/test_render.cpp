// Dockerfile rendering and atomic output of `generate`.
#include <doctest/doctest.h>

#include "pymatrix/cpuinfo.hpp"
#include "pymatrix/isa.hpp"
#include "pymatrix/render.hpp"
#include "pymatrix/templates.hpp"

#include <sys/wait.h>

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

TEST_CASE("the launcher is built for the baseline, without the profile's flags, and takes python3's place") {
    std::string d = render_dockerfile(quickstart_like()[1]);  // opt-v3: -O3 -march=x86-64-v3
    auto at = d.find("FROM build-deps AS launcher\n");
    REQUIRE(at != std::string::npos);
    std::string stage = d.substr(at, d.find("\nFROM ", at + 1) - at);
    CHECK(count(stage, "x86_64) march=-march=x86-64 ;;") == 1);
    CHECK(count(stage, " -static ") == 1);
    CHECK(count(stage, "x86-64-v3") == 0);
    CHECK(count(stage, "-O3") == 0);
    auto runtime = d.substr(d.find(" AS runtime\n"));
    CHECK(count(runtime, "COPY --from=launcher /usr/local/bin/pymatrix-isa-guard /usr/local/bin/pymatrix-isa-guard\n") == 1);
    CHECK(count(runtime, "mv \"$real\" \"$d/\"; ln -s \"${real##*/}\" \"$d/python3\"") == 1);
    // the interpreter is moved before buildinfo.py runs it through the launcher
    CHECK(runtime.find("ln /usr/local/bin/pymatrix-isa-guard \"$real\"") < runtime.find("RUN python3 /usr/local/share"));
    CHECK(count(runtime, "ENTRYPOINT [\"/usr/local/bin/pymatrix-isa-guard\"]\n") == 1);
    auto files = render_context_files(quickstart_like()[0]);
    REQUIRE(files.size() == 3);
    CHECK(files[2].path == "pymatrix/pymatrix-launcher.c");
    std::ifstream src(fs::path(PYMATRIX_SOURCE_DIR) / "dockerfiles" / "pymatrix-launcher.c");
    std::stringstream text;
    text << src.rdbuf();
    CHECK(files[2].content == text.str());  // the repository's source, nothing fetched
}

namespace {
/// Runs the launcher built for the tests with PYMATRIX_CPUINFO=`cpuinfo`: {exit status, stderr}.
std::pair<int, std::string> run_launcher(const fs::path& cpuinfo, const std::string& env = "") {
    fs::path err = fs::temp_directory_path() / "pymatrix-test-launcher.err";
    std::string cmd = env + " PYMATRIX_CPUINFO='" + cpuinfo.string() + "' " PYMATRIX_LAUNCHER " 2>'" + err.string() + "'";
    int status = std::system(cmd.c_str());
    std::ifstream in(err);
    std::stringstream text;
    text << in.rdbuf();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}
}  // namespace

TEST_CASE("the launcher refuses exactly the fixtures pymatrix check finds lacking, naming the same flags") {
    fs::path fixtures = fs::path(PYMATRIX_FIXTURES_DIR) / "cpuinfo";
    std::ifstream index(fixtures / "INDEX.tsv");
    std::string line;
    std::getline(index, line);  // header
    int refused = 0, accepted = 0;
    while (std::getline(index, line)) {
        std::string file = line.substr(0, line.find('\t'));
        auto cpu = isa::read_cpuinfo(fixtures / file);
        if (cpu.arch != "x86_64") continue;
        for (auto& level : isa::x86_64_levels()) {
            auto need = isa::flags_for_level(level);  // sorted, as the labelled stage writes them
            std::string need_line, missing;
            for (auto& f : need) {
                need_line += (need_line.empty() ? "" : " ") + f;
                if (!cpu.flags.contains(f)) missing += " " + f;
            }
            std::ofstream(PYMATRIX_LAUNCHER_FEATURES) << need_line << "\n";
            auto [rc, err] = run_launcher(fixtures / file);
            INFO(file, " ", level);
            if (missing.empty()) {
                CHECK(rc == 0);
                CHECK(err == "");
                ++accepted;
            } else {
                CHECK(rc == 4);
                CHECK(err == "pymatrix: refusing to start: this CPU lacks ISA features the interpreter in this image "
                             "was compiled for:" + missing + " (PYMATRIX_SKIP_ISA_CHECK=1 runs it anyway)\n");
                ++refused;
            }
        }
    }
    CHECK(refused > 10);  // INDEX.tsv: ivybridge, k10, piledriver, bulldozer ... lack v3 or v4
    CHECK(accepted > 10);
    fs::path ivybridge = fixtures / "linux-rhel7-ivybridge";
    std::ofstream(PYMATRIX_LAUNCHER_FEATURES) << "avx2 sse2\n";
    CHECK(run_launcher(ivybridge).first == 4);
    CHECK(run_launcher(ivybridge, "PYMATRIX_SKIP_ISA_CHECK=1").first == 0);
    CHECK(run_launcher(fixtures / "linux-rhel7-haswell").first == 0);
    auto [rc, err] = run_launcher(fixtures / "no-such-dump");
    CHECK(rc == 4);
    CHECK(err.find("cannot read " + (fixtures / "no-such-dump").string() + " to check") != std::string::npos);
    fs::remove(PYMATRIX_LAUNCHER_FEATURES);  // an image not labelled yet: nothing to check
    CHECK(run_launcher(ivybridge).first == 0);
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
