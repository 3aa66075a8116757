// builder_toolchain(): the packages and LLVM_BOLT=/MERGE_FDATA=/LLVM_AR=/LLVM_PROFDATA= each rule
// row gives a build, how they reach expand() (argv, hash, plan JSON) and the rendered Dockerfile.
#include <doctest/doctest.h>

#include "pymatrix/cpython.hpp"
#include "pymatrix/render.hpp"

#include <string>
#include <vector>

using namespace pymatrix;
using strings = std::vector<std::string>;

namespace {
const std::string kBoltPath = "LLVM_BOLT=/usr/lib/llvm-19/bin/llvm-bolt";
const std::string kFdataPath = "MERGE_FDATA=/usr/lib/llvm-19/bin/merge-fdata";

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}
}  // namespace

TEST_CASE("toolchain: a build no rule row needs tools for gets nothing") {
    for (const strings& args : {strings{"--enable-option-checking=fatal"},
                                strings{"--enable-optimizations", "--with-lto", "CFLAGS_NODIST=-march=x86-64-v3"},
                                strings{"--with-lto=full"}, strings{"--disable-gil"}, strings{"--enable-bolt=no"},
                                strings{"--enable-experimental-jit=no"}}) {
        auto tc = builder_toolchain("3.13.5", args, "debian:bookworm-slim");
        CHECK_MESSAGE(tc.packages.empty(), args.front());
        CHECK(tc.assignments.empty());
        CHECK(tc.notes.empty());
    }
}

TEST_CASE("toolchain: --enable-bolt gets bolt-19 and its tool paths (3.13 needs BOLT 18+)") {
    for (const char* base : {"debian:bookworm-slim", "debian:trixie"}) {
        auto tc = builder_toolchain("3.13.5", {"--enable-optimizations", "--with-lto", "--enable-bolt"}, base);
        CHECK(tc.packages == strings{"bolt-19"});
        CHECK(tc.assignments == strings{kBoltPath, kFdataPath});
        CHECK(tc.notes.empty());
    }
    // 3.12's row takes any bolt-N: newest first, or the one of a clang CC=
    CHECK(builder_toolchain("3.12.9", {"--enable-bolt"}, "debian:12").packages == strings{"bolt-19"});
    auto tc = builder_toolchain("3.12.9", {"--enable-bolt", "CC=clang-16"}, "debian:bookworm");
    CHECK(tc.packages == strings{"clang-16", "bolt-16"});
    CHECK(tc.assignments ==
          strings{"LLVM_BOLT=/usr/lib/llvm-16/bin/llvm-bolt", "MERGE_FDATA=/usr/lib/llvm-16/bin/merge-fdata"});
    // 3.13 with CC=clang-16: bolt-16 lacks cdsort, so still bolt-19
    CHECK(builder_toolchain("3.13.5", {"--enable-bolt", "CC=clang-16"}, "debian:bookworm").packages ==
          strings{"clang-16", "bolt-19"});
    // before 3.12 no row applies (check_rules rejects the build): nothing
    tc = builder_toolchain("3.11.2", {"--enable-bolt"}, "debian:bookworm");
    CHECK(tc.packages.empty());
    CHECK(tc.assignments.empty());
}

TEST_CASE("toolchain: a profile's own LLVM_BOLT and its own bolt package are kept") {
    auto tc = builder_toolchain("3.13.5", {"--enable-bolt", "LLVM_BOLT=/opt/bolt/bin/llvm-bolt"}, "debian:bookworm");
    CHECK(tc.packages == strings{"bolt-19"});
    CHECK(tc.assignments == strings{kFdataPath});
    tc = builder_toolchain("3.13.5", {"--enable-bolt", "MERGE_FDATA=/opt/m", "LLVM_BOLT=/opt/b"}, "debian:bookworm");
    CHECK(tc.assignments.empty());
    // the profile installs bolt-19 itself: nothing more to install, the paths still set
    tc = builder_toolchain("3.13.5", {"--enable-bolt"}, "debian:bookworm", {"bolt-19", "libtool"});
    CHECK(tc.packages.empty());
    CHECK(tc.assignments == strings{kBoltPath, kFdataPath});
    // ... or bolt-16 for 3.12: that one is used
    tc = builder_toolchain("3.12.9", {"--enable-bolt"}, "debian:bookworm", {"bolt-16"});
    CHECK(tc.packages.empty());
    CHECK(tc.assignments.front() == "LLVM_BOLT=/usr/lib/llvm-16/bin/llvm-bolt");
}

