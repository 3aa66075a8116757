// Unit tests for the gate on an image index: registry_image_from_imagetools on what buildx
// imagetools printed for the quick start's level index (tests/fixtures/registry), decide_index and
// index_floor (pymatrix/check.hpp) on it, and on an index whose v3 entry is a -march=native build.
#include "pymatrix/check.hpp"
#include "pymatrix/docker_driver.hpp"
#include "pymatrix/isa.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

using namespace pymatrix;

namespace {

std::string fixture(const std::string& rel) {
    const char* env = std::getenv("PYMATRIX_FIXTURES");
    return std::string(env && *env ? env : PYMATRIX_FIXTURES_DIR) + "/" + rel;
}

RegistryImage level_index() {
    std::ifstream in(fixture("registry/level-index-imagetools.json"));
    REQUIRE_MESSAGE(in, "missing registry/level-index-imagetools.json");
    return registry_image_from_imagetools("127.0.0.1:6999/pymatrix/cpython:3.13.5", nlohmann::json::parse(in));
}

std::vector<IndexEntryRequirement> requirements(const RegistryImage& index) {
    std::vector<IndexEntryRequirement> out;
    for (auto& e : index.entries) out.push_back({e.platform, requirement_of(e.labels)});
    return out;
}

// An EPYC (znver3) -march=native build's features, as test_level_index.cpp records them.
const char* const kNativeFeatures =
    "3dnowprefetch abm adx aes avx avx2 avx512_bf16 avx512_bitalg avx512_vbmi2 avx512_vnni avx512_vpopcntdq "
    "avx512bw avx512cd avx512dq avx512f avx512ifma avx512vbmi avx512vl avx_vnni bmi1 bmi2 clflushopt clwb clzero "
    "cmov cx16 cx8 f16c fma fpu fsgsbase fxsr gfni lahf_lm mmx movbe movdir64b movdiri pclmulqdq pni popcnt "
    "rdrand sha_ni sse sse2 sse4_1 sse4_2 sse4a ssse3 vaes vpclmulqdq xsave xsavec xsaveopt";

}  // namespace

TEST_CASE("imagetools: the quick start's level index, two entries with their labels") {
    auto index = level_index();
    CHECK(index.digest == "sha256:ac40a967f4fd0fa56454b0ad696ebfaa595461eea6bf68bed70251f4e622147d");
    CHECK(index.labels.empty());
    REQUIRE(index.entries.size() == 2);
    CHECK(index.entries[0].platform == "linux/amd64");
    CHECK(index.entries[0].digest == "sha256:acd4e3d7a750328b9beaaf5ccd22e8ed26f38564a4c813a78c58c974f55c763f");
    CHECK(index.entries[0].labels.at("io.pymatrix.isa.level") == "x86-64");
    CHECK(index.entries[0].labels.at("io.pymatrix.isa.march") == "(default) -> x86-64");
    CHECK(index.entries[1].platform == "linux/amd64/v3");
    CHECK(index.entries[1].digest == "sha256:5d2bff9df6dac7103dff697e370862a0c9288932215457d48356e34e96a11eef");
    CHECK(index.entries[1].labels.at("io.pymatrix.isa.level") == "x86-64-v3");
}

TEST_CASE("imagetools: one image has no entries") {
    auto j = nlohmann::json::parse(R"({"name": "r:5000/p:t",
        "manifest": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:ab"},
        "image": {"architecture": "amd64", "os": "linux", "config": {"Labels": {"io.pymatrix.isa.level": "x86-64-v3"}}}})");
    auto image = registry_image_from_imagetools("r:5000/p:t", j);
    CHECK(image.entries.empty());
    CHECK(image.digest == "sha256:ab");
    CHECK(image.labels.at("io.pymatrix.isa.level") == "x86-64-v3");
}

TEST_CASE("imagetools: an index of one image and its attestation is that image") {
    // what the containerd image store (dockerd 26) pushes for one BuildKit image; buildx prints
    // .image as the one config, not as a map
    auto j = nlohmann::json::parse(R"({"name": "r:5000/p:t",
        "manifest": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:1d",
          "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:aa",
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:bb",
             "platform": {"architecture": "unknown", "os": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": "sha256:aa"}}]},
        "image": {"architecture": "amd64", "os": "linux", "config": {"Labels": {"io.pymatrix.isa.level": "x86-64"}}}})");
    auto image = registry_image_from_imagetools("r:5000/p:t", j);
    CHECK(image.entries.empty());
    CHECK(image.digest == "sha256:1d");
    CHECK(image.labels.at("io.pymatrix.isa.level") == "x86-64");
}

