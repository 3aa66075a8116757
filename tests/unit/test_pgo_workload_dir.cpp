// A profile's own PGO workload directory (`pgo_workload = { dir, script, args }`): what the loader
// reads, its errors at file:line:key, PROFILE_TASK, the context files, the hash and the label.
#include <doctest/doctest.h>

#include "config_error_of.hpp"

#include "pymatrix/hash.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/render.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace pymatrix;
namespace fs = std::filesystem;

namespace {
/// A directory holding m.toml's neighbours: service/train.py, service/lib/jobs.py, a __pycache__.
struct Workspace {
    fs::path dir = fs::temp_directory_path() / ("pymatrix-unit-pgo-dir-" + std::to_string(::getpid()));
    Workspace() {
        fs::remove_all(dir);
        fs::create_directories(dir / "service/lib");
        fs::create_directories(dir / "service/__pycache__");
        write("service/train.py", "import lib.jobs\nlib.jobs.run()\n");
        write("service/lib/jobs.py", "def run():\n    sum(range(10**6))\n");
        write("service/__pycache__/jobs.cpython-313.pyc", "not a source");
    }
    ~Workspace() { fs::remove_all(dir); }
    void write(const std::string& rel, const std::string& text) const { std::ofstream(dir / rel) << text; }
    std::vector<Build> builds(const std::string& workload) const {
        return expand(load_matrix_string(toml(workload), dir / "m.toml"));
    }
    static std::string toml(const std::string& workload) {
        return "[pythons.\"3.13\"]\nversion = \"3.13.5\"\nsource = \"Python-3.13.5.tar.xz\"\n"
               "sha256 = \"93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640\"\n"
               "[profiles.pgo-mine]\npgo = true\npgo_workload = " + workload +
               "\n[matrix]\npython = [\"3.13\"]\nprofile = [\"pgo-mine\"]\n";  // pgo_workload on line 7
    }
    ConfigError error(const std::string& workload) const {
        return config_error_of([&] { builds(workload); });
    }
};

const std::string kMine = R"({ dir = "service", script = "train.py", args = ["--rounds", "3"] })";
}  // namespace

TEST_CASE("a workload directory: PROFILE_TASK, context files, hash and label") {
    Workspace w;
    auto b = w.builds(kMine);
    REQUIRE(b.size() == 1);
    CHECK(b[0].settings.pgo_workload == "dir:service");
    CHECK(b[0].configure_args.back() ==
          "PROFILE_TASK=/pymatrix-pgo/pgo_train.py pymatrix-pgo-trained /pymatrix-pgo/train.py --rounds 3");
    auto files = render_context_files(b[0]);
    REQUIRE(files.size() == 6);  // Dockerfile, buildinfo.py, launcher, pgo_train.py, two workload files
    CHECK(files[4].path == "pymatrix/pgo-workload/lib/jobs.py");
    CHECK(files[5].path == "pymatrix/pgo-workload/train.py");
    CHECK(files[5].content == "import lib.jobs\nlib.jobs.run()\n");
    // sha256sum's listing of the two files, hashed
    const std::string listing = sha256_hex(std::string("def run():\n    sum(range(10**6))\n")) + "  lib/jobs.py\n" +
                                sha256_hex(std::string("import lib.jobs\nlib.jobs.run()\n")) + "  train.py\n";
    BuildInfo info;
    info.python_version = "3.13.5";
    CHECK(labels_for(b[0], info, "2026-12-06T00:00:00Z").at(label::pgo_workload) ==
          "dir:service train.py sha256:" + sha256_hex(listing));
    CHECK(render_dockerfile(b[0]).find("the PGO training workload dir:service failed") != std::string::npos);
    // any byte of any file changes the config hash; a __pycache__ file does not
    const std::string before = b[0].config_hash;
    w.write("service/__pycache__/jobs.cpython-313.pyc", "other bytes");
    CHECK(w.builds(kMine)[0].config_hash == before);
    w.write("service/lib/jobs.py", "def run():\n    sum(range(10**7))\n");
    CHECK(w.builds(kMine)[0].config_hash != before);
}

TEST_CASE("a workload directory's errors name the file, line and key") {
    Workspace w;
    SUBCASE("no such directory") {
        auto e = w.error(R"({ dir = "nowhere", script = "train.py" })");
        CHECK(e.key() == "profiles.pgo-mine.pgo_workload.dir");
        CHECK(e.where().line == 7);
        CHECK(e.reason() == (w.dir / "nowhere").string() + " is not a directory");
    }
    SUBCASE("a script that is not in it") {
        auto e = w.error(R"({ dir = "service", script = "main.py" })");
        CHECK(e.key() == "profiles.pgo-mine.pgo_workload.script");
        CHECK(e.reason() == "'main.py' is not a file of " + (w.dir / "service").string());
    }
    SUBCASE("outside the file's directory") {
        CHECK(w.error(R"({ dir = "../etc", script = "x" })").reason() ==
              "'..' leaves this file's directory; keep the workload below it");
        CHECK(w.error(R"({ dir = "/etc", script = "x" })").reason() ==
              "give the directory relative to this file (it becomes part of the build context)");
    }
    SUBCASE("a symlink inside") {
        fs::create_symlink("/etc/passwd", w.dir / "service/passwd");
        auto e = w.error(kMine);
        CHECK(e.key() == "profiles.pgo-mine.pgo_workload.dir");
        CHECK(e.reason().find("only regular files may be in a workload") != std::string::npos);
    }
    SUBCASE("an argument a shell would read") {
        auto e = w.error(R"X({ dir = "service", script = "train.py", args = ["$(id)"] })X");
        CHECK(e.key() == "profiles.pgo-mine.pgo_workload.args");
    }
    SUBCASE("an unknown key") {
        auto e = w.error(R"({ dir = "service", script = "train.py", argv = [] })");
        CHECK(e.key() == "profiles.pgo-mine.pgo_workload.argv");
    }
    SUBCASE("an unknown bundled name says how to give a directory") {
        auto e = w.error(R"("my-service")");
        CHECK(e.reason() == "unknown workload 'my-service': the bundled ones are kernels, worker-pool, or give your own "
                            "as { dir = \"DIR\", script = \"FILE\" }");
    }
}

TEST_CASE("a matrix axis naming a bundled workload replaces the profile's directory") {
    Workspace w;
    std::string text = Workspace::toml(kMine);
    text.replace(text.find("profile = [\"pgo-mine\"]"), 22, "profile = [\"pgo-mine\"]\npgo_workload = [\"kernels\"]");
    auto b = expand(load_matrix_string(text, w.dir / "m.toml"));
    REQUIRE(b.size() == 1);
    CHECK(b[0].configure_args.back() ==
          "PROFILE_TASK=/pymatrix-pgo/pgo_train.py pymatrix-pgo-trained /pymatrix-pgo/kernels.py --duration 30");
    CHECK(render_context_files(b[0]).size() == 5);
}