TEST_CASE("toolchain: --enable-experimental-jit gets python3 and exactly its LLVM") {
    auto tc = builder_toolchain("3.13.5", {"--enable-experimental-jit"}, "debian:trixie-slim");
    CHECK(tc.packages == strings{"python3", "clang-18", "llvm-18"});
    CHECK(tc.assignments.empty());  // Tools/jit finds clang-18, llvm-objdump-18 by their versioned names
    CHECK(builder_toolchain("3.14.0", {"--enable-experimental-jit=yes-off"}, "debian:bookworm").packages ==
          strings{"python3", "clang-19", "llvm-19"});
    // bookworm has no LLVM 18: only what it can give (check_rules rejects the build)
    CHECK(builder_toolchain("3.13.5", {"--enable-experimental-jit"}, "debian:bookworm").packages ==
          strings{"python3"});
    // "interpreter" builds no stencils: the LLVM row does not apply, the availability row's python3 does
    CHECK(builder_toolchain("3.13.5", {"--enable-experimental-jit=interpreter"}, "debian:trixie").packages ==
          strings{"python3"});
}

TEST_CASE("toolchain: --with-tail-call-interp gets the clang of CC=") {
    auto tc = builder_toolchain("3.14.0", {"--with-tail-call-interp", "CC=clang-19"}, "debian:bookworm-slim");
    CHECK(tc.packages == strings{"clang-19"});
    CHECK(tc.assignments.empty());
    CHECK(builder_toolchain("3.14.0", {"CC=clang", "--with-tail-call-interp"}, "debian:trixie").packages ==
          strings{"clang"});
    tc = builder_toolchain("3.14.0", {"--with-tail-call-interp", "CC=clang-17"}, "debian:bookworm");
    CHECK(tc.packages.empty());
    REQUIRE(tc.notes.size() == 1);
    CHECK(tc.notes[0] == "CC=clang-17, but the Debian suite of debian:bookworm (bookworm) has no clang-17 package: "
                         "configure will find no C compiler");
}

TEST_CASE("toolchain: clang LTO gets llvm-N and LLVM_AR; clang PGO gets LLVM_PROFDATA") {
    auto tc = builder_toolchain("3.13.5", {"--with-lto=thin", "CC=clang"}, "debian:bookworm-slim");
    CHECK(tc.packages == strings{"clang", "llvm-14"});  // bookworm's clang is 14
    CHECK(tc.assignments == strings{"LLVM_AR=/usr/lib/llvm-14/bin/llvm-ar"});
    tc = builder_toolchain("3.13.5", {"--enable-optimizations", "--with-lto=thin", "CC=ccache /usr/bin/clang-19"},
                           "debian:bookworm");
    CHECK(tc.packages == strings{"clang-19", "llvm-19", "libclang-rt-19-dev"});  // PGO: its runtime too
    CHECK(tc.assignments ==
          strings{"LLVM_AR=/usr/lib/llvm-19/bin/llvm-ar", "LLVM_PROFDATA=/usr/lib/llvm-19/bin/llvm-profdata"});
    tc = builder_toolchain("3.11.2", {"--with-lto", "CC=clang", "LLVM_AR=/usr/bin/llvm-ar-14"}, "debian:trixie");
    CHECK(tc.packages == strings{"clang", "llvm-19"});
    CHECK(tc.assignments.empty());
    // gcc LTO and PGO use gcc-ar and gcov: nothing
    CHECK(builder_toolchain("3.13.5", {"--enable-optimizations", "--with-lto=full"}, "debian:bookworm").packages.empty());
}

TEST_CASE("toolchain: an image of an unknown suite gets the first alternative, unchecked") {
    auto tc = builder_toolchain("3.13.5", {"--enable-bolt"}, "ubuntu:24.04");
    CHECK(tc.packages == strings{"bolt-19"});
    CHECK(tc.assignments == strings{kBoltPath, kFdataPath});
    tc = builder_toolchain("3.13.5", {"--with-lto", "CC=clang"}, "ubuntu:24.04");
    CHECK(tc.packages == strings{"clang"});
    CHECK(tc.assignments.empty());
    REQUIRE(tc.notes.size() == 1);
    CHECK(tc.notes[0].find("give LLVM_AR=/path/to/llvm-ar") != std::string::npos);
    CHECK_THROWS_AS(builder_toolchain("three", {"--enable-bolt"}, "debian:bookworm"), ConfigError);
}

