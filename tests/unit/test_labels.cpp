// Labels come from the image's build-info JSON and reach buildx byte for byte.
#include <doctest/doctest.h>

#include "pymatrix/build.hpp"
#include "pymatrix/docker_driver.hpp"
#include "pymatrix/labels.hpp"

#include <algorithm>

using namespace pymatrix;

namespace {
// What sysconfig.get_config_var('CONFIG_ARGS') returns for these configure arguments: configure
// single-quotes every argument (autoconf's ac_configure_args).
const std::string kTricky = R"('--with-lto' 'CFLAGS_NODIST=-O3 -march=x86-64-v3' 'X="y"' 'NOTE=it'\''s a=b')";

nlohmann::json info_doc() {
    return {{"python_version", "3.13.5"},   {"config_args", kTricky},
            {"cflags", "-O2 -Wall"},        {"cflags_nodist", "-O3 -march=x86-64-v3"},
            {"arch", "x86_64"},             {"march_requested", "x86-64-v3"},
            {"march_resolved", "x86-64-v3"}, {"build_host_cpu", "AuthenticAMD AMD EPYC"},
            {"missing_modules", nlohmann::json::array()},
            {"cc_macros", "#define __x86_64__ 1\n#define __SSE2__ 1\n#define __SSE3__ 1\n#define __SSSE3__ 1\n"
                          "#define __SSE4_1__ 1\n#define __SSE4_2__ 1\n#define __POPCNT__ 1\n#define __LAHF_SAHF__ 1\n"
                          "#define __GCC_HAVE_SYNC_COMPARE_AND_SWAP_16 1\n#define __AVX__ 1\n#define __AVX2__ 1\n"
                          "#define __BMI__ 1\n#define __BMI2__ 1\n#define __F16C__ 1\n#define __FMA__ 1\n"
                          "#define __LZCNT__ 1\n#define __MOVBE__ 1\n#define __XSAVE__ 1\n"}};
}

Build sample_build() {
    Build b;
    b.name = "3.13-opt-v3";
    b.profile = "opt-v3";
    b.config_hash = std::string(64, 'a');
    b.tags = {"pymatrix/cpython:3.13.5-opt-v3", "pymatrix/cpython:3.13.5-opt-v3-aaaaaaaaaaaa"};
    return b;
}
}  // namespace

TEST_CASE("CONFIG_ARGS with quotes, spaces and '=' survives JSON -> label -> buildx argv unchanged") {
    // the JSON the image writes, serialised and parsed again as pymatrix reads it back
    auto doc = nlohmann::json::parse(info_doc().dump(1));
    BuildInfo info = parse_build_info(doc);
    CHECK(info.config_args == kTricky);
    auto labels = labels_for(sample_build(), info, "2026-11-30T00:00:00Z");
    CHECK(labels.at(label::config_args) == kTricky);
    auto argv = docker_argv::build(labelling_request(sample_build(), labels), "");
    auto it = std::find(argv.begin(), argv.end(), std::string("io.pymatrix.config-args=") + kTricky);
    REQUIRE(it != argv.end());
    CHECK(*(it - 1) == "--label");
    CHECK(argv.back() == "-");
    CHECK(std::count(argv.begin(), argv.end(), std::string("--tag")) == 2);
}

TEST_CASE("the labels of an x86-64-v3 build") {
    auto labels = labels_for(sample_build(), parse_build_info(info_doc()), "2026-11-30T00:00:00Z");
    CHECK(labels.at(label::profile) == "opt-v3");
    CHECK(labels.at(label::python_version) == "3.13.5");
    CHECK(labels.at(label::isa_arch) == "x86_64");
    CHECK(labels.at(label::isa_level) == "x86-64-v3");
    CHECK(labels.at(label::isa_features) ==
          "abm avx avx2 bmi1 bmi2 cmov cx16 cx8 f16c fma fpu fxsr lahf_lm mmx movbe pni popcnt sse sse2 sse4_1 sse4_2 "
          "ssse3 xsave");
    CHECK(labels.at(label::isa_march) == "x86-64-v3 -> x86-64-v3");
    CHECK(labels.at(label::build_host_cpu) == "AuthenticAMD AMD EPYC");
    CHECK(labels.at(label::oci_created) == "2026-11-30T00:00:00Z");
    CHECK(labels.at(label::oci_version) == "3.13.5");
    CHECK(labels.size() == 11);
}

TEST_CASE("a build-info document missing a field is an error") {
    auto doc = info_doc();
    doc.erase("config_args");
    CHECK_THROWS_AS(parse_build_info(doc), Error);
}
