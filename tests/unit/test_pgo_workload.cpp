// A profile's pgo_workload: loading and its errors, the PROFILE_TASK on configure's argv, the
// config hash, the Dockerfile's mount and check, the context files, and the label.
#include <doctest/doctest.h>

#include "config_error_of.hpp"

#include "pymatrix/hash.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/render.hpp"
#include "pymatrix/templates.hpp"

#include <string>

using namespace pymatrix;

namespace {
const std::string kFile = R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.pgo]
pgo = true
[profiles.pgo-wp]
extends = "pgo"
pgo_workload = "worker-pool"
)";  // 9 lines

std::vector<Build> builds_of(const std::string& profiles_and_matrix) {
    return expand(load_matrix_string(kFile + profiles_and_matrix, "m.toml"));
}

const std::string kTask =
    "PROFILE_TASK=/pymatrix-pgo/pgo_train.py pymatrix-pgo-trained /pymatrix-pgo/worker_pool.py --duration 30";
}  // namespace

TEST_CASE("pgo_workload: PROFILE_TASK runs the bundled workload through pgo_train.py") {
    auto b = builds_of("[matrix]\npython = [\"3.13\"]\nprofile = [\"pgo\", \"pgo-wp\"]\n");
    REQUIRE(b.size() == 2);
    CHECK(b[0].configure_args == std::vector<std::string>{"--enable-option-checking=fatal", "--enable-optimizations"});
    CHECK(b[1].configure_args ==
          std::vector<std::string>{"--enable-option-checking=fatal", "--enable-optimizations", kTask});
    CHECK(b[0].config_hash != b[1].config_hash);
}

TEST_CASE("pgo_workload as a matrix axis names each build") {
    auto b = builds_of("[matrix]\npython = [\"3.13\"]\nprofile = [\"pgo\"]\npgo_workload = [\"worker-pool\", \"kernels\"]\n");
    REQUIRE(b.size() == 2);
    CHECK(b[0].name == "3.13-pgo-worker-pool");
    CHECK(b[1].name == "3.13-pgo-kernels");
    CHECK(b[1].configure_args.back() ==
          "PROFILE_TASK=/pymatrix-pgo/pgo_train.py pymatrix-pgo-trained /pymatrix-pgo/kernels.py --duration 30");
}

TEST_CASE("pgo_workload errors name the file, line and key") {
    SUBCASE("an unknown workload") {
        auto e = config_error_of([] { load_matrix_string(kFile + "[profiles.x]\npgo = true\npgo_workload = \"my-service\"\n", "m.toml"); });
        CHECK(e.key() == "profiles.x.pgo_workload");
        CHECK(e.where().line == 12);
        CHECK(e.reason() == "unknown workload 'my-service': the bundled ones are kernels, worker-pool, or give your "
                            "own as { dir = \"DIR\", script = \"FILE\" }");
    }
    SUBCASE("without pgo") {
        auto e = config_error_of([] {
            builds_of("[profiles.x]\npgo_workload = \"kernels\"\n[matrix]\npython = [\"3.13\"]\nprofile = [\"x\"]\n");
        });
        CHECK(e.key() == "profiles.x.pgo_workload");
        CHECK(e.where().line == 11);
        CHECK(e.reason() == "pgo_workload = \"kernels\" trains PGO, and this build has pgo = false: set pgo = true "
                            "(--enable-optimizations)");
    }
    SUBCASE("with profile_task") {
        auto e = config_error_of([] {
            builds_of("[profiles.x]\nextends = \"pgo-wp\"\nprofile_task = \"-m test --pgo\"\n"
                      "[matrix]\npython = [\"3.13\"]\nprofile = [\"x\"]\n");
        });
        CHECK(e.key() == "profiles.x.pgo_workload");
        CHECK(e.where().line == 9);  // where the parent set it
        CHECK(e.reason() == "pgo_workload and profile_task both set the PGO training run (PROFILE_TASK): keep one");
    }
}

TEST_CASE("pgo_workload: the Dockerfile mounts the workload for make and checks the training ran") {
    auto b = builds_of("[matrix]\npython = [\"3.13\"]\nprofile = [\"pgo\", \"pgo-wp\"]\n");
    std::string plain = render_dockerfile(b[0]);
    std::string trained = render_dockerfile(b[1]);
    CHECK(plain.find("\nRUN make -j\"${MAKE_JOBS:-$(nproc)}\"\n") != std::string::npos);
    CHECK(plain.find("pymatrix-pgo") == std::string::npos);
    CHECK(trained.find("\nRUN --mount=type=bind,source=pymatrix/pgo-workload,target=/pymatrix-pgo make "
                       "-j\"${MAKE_JOBS:-$(nproc)}\"\n"
                       "# the PGO training workload must have run to its end: make ignores a failing training run\n"
                       "RUN test -f pymatrix-pgo-trained || { echo 'pymatrix: the PGO training workload worker-pool "
                       "failed (pgo_train.py wrote no pymatrix-pgo-trained): its output is in the make step above' "
                       ">&2; exit 1; }\n") != std::string::npos);
    auto files = render_context_files(b[1]);
    REQUIRE(files.size() == 5);
    CHECK(files[3].path == "pymatrix/pgo-workload/pgo_train.py");
    CHECK(files[3].content == std::string(embedded::pgo_train_py));
    CHECK(files[4].path == "pymatrix/pgo-workload/worker_pool.py");
    CHECK(files[4].content == std::string(embedded::workload_worker_pool_py));
    CHECK(render_context_files(b[0]).size() == 3);
}

TEST_CASE("pgo_workload: the label names the workload and its digest") {
    auto b = builds_of("[matrix]\npython = [\"3.13\"]\nprofile = [\"pgo\", \"pgo-wp\"]\n");
    BuildInfo info;
    info.python_version = "3.13.5";
    auto plain = labels_for(b[0], info, "2026-12-06T00:00:00Z");
    auto trained = labels_for(b[1], info, "2026-12-06T00:00:00Z");
    CHECK_FALSE(plain.count(label::pgo_workload));
    CHECK(trained.at(label::pgo_workload) ==
          "worker-pool worker_pool.py sha256:" + sha256_hex(std::string(embedded::workload_worker_pool_py)));
}