TEST_CASE("decide_index: each level gets, and runs, its entry of the quick start's index") {
    auto entries = requirements(level_index());
    SUBCASE("x86-64-v2: the plain entry only") {
        auto v = decide_index(entries, isa::cpu_for_level("x86-64-v2"));
        CHECK(v.accepted);
        CHECK(v.matched == std::optional<std::size_t>(0));
        CHECK(v.gets == std::vector<bool>{true, false});
        CHECK(v.reason == "the target gets linux/amd64, and runs it");
        CHECK_FALSE(v.entries[1].accepted);  // it could not run v3, and never gets it
    }
    SUBCASE("x86-64-v3: v3 where variants are matched, the plain entry where not") {
        auto v = decide_index(entries, isa::cpu_for_level("x86-64-v3"));
        CHECK(v.accepted);
        CHECK(v.matched == std::optional<std::size_t>(1));
        CHECK(v.gets == std::vector<bool>{true, true});
        CHECK(v.reason == "the target gets linux/amd64/v3 (engines that match platform variants) or linux/amd64 "
                          "(engines that do not), and runs both");
    }
    SUBCASE("x86-64-v4: still v3, the highest variant at or below v4") {
        auto v = decide_index(entries, isa::cpu_for_level("x86-64-v4"));
        CHECK(v.accepted);
        CHECK(v.matched == std::optional<std::size_t>(1));
    }
    SUBCASE("an Ivy Bridge (x86-64-v2 with AVX, no AVX2) gets the plain entry") {
        auto ivy = isa::read_cpuinfo(fixture("cpuinfo/linux-rhel7-ivybridge"));
        CHECK(ivy.level == "x86-64-v2");
        auto v = decide_index(entries, ivy);
        CHECK(v.accepted);
        CHECK(v.matched == std::optional<std::size_t>(0));
        CHECK(v.entries[1].missing == std::vector<std::string>{"abm", "avx2", "bmi1", "bmi2", "fma", "movbe"});
    }
    SUBCASE("an arm64 target gets nothing") {
        auto v = decide_index(entries, isa::read_cpuinfo(fixture("cpuinfo/linux-amazon-neoverse_n1")));
        CHECK_FALSE(v.accepted);
        CHECK(v.gets == std::vector<bool>{false, false});
        CHECK(v.reason.find("no entry for linux/arm64") != std::string::npos);
    }
}

TEST_CASE("index_floor: the plain entry bounds the quick start's index") {
    auto floor = index_floor(requirements(level_index()));
    CHECK(floor.entry == std::optional<std::size_t>(0));
    CHECK(floor.refused.empty());
}

TEST_CASE("a -march=native build pushed as linux/amd64/v3: v3 CPUs would get what they cannot run") {
    auto entries = requirements(level_index());
    entries[1].image.features.clear();
    std::string features = kNativeFeatures;
    for (std::size_t at = 0, end; at < features.size(); at = end + 1) {
        end = features.find(' ', at);
        if (end == std::string::npos) end = features.size();
        entries[1].image.features.insert(features.substr(at, end - at));
    }
    auto v3 = decide_index(entries, isa::cpu_for_level("x86-64-v3"));
    CHECK_FALSE(v3.accepted);
    CHECK(v3.reason.rfind("the target may get linux/amd64/v3, which it cannot run: ", 0) == 0);
    auto floor = index_floor(entries);
    CHECK_FALSE(floor.entry);
    CHECK(floor.refused.rfind("an x86-64-v3 node: the target may get linux/amd64/v3", 0) == 0);
}

TEST_CASE("index_floor: no linux/amd64 entry") {
    auto entries = requirements(level_index());
    for (auto& e : entries) e.platform = "linux/arm64";
    auto floor = index_floor(entries);
    CHECK_FALSE(floor.entry);
    CHECK(floor.refused == "the index has no linux/amd64 entry");
}