namespace {
std::vector<Build> bolt_matrix() {
    return expand(load_matrix_string(R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.default]
[profiles.bolt]
pgo = true
bolt = true
build_packages = ["libtool"]
[profiles.own-bolt]
bolt = true
configure = ["LLVM_BOLT=/usr/bin/llvm-bolt-19"]
[matrix]
python = ["3.13"]
profile = ["default", "bolt", "own-bolt"]
)",
                                     "m.toml"));
}
}  // namespace

TEST_CASE("toolchain at plan time: configure argv, plan JSON and the Dockerfile's own RUN") {
    auto builds = bolt_matrix();
    REQUIRE(builds.size() == 3);
    const Build& plain = builds[0];
    const Build& bolt = builds[1];
    const Build& own = builds[2];
    CHECK(plain.configure_args == strings{"--enable-option-checking=fatal"});
    CHECK(plain.toolchain_packages.empty());
    CHECK(bolt.configure_args ==
          strings{"--enable-option-checking=fatal", "--enable-optimizations", "--enable-bolt", kBoltPath, kFdataPath});
    CHECK(bolt.toolchain_packages == strings{"bolt-19"});
    CHECK(build_to_json(bolt)["toolchain_packages"] == nlohmann::json{"bolt-19"});
    CHECK(own.configure_args ==
          strings{"--enable-option-checking=fatal", "--enable-bolt", "LLVM_BOLT=/usr/bin/llvm-bolt-19", kFdataPath});

    const std::string apt_layer_end = " && rm -rf /var/lib/apt/lists/*\n";
    const std::string toolchain_run =
        "# the toolchain the rules table requires for this build (LLVM_BOLT=... are in configure's argv)\n"
        "RUN [\"/bin/sh\",\"-c\",\"apt-get update && apt-get install -y --no-install-recommends \\\"$@\\\" && rm -rf "
        "/var/lib/apt/lists/*\",\"install-toolchain\",\"bolt-19\"]\n";
    const std::string profile_run =
        "# the profile's extra build packages\n"
        "RUN [\"/bin/sh\",\"-c\",\"apt-get update && apt-get install -y --no-install-recommends \\\"$@\\\" && rm -rf "
        "/var/lib/apt/lists/*\",\"install-build-packages\",\"libtool\"]\n";
    std::string d = render_dockerfile(bolt);
    CHECK(count(d, toolchain_run) == 1);
    CHECK(count(d, profile_run) == 1);
    // right after the shared apt layer, then the profile's packages, then the source stage
    CHECK(count(d, apt_layer_end + toolchain_run + profile_run + "# --- source:") == 1);
    CHECK(count(d, "RUN [\"./configure\",\"--enable-option-checking=fatal\",\"--enable-optimizations\",\"--enable-bolt\","
                   "\"LLVM_BOLT=/usr/lib/llvm-19/bin/llvm-bolt\",\"MERGE_FDATA=/usr/lib/llvm-19/bin/merge-fdata\"]\n") ==
          1);
    std::string p = render_dockerfile(plain);
    CHECK(count(p, "install-toolchain") == 0);
    CHECK(count(p, apt_layer_end + "# --- source:") == 1);
}

