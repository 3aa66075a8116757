// Unit tests for pymatrix/level_index.hpp: which pushed builds become which entries of the one-tag
// level index. The label values are what the quick start's builds recorded from their own binaries
// on an AMD EPYC (znver3) VM with dockerd 20.10 (docker image inspect pymatrix/cpython:3.13.5-*).
#include "pymatrix/docker_driver.hpp"
#include "pymatrix/error.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/level_index.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace pymatrix;

namespace {

const char* const kDefaultFeatures = "cmov cx8 fpu fxsr mmx sse sse2";
const char* const kV3Features =
    "abm avx avx2 bmi1 bmi2 cmov cx16 cx8 f16c fma fpu fxsr lahf_lm mmx movbe pni popcnt sse sse2 sse4_1 sse4_2 "
    "ssse3 xsave";
const char* const kNativeFeatures =
    "3dnowprefetch abm adx aes avx avx2 avx512_bf16 avx512_bitalg avx512_vbmi2 avx512_vnni avx512_vpopcntdq "
    "avx512bw avx512cd avx512dq avx512f avx512ifma avx512vbmi avx512vl avx_vnni bmi1 bmi2 clflushopt clwb clzero "
    "cmov cx16 cx8 f16c fma fpu fsgsbase fxsr gfni lahf_lm mmx movbe movdir64b movdiri pclmulqdq pni popcnt "
    "rdrand sha_ni sse sse2 sse4_1 sse4_2 sse4a ssse3 vaes vpclmulqdq xsave xsavec xsaveopt";

const std::string kRepo = "127.0.0.1:6999/pymatrix/cpython";

struct Pushed {
    std::vector<Build> builds;
    std::vector<BuildResult> results;

    void add(const std::string& name, const std::string& level, const std::string& features,
             const std::string& march, char digest_char, const std::string& version = "3.13.5",
             const std::string& repo = kRepo) {
        Build b;
        b.name = name;
        b.repository = repo;
        BuildResult r;
        r.name = name;
        r.outcome = BuildOutcome::built;
        r.push = PushState::pushed;
        r.digest = "sha256:" + std::string(64, digest_char);
        r.pushed = repo + "@" + r.digest;
        r.labels = {{label::isa_arch, "x86_64"},
                    {label::isa_level, level},
                    {label::isa_features, features},
                    {label::isa_march, march},
                    {label::python_version, version}};
        builds.push_back(b);
        results.push_back(r);
    }
    std::vector<LevelIndexEntry> plan(const std::string& ref = kRepo + ":3.13.5") const {
        return plan_level_index(ref, builds, results);
    }
};

std::string refusal(const Pushed& p, const std::string& ref = kRepo + ":3.13.5") {
    try {
        p.plan(ref);
    } catch (const Error& e) {
        CHECK(e.exit_code() == exit_build_failed);
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("variant_of_level: containerd's amd64 variants") {
    CHECK(variant_of_level("x86-64") == "");
    CHECK(variant_of_level("x86-64-v2") == "v2");
    CHECK(variant_of_level("x86-64-v3") == "v3");
    CHECK(variant_of_level("x86-64-v4") == "v4");
    CHECK_THROWS_AS(variant_of_level("znver3"), std::out_of_range);
}

TEST_CASE("plan_level_index: the quick start's default and opt-v3, baseline first") {
    Pushed p;
    p.add("3.13-opt-v3", "x86-64-v3", kV3Features, "x86-64-v3 -> x86-64-v3", 'b');
    p.add("3.13-default", "x86-64", kDefaultFeatures, "(default) -> x86-64", 'a');
    const auto entries = p.plan();
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].build == "3.13-default");
    CHECK(entries[0].variant == "");
    CHECK(entries[0].digest == "sha256:" + std::string(64, 'a'));
    CHECK(entries[1].build == "3.13-opt-v3");
    CHECK(entries[1].level == "x86-64-v3");
    CHECK(entries[1].variant == "v3");
    CHECK(index_descriptor(entries[0]).dump() ==
          R"({"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","platform":{"architecture":"amd64","os":"linux"}})");
    CHECK(index_descriptor(entries[1])["platform"].dump() == R"({"architecture":"amd64","os":"linux","variant":"v3"})");
}

TEST_CASE("plan_level_index refuses what a variant cannot promise") {
    Pushed p;
    p.add("3.13-default", "x86-64", kDefaultFeatures, "(default) -> x86-64", 'a');

    SUBCASE("a -march=native build records features beyond its level") {
        p.add("3.13-native", "x86-64-v4", kNativeFeatures, "native -> znver3", 'c');
        const std::string why = refusal(p);
        CHECK(why.find("build 3.13-native records ISA features beyond x86-64-v4 (3dnowprefetch") != std::string::npos);
        CHECK(why.find("the index was not published") != std::string::npos);
    }
    SUBCASE("asked for x86-64-v3, the binary records x86-64-v2") {
        p.add("3.13-opt-v3", "x86-64-v2", "cmov cx16 cx8 fpu fxsr lahf_lm mmx pni popcnt sse sse2 sse4_1 sse4_2 ssse3",
              "x86-64-v3 -> x86-64-v3", 'b');
        CHECK(refusal(p) == "index " + kRepo + ":3.13.5: build 3.13-opt-v3 asked for -march=x86-64-v3 but records "
                            "level x86-64-v2: its variant would lie; the index was not published");
    }
    SUBCASE("two builds of one level") {
        p.add("3.13-cflags-v3", "x86-64-v3", kV3Features, "x86-64-v3 -> x86-64-v3", 'd');
        p.add("3.13-opt-v3", "x86-64-v3", kV3Features, "x86-64-v3 -> x86-64-v3", 'b');
        CHECK(refusal(p).find("build 3.13-opt-v3 records level x86-64-v3, as build 3.13-cflags-v3 does") !=
              std::string::npos);
    }
    SUBCASE("two Python versions") {
        p.add("3.11-opt-v3", "x86-64-v3", kV3Features, "x86-64-v3 -> x86-64-v3", 'b', "3.11.2");
        CHECK(refusal(p).find("build 3.11-opt-v3 is Python 3.11.2, another is Python 3.13.5") != std::string::npos);
    }
    SUBCASE("pushed to another repository") {
        p.add("3.13-opt-v3", "x86-64-v3", kV3Features, "x86-64-v3 -> x86-64-v3", 'b', "3.13.5",
              "127.0.0.1:6999/other/cpython");
        CHECK(refusal(p).find("is pushed to 127.0.0.1:6999/other/cpython, not to the index's repository") !=
              std::string::npos);
    }
    SUBCASE("not pushed") {
        p.add("3.13-opt-v3", "x86-64-v3", kV3Features, "x86-64-v3 -> x86-64-v3", 'b');
        p.results.back().push = PushState::not_pushed;
        p.results.back().pushed.clear();
        CHECK(refusal(p).find("build 3.13-opt-v3 was not pushed") != std::string::npos);
    }
    SUBCASE("failed") {
        p.add("3.13-opt-v3", "x86-64-v3", kV3Features, "x86-64-v3 -> x86-64-v3", 'b');
        p.results.back().outcome = BuildOutcome::failed;
        CHECK(refusal(p).find("build 3.13-opt-v3 did not build") != std::string::npos);
    }
    SUBCASE("an aarch64 build") {
        p.add("3.13-arm", "x86-64", "", "(default) -> armv8-a", 'e');
        p.results.back().labels[label::isa_arch] = "aarch64";
        CHECK(refusal(p).find("records ISA arch 'aarch64'") != std::string::npos);
    }
}

TEST_CASE("plan_level_index: linux/amd64 must be there") {
    Pushed p;
    p.add("3.13-opt-v3", "x86-64-v3", kV3Features, "x86-64-v3 -> x86-64-v3", 'b');
    CHECK(refusal(p).find("no build records the baseline level x86-64") != std::string::npos);
}

TEST_CASE("docker_argv::create_index: buildx imagetools create from descriptor files") {
    CHECK(docker_argv::create_index(kRepo + ":3.13.5", {"/tmp/d/0.json", "/tmp/d/1.json"}) ==
          std::vector<std::string>{"buildx", "imagetools", "create", "--tag", kRepo + ":3.13.5", "--file",
                                   "/tmp/d/0.json", "--file", "/tmp/d/1.json"});
}

TEST_CASE("index_entry_descriptor: an image with its mediaType and size; an index pushed by the containerd store: its image") {
    const nlohmann::json v3 = index_descriptor({"3.13-opt-v3", "x86-64-v3", "v3", "sha256:1d"});
    auto image = nlohmann::json::parse(R"({"manifest": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "digest": "sha256:1d", "size": 1782}})");
    auto as_is = index_entry_descriptor(v3, image);
    CHECK(as_is["digest"] == "sha256:1d");
    CHECK(as_is["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json");
    CHECK(as_is["size"] == 1782);
    CHECK(as_is["platform"] == v3["platform"]);
    // the shape dockerd 26 with the containerd image store pushes: the image and its attestation
    auto index = nlohmann::json::parse(R"({"manifest": {"mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": "sha256:1d", "manifests": [
          {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:aa", "size": 1610,
           "platform": {"architecture": "amd64", "os": "linux"}},
          {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:bb", "size": 566,
           "platform": {"architecture": "unknown", "os": "unknown"}}]}})");
    auto d = index_entry_descriptor(v3, index);
    CHECK(d["digest"] == "sha256:aa");
    CHECK(d["size"] == 1610);
    CHECK(d["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
    CHECK(d["platform"] == nlohmann::json::parse(R"({"architecture": "amd64", "os": "linux", "variant": "v3"})"));
    auto arm = nlohmann::json::parse(R"({"manifest": {"digest": "sha256:1d", "manifests": [
          {"digest": "sha256:cc", "platform": {"architecture": "arm64", "os": "linux"}}]}})");
    CHECK_THROWS_WITH_AS(index_entry_descriptor(v3, arm), "the index sha256:1d has no linux/amd64 image", Error);
}