TEST_CASE("toolchain: clang PGO gets the profile runtime libclang-rt-N-dev where the suite has it") {
    // issue 15: clang-19 PGO linked without libclang_rt.profile-x86_64.a
    auto tc = builder_toolchain("3.13.5", {"--enable-optimizations", "--with-lto=full", "CC=clang-19"},
                                "debian:bookworm-slim");
    CHECK(tc.packages == strings{"clang-19", "llvm-19", "libclang-rt-19-dev"});
    CHECK(tc.assignments ==
          strings{"LLVM_AR=/usr/lib/llvm-19/bin/llvm-ar", "LLVM_PROFDATA=/usr/lib/llvm-19/bin/llvm-profdata"});
    // clang-22 from bookworm-security, with its own BOLT
    tc = builder_toolchain("3.13.5", {"--enable-optimizations", "--enable-bolt", "CC=clang-22"}, "debian:bookworm");
    CHECK(tc.packages == strings{"clang-22", "bolt-22", "llvm-22", "libclang-rt-22-dev"});
    CHECK(tc.assignments == strings{"LLVM_BOLT=/usr/lib/llvm-22/bin/llvm-bolt",
                                    "MERGE_FDATA=/usr/lib/llvm-22/bin/merge-fdata",
                                    "LLVM_PROFDATA=/usr/lib/llvm-22/bin/llvm-profdata"});
    // each of them from bookworm-security, which the base image must list (trixie has them in main)
    REQUIRE(tc.notes.size() == 4);
    CHECK(tc.notes[0] == "clang-22 comes from bookworm-security: debian:bookworm must list that suite in its apt "
                         "sources (Docker Hub's debian:bookworm images do), else apt cannot find it");
    CHECK(builder_toolchain("3.13.5", {"--enable-optimizations", "CC=clang-22"}, "debian:trixie").notes.empty());
    // trixie's default clang is 19; bookworm has no libclang-rt-15-dev: nothing to add for it
    CHECK(builder_toolchain("3.13.5", {"--enable-optimizations", "CC=clang"}, "debian:trixie").packages ==
          strings{"clang", "llvm-19", "libclang-rt-19-dev"});
    CHECK(builder_toolchain("3.13.5", {"--enable-optimizations", "CC=clang-15"}, "debian:bookworm").packages ==
          strings{"clang-15", "llvm-15"});
    // the profile installs the runtime itself: not twice; no PGO: no runtime
    CHECK(builder_toolchain("3.13.5", {"--enable-optimizations", "CC=clang-19"}, "debian:bookworm",
                            {"libclang-rt-19-dev"})
              .packages == strings{"clang-19", "llvm-19"});
    CHECK(builder_toolchain("3.13.5", {"--with-lto=thin", "CC=clang-19"}, "debian:bookworm").packages ==
          strings{"clang-19", "llvm-19"});
}

TEST_CASE("known compilers: gcc, the suite's clang and every clang-N of Debian 12 and 13") {
    CHECK(known_compilers() == strings{"gcc", "clang", "clang-13", "clang-14", "clang-15", "clang-16", "clang-17",
                                       "clang-18", "clang-19", "clang-22"});
}

TEST_CASE("rules: a clang the suite lacks is refused at its CC= argument") {
    auto v = check_rules("3.13.5", {"--enable-optimizations", "CC=clang-17"}, "debian:bookworm-slim");
    REQUIRE(v.size() == 1);
    CHECK(v[0].argument == "CC=clang-17");
    CHECK(v[0].message == "CC=clang-17, but debian:bookworm-slim is Debian 12 (bookworm), which has no clang-17 "
                          "package: configure would find no C compiler");
    CHECK(check_rules("3.13.5", {"CC=clang-17"}, "debian:trixie").empty());
    CHECK(check_rules("3.13.5", {"CC=clang-22"}, "debian:bookworm").empty());
    CHECK(check_rules("3.13.5", {"CC=clang-17"}, "ubuntu:24.04").empty());  // unknown suite: not judged
}

TEST_CASE("rules: clang-19 with bolt-19 is a known crash, refused with a way out") {
    const strings crash = {"--enable-optimizations", "--with-lto=full", "--enable-bolt", "CC=clang-19", kBoltPath,
                           kFdataPath};
    auto v = check_rules("3.13.5", crash, "debian:bookworm-slim");
    REQUIRE(v.size() == 1);
    CHECK(v[0].argument == "--enable-bolt");
    CHECK(v[0].message.find("'--enable-bolt' with CC=clang-19 and bolt-19 is a combination known to crash; instead: "
                            "compiler = \"gcc\"") == 0);
    CHECK(v[0].message.find("build_packages = [\"bolt-22\"]") != std::string::npos);
    CHECK(v[0].reason.find("segmentation fault") != std::string::npos);
    CHECK(v[0].citation.find("issue 15") != std::string::npos);
    // trixie's unversioned clang is 19 too; a profile's own llvm-bolt-19 path counts
    CHECK(check_rules("3.13.5", {"--enable-bolt", "CC=clang", kBoltPath}, "debian:trixie").size() == 1);
    CHECK(check_rules("3.13.5", {"--enable-bolt", "CC=clang-19", "LLVM_BOLT=/usr/bin/llvm-bolt-19"}, "debian:12")
              .size() == 1);
    // the ways out: gcc + bolt-19 (the seed matrix), clang-19 + bolt-22, clang-22 + bolt-22, no BOLT, 3.12
    CHECK(check_rules("3.13.5", {"--enable-bolt", kBoltPath}, "debian:bookworm").empty());
    CHECK(check_rules("3.13.5", {"--enable-bolt", "CC=clang-19", "LLVM_BOLT=/usr/lib/llvm-22/bin/llvm-bolt"},
                      "debian:bookworm")
              .empty());
    CHECK(check_rules("3.13.5", {"--enable-bolt=no", "CC=clang-19", kBoltPath}, "debian:bookworm").empty());
    CHECK(check_rules("3.12.9", {"--enable-bolt", "CC=clang-19", kBoltPath}, "debian:bookworm").empty());
    // builder_toolchain() picks bolt-19 for clang-19 (so the check sees it), bolt-22 when the profile asks
    CHECK(builder_toolchain("3.13.5", {"--enable-bolt", "CC=clang-19"}, "debian:bookworm").assignments.front() ==
          kBoltPath);
    CHECK(builder_toolchain("3.13.5", {"--enable-bolt", "CC=clang-19"}, "debian:bookworm", {"bolt-22"})
              .assignments.front() == "LLVM_BOLT=/usr/lib/llvm-22/bin/llvm-bolt");
}

namespace {
MatrixFile compiler_matrix(const std::string& profiles, const std::string& axes = "") {
    return load_matrix_string(R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
)" + profiles + "[matrix]\npython = [\"3.13\"]\n" + axes,
                              "m.toml");
}
}  // namespace

TEST_CASE("compiler setting: CC= on the argv, the rules' toolchain, the hash, the Dockerfile") {
    auto builds = expand(compiler_matrix(R"([profiles.default]
[profiles.gcc]
compiler = "gcc"
[profiles.pgo]
pgo = true
[profiles.clang-pgo]
pgo = true
compiler = "clang-19"
[profiles.cc-pgo]
pgo = true
configure = ["CC=clang-19"]
)",
                                         "profile = [\"default\", \"gcc\", \"pgo\", \"clang-pgo\", \"cc-pgo\"]\n"));
    REQUIRE(builds.size() == 5);
    const Build &plain = builds[0], &gcc = builds[1], &pgo = builds[2], &clang = builds[3], &cc = builds[4];
    CHECK(gcc.configure_args == plain.configure_args);
    CHECK(gcc.config_hash == plain.config_hash);  // "gcc" is the default, spelt out
    CHECK(clang.configure_args == strings{"--enable-option-checking=fatal", "--enable-optimizations", "CC=clang-19",
                                          "LLVM_PROFDATA=/usr/lib/llvm-19/bin/llvm-profdata"});
    CHECK(clang.toolchain_packages == strings{"clang-19", "llvm-19", "libclang-rt-19-dev"});
    CHECK(clang.config_hash != pgo.config_hash);
    // configure = ["CC=clang-19"] as before: the same argv and packages
    CHECK(cc.configure_args == clang.configure_args);
    CHECK(cc.toolchain_packages == clang.toolchain_packages);
    std::string d = render_dockerfile(clang);
    CHECK(count(d, "\"install-toolchain\",\"clang-19\",\"llvm-19\",\"libclang-rt-19-dev\"]") == 1);
    CHECK(count(d, "\"CC=clang-19\",\"LLVM_PROFDATA=/usr/lib/llvm-19/bin/llvm-profdata\"]") == 1);
    // the ISA step asks the interpreter which compiler built it, and leaves the profile flags out
    CHECK(count(d, "sysconfig.get_config_var(\"CC\")") == 1);
    CHECK(count(d, "\ncc $flags") == 0);

    // a matrix axis over compilers
    builds = expand(compiler_matrix("[profiles.pgo]\npgo = true\n",
                                    "profile = [\"pgo\"]\ncompiler = [\"gcc\", \"clang-22\"]\n"));
    REQUIRE(builds.size() == 2);
    CHECK(builds[0].name == "3.13-pgo-gcc");
    CHECK(builds[0].toolchain_packages.empty());
    CHECK(builds[1].name == "3.13-pgo-clang-22");
    CHECK(builds[1].toolchain_packages == strings{"clang-22", "llvm-22", "libclang-rt-22-dev"});
}

TEST_CASE("compiler setting: a CC= in configure as well is refused at the compiler key") {
    try {
        expand(compiler_matrix("[profiles.p]\ncompiler = \"clang-19\"\nconfigure = [\"CC=gcc\"]\n",
                               "profile = [\"p\"]\n"));
        FAIL("no ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.where().line == 6);
        CHECK(e.key() == "profiles.p.compiler");
        CHECK(e.reason() == "compiler = \"clang-19\" and 'CC=gcc' in configure both choose the C compiler: keep one");
    }
}
