// Kubernetes placement: cpuinfo flags -> node-feature-discovery labels (every fixture, expected labels
// in tests/fixtures/cpuinfo/NFD.tsv), the node affinity of v1/v2/v3/v4/native images in both NFD
// modes, and the property that the affinity admits exactly the nodes the gate accepts.
#include <doctest/doctest.h>

#include "pymatrix/check.hpp"
#include "pymatrix/cpuinfo.hpp"
#include "pymatrix/error.hpp"
#include "pymatrix/isa.hpp"
#include "pymatrix/k8s_placement.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/nfd.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace pymatrix;
namespace nfd = pymatrix::isa::nfd;

namespace {
std::string fixtures() {
    const char* env = std::getenv("PYMATRIX_FIXTURES");
    return std::string(env && *env ? env : PYMATRIX_FIXTURES_DIR) + "/cpuinfo";
}

struct NfdRow {
    std::string file, arch, labels;
};
std::vector<NfdRow> nfd_rows() {
    std::ifstream in(fixtures() + "/NFD.tsv");
    REQUIRE_MESSAGE(in, "missing " << fixtures() << "/NFD.tsv");
    std::vector<NfdRow> rows;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream cols(line);
        NfdRow r;
        std::getline(cols, r.file, '\t');
        std::getline(cols, r.arch, '\t');
        std::getline(cols, r.labels, '\t');
        rows.push_back(r);
    }
    return rows;
}

// what the image labels carry (io.pymatrix.isa.*), as `pymatrix build` writes them
IsaRequirement image(const std::string& level, const std::string& features) {
    return requirement_of({{label::isa_arch, "x86_64"}, {label::isa_level, level}, {label::isa_features, features}});
}
const std::string v1 = "cmov cx8 fpu fxsr mmx sse sse2";
const std::string v2 = v1 + " cx16 lahf_lm pni popcnt sse4_1 sse4_2 ssse3";
const std::string v3 = v2 + " abm avx avx2 bmi1 bmi2 f16c fma movbe xsave";
const std::string v4 = v3 + " avx512bw avx512cd avx512dq avx512f avx512vl";
// -march=native on a Zen 4 (GCC 12 says znver3 and adds AVX-512): v4 and more
const std::string zen4_native =
    v4 + " 3dnowprefetch adx aes avx512_bf16 avx512_bitalg avx512_vbmi2 avx512_vnni avx512_vpopcntdq avx512ifma "
         "avx512vbmi clflushopt clwb clzero fsgsbase gfni mwaitx pclmulqdq pku rdpid rdrand rdseed sha_ni sse4a vaes "
         "vpclmulqdq wbnoinvd xsavec xsaveopt xsaves";
// -march=native on a Haswell: v3 plus features NFD does label
const std::string haswell_native = v3 + " aes pclmulqdq rdrand xsaveopt";

std::vector<std::string> keys(const Placement& p) {
    std::vector<std::string> out;
    for (auto& e : p.match_expressions) {
        std::string k = e.key.rfind(nfd::cpuid_label_prefix, 0) == 0 ? e.key.substr(std::string(nfd::cpuid_label_prefix).size())
                                                                      : e.key + "=" + e.values.at(0);
        out.push_back(k);
    }
    return out;
}
std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
}
std::set<std::string> configured_blacklist(const std::vector<std::string>& publish) {
    std::set<std::string> b(nfd::default_blacklist().begin(), nfd::default_blacklist().end());
    for (auto& n : publish) b.erase(n);
    return b;
}
const std::set<std::string> default_blacklist(nfd::default_blacklist().begin(), nfd::default_blacklist().end());
}  // namespace

TEST_CASE("NFD names of cpuinfo flags: the spelling traps") {
    CHECK(nfd::cpuid_name("abm") == "LZCNT");
    CHECK(nfd::cpuid_name("pni") == "SSE3");
    CHECK(nfd::cpuid_name("sse4_1") == "SSE4");
    CHECK(nfd::cpuid_name("sse4_2") == "SSE42");
    CHECK(nfd::cpuid_name("fma") == "FMA3");
    CHECK(nfd::cpuid_name("lahf_lm") == "LAHF");
    CHECK(nfd::cpuid_name("cx8") == "CMPXCHG8");
    CHECK(nfd::cpuid_name("fpu") == "X87");
    CHECK(nfd::cpuid_name("pclmulqdq") == "CLMUL");
    CHECK(nfd::cpuid_name("aes") == "AESNI");
    CHECK(nfd::cpuid_name("sha_ni") == "SHA");
    CHECK(nfd::cpuid_name("avx512vbmi") == "AVX512VBMI");
    CHECK(nfd::cpuid_name("avx512_vbmi2") == "AVX512VBMI2");
    CHECK(nfd::cpuid_name("avx_vnni") == "AVXVNNI");
    CHECK(nfd::cpuid_name("clflushopt") == "");  // klauspost/cpuid has no FeatureID for it
    CHECK(nfd::cpuid_name("no-such-flag") == "");
    CHECK(nfd::level_name("x86-64") == "X86_64_V1");
    CHECK(nfd::level_name("x86-64-v4") == "X86_64_V4");
    CHECK_THROWS_AS(nfd::level_name("x86-64-v5"), std::out_of_range);
    CHECK_FALSE(nfd::published_by_default("BMI1"));
    CHECK_FALSE(nfd::published_by_default("SSE42"));
    CHECK(nfd::published_by_default("AVX2"));
    CHECK(nfd::published_by_default("X86_64_V3"));
    CHECK(nfd::default_blacklist().size() == 26);
}

TEST_CASE("every feature an image can record has an NFD name, or is one of the seven NFD cannot label") {
    const std::set<std::string> unlabelled = {"3dnowprefetch", "clflushopt", "clwb", "fsgsbase", "mwaitx", "pku", "rdpid"};
    std::set<std::string> flags;
    for (auto& [macro, flag] : isa::macro_flags()) flags.insert(flag);
    for (auto& f : isa::flags_for_level("x86-64")) flags.insert(f);
    std::set<std::string> none;
    for (auto& f : flags)
        if (nfd::cpuid_name(f).empty()) none.insert(f);
    CHECK(none == unlabelled);
    CHECK(flags.size() == 70);
}

TEST_CASE("--nfd: versions and legacy") {
    CHECK(nfd::parse_mode("0.19") == nfd::Mode::levels);
    CHECK(nfd::parse_mode("v0.19.0") == nfd::Mode::levels);
    CHECK(nfd::parse_mode("0.20") == nfd::Mode::levels);
    CHECK(nfd::parse_mode("1.0") == nfd::Mode::levels);
    CHECK(nfd::parse_mode("0.18.3") == nfd::Mode::legacy);
    CHECK(nfd::parse_mode("v0.8") == nfd::Mode::legacy);
    CHECK(nfd::parse_mode("legacy") == nfd::Mode::legacy);
    CHECK_THROWS_WITH_AS(nfd::parse_mode("latest"),
                         "--nfd: 'latest' is neither an NFD version (0.19, v0.18.3) nor 'legacy'", ConfigError);
    CHECK_THROWS_AS(nfd::parse_mode("0.19-rc1"), ConfigError);
}

TEST_CASE("the labels NFD gives each fixture's node: NFD.tsv") {
    auto rows = nfd_rows();
    CHECK(rows.size() == 44);
    int x86 = 0;
    for (auto& row : rows) {
        auto cpu = isa::read_cpuinfo(fixtures() + "/" + row.file);
        auto labels = nfd::node_labels(cpu, nfd::Mode::levels, default_blacklist);
        std::string arch = labels.count(nfd::arch_label) ? labels.at(nfd::arch_label) : "-";
        CHECK_MESSAGE(arch == row.arch, row.file);
        std::vector<std::string> names;
        // (named copies: clang cannot capture a structured binding in doctest's message lambda)
        for (auto& label : labels) {
            const std::string k = label.first, v = label.second;
            if (k != nfd::arch_label) {
                CHECK_MESSAGE(v == "true", row.file << " " << k);
                names.push_back(k.substr(std::string(nfd::cpuid_label_prefix).size()));
            }
        }
        CHECK_MESSAGE(joined(names) == (row.labels == "-" ? "" : row.labels), row.file);
        x86 += row.arch == "amd64";
        // legacy NFD: the same without the level labels
        auto legacy = nfd::node_labels(cpu, nfd::Mode::legacy, default_blacklist);
        for (auto& label : labels) {
            const std::string k = label.first;
            CHECK_MESSAGE(legacy.count(k) == (k.find("X86_64_V") == std::string::npos), row.file << " " << k);
        }
    }
    CHECK(x86 == 21);
}

TEST_CASE("node affinity of v1/v2/v3/v4/native images, NFD >= 0.19") {
    auto p1 = placement_for(image("x86-64", v1), nfd::Mode::levels);
    CHECK(joined(keys(p1)) == "kubernetes.io/arch=amd64 X86_64_V1");
    CHECK(joined(keys(placement_for(image("x86-64-v2", v2), nfd::Mode::levels))) == "kubernetes.io/arch=amd64 X86_64_V2");
    auto p3 = placement_for(image("x86-64-v3", v3), nfd::Mode::levels);
    CHECK(joined(keys(p3)) == "kubernetes.io/arch=amd64 X86_64_V3");
    CHECK(p3.needs_config.empty());
    CHECK(p3.no_nfd_label.empty());
    CHECK(joined(keys(placement_for(image("x86-64-v4", v4), nfd::Mode::levels))) == "kubernetes.io/arch=amd64 X86_64_V4");

    auto haswell = placement_for(image("x86-64-v3", haswell_native), nfd::Mode::levels);
    CHECK(joined(keys(haswell)) == "kubernetes.io/arch=amd64 X86_64_V3 AESNI CLMUL RDRAND XSAVEOPT");
    CHECK(joined(haswell.needs_config) == "CLMUL RDRAND");

    auto zen4 = placement_for(image("x86-64-v4", zen4_native), nfd::Mode::levels);
    CHECK(joined(keys(zen4)) == "kubernetes.io/arch=amd64 X86_64_V4 ADX AESNI AVX512BF16 AVX512BITALG AVX512IFMA "
                                "AVX512VBMI AVX512VBMI2 AVX512VNNI AVX512VPOPCNTDQ CLMUL CLZERO GFNI RDRAND RDSEED SHA "
                                "SSE4A VAES VPCLMULQDQ WBNOINVD XSAVEC XSAVEOPT XSAVES");
    CHECK(joined(zen4.needs_config) == "CLMUL RDRAND RDSEED");
    CHECK(joined(zen4.no_nfd_label) == "3dnowprefetch clflushopt clwb fsgsbase mwaitx pku rdpid");
    // an image labelled without a level (an older pymatrix) gets the level of its features
    CHECK(joined(keys(placement_for(image("", v3), nfd::Mode::levels))) == "kubernetes.io/arch=amd64 X86_64_V3");
}

TEST_CASE("node affinity, NFD before 0.19: per-feature labels, most of v2/v3 hidden by default") {
    CHECK(joined(keys(placement_for(image("x86-64", v1), nfd::Mode::legacy))) == "kubernetes.io/arch=amd64");
    auto p2 = placement_for(image("x86-64-v2", v2), nfd::Mode::legacy);
    CHECK(joined(keys(p2)) == "kubernetes.io/arch=amd64 CX16 LAHF POPCNT SSE3 SSE4 SSE42 SSSE3");
    CHECK(joined(p2.needs_config) == "CX16 POPCNT SSE3 SSE4 SSE42 SSSE3");
    auto p3 = placement_for(image("x86-64-v3", v3), nfd::Mode::legacy);
    CHECK(joined(keys(p3)) == "kubernetes.io/arch=amd64 AVX AVX2 BMI1 BMI2 CX16 F16C FMA3 LAHF LZCNT MOVBE POPCNT "
                              "SSE3 SSE4 SSE42 SSSE3 XSAVE");
    CHECK(joined(p3.needs_config) == "BMI1 BMI2 CX16 F16C LZCNT POPCNT SSE3 SSE4 SSE42 SSSE3");
    auto p4 = placement_for(image("x86-64-v4", v4), nfd::Mode::legacy);
    CHECK(keys(p4).size() == 22);
    CHECK(joined(p4.needs_config) == joined(p3.needs_config));
    CHECK(nfd_worker_config(p3.needs_config) ==
          "sources:\n  cpu:\n    cpuid:\n      attributeBlacklist: [AVX10, CLMUL, CMOV, ERMS, HTT, MMX, MMXEXT, NX, "
          "RDRAND, RDSEED, RDTSCP, SGX, SGXLC, SSE, SSE2, TDX_GUEST]\n");
    CHECK(nfd_worker_config({}).empty());
}

TEST_CASE("the affinity admits exactly the nodes the gate accepts, on every x86_64 and aarch64 fixture") {
    struct Case {
        const char* name;
        IsaRequirement req;
    };
    std::vector<Case> images = {{"v1", image("x86-64", v1)},           {"v2", image("x86-64-v2", v2)},
                                {"v3", image("x86-64-v3", v3)},        {"v4", image("x86-64-v4", v4)},
                                {"haswell-native", image("x86-64-v3", haswell_native)},
                                {"zen4-native", image("x86-64-v4", zen4_native)}};
    int admitted = 0, compared = 0;
    for (auto& row : nfd_rows()) {
        if (row.arch == "-") continue;
        auto cpu = isa::read_cpuinfo(fixtures() + "/" + row.file);
        for (auto& img : images)
            for (auto mode : {nfd::Mode::levels, nfd::Mode::legacy}) {
                auto p = placement_for(img.req, mode);
                REQUIRE(p.refused.empty());
                bool accepted = decide(img.req, cpu).accepted;
                // nodes whose nfd-worker publishes what the note asks for
                bool fits = admits(p.match_expressions, nfd::node_labels(cpu, mode, configured_blacklist(p.needs_config)));
                if (p.no_nfd_label.empty()) CHECK_MESSAGE(fits == accepted, row.file << " " << img.name);
                else CHECK_MESSAGE((fits || !accepted), row.file << " " << img.name);  // a superset: the guard decides the rest
                // with NFD's default configuration, a hidden label keeps every node out
                bool fits_default = admits(p.match_expressions, nfd::node_labels(cpu, mode, default_blacklist));
                CHECK_MESSAGE(fits_default == (fits && p.needs_config.empty()), row.file << " " << img.name);
                admitted += fits;
                ++compared;
            }
    }
    CHECK(compared == 38 * 6 * 2);
    CHECK(admitted == 154);  // counted apart from the library, from INDEX.tsv flags
}

TEST_CASE("partial AVX-512 (Xeon Phi) is no v4 node") {
    auto knl = isa::read_cpuinfo(fixtures() + "/linux-pymatrix-xeonphi_knl");
    auto p4 = placement_for(image("x86-64-v4", v4), nfd::Mode::levels);
    auto labels = nfd::node_labels(knl, nfd::Mode::levels, default_blacklist);
    CHECK(labels.count("feature.node.kubernetes.io/cpu-cpuid.AVX512F"));
    CHECK(labels.count("feature.node.kubernetes.io/cpu-cpuid.X86_64_V3"));
    CHECK_FALSE(labels.count("feature.node.kubernetes.io/cpu-cpuid.X86_64_V4"));
    CHECK_FALSE(admits(p4.match_expressions, labels));
    CHECK(admits(placement_for(image("x86-64-v3", v3), nfd::Mode::levels).match_expressions, labels));
}

TEST_CASE("admits: the scheduler's operators") {
    std::map<std::string, std::string> node = {{"a", "true"}, {"n", "7"}};
    CHECK(admits({{"a", "In", {"true"}}}, node));
    CHECK_FALSE(admits({{"a", "In", {"false"}}}, node));
    CHECK_FALSE(admits({{"b", "In", {"true"}}}, node));
    CHECK(admits({{"b", "NotIn", {"true"}}}, node));
    CHECK_FALSE(admits({{"a", "NotIn", {"true"}}}, node));
    CHECK(admits({{"a", "Exists", {}}}, node));
    CHECK(admits({{"b", "DoesNotExist", {}}}, node));
    CHECK_FALSE(admits({{"a", "DoesNotExist", {}}}, node));
    CHECK(admits({{"n", "Gt", {"6"}}}, node));
    CHECK_FALSE(admits({{"n", "Lt", {"7"}}}, node));
    CHECK_FALSE(admits({{"a", "Gt", {"1"}}}, node));  // not an integer
    CHECK_FALSE(admits({{"a", "In", {"true"}}, {"b", "Exists", {}}}, node));  // ANDed
    CHECK(admits({}, node));
}

TEST_CASE("refused: unlabelled images and unknown architectures; aarch64 images get their arch") {
    CHECK(placement_for(IsaRequirement{}, nfd::Mode::levels).refused ==
          "no pymatrix ISA labels: what it needs from a CPU is unknown, so no placement can be given");
    IsaRequirement ppc{true, "ppc64le", "", {}, ""};
    CHECK(placement_for(ppc, nfd::Mode::levels).refused ==
          "io.pymatrix.isa.arch 'ppc64le' has no kubernetes.io/arch value here (x86_64, aarch64)");
    IsaRequirement arm{true, "aarch64", "", {}, ""};
    CHECK(joined(keys(placement_for(arm, nfd::Mode::levels))) == "kubernetes.io/arch=arm64");
}

TEST_CASE("the YAML of check --format k8s") {
    CHECK(affinity_yaml(placement_for(image("x86-64-v3", v3), nfd::Mode::levels), "pymatrix/cpython:3.13.5-opt-v3") ==
          "# pymatrix/cpython:3.13.5-opt-v3: needs x86-64-v3; node labels of node-feature-discovery >= 0.19 "
          "(X86_64_V* level labels)\n"
          "affinity:\n"
          "  nodeAffinity:\n"
          "    requiredDuringSchedulingIgnoredDuringExecution:\n"
          "      nodeSelectorTerms:\n"
          "      - matchExpressions:\n"
          "        - key: \"kubernetes.io/arch\"\n"
          "          operator: In\n"
          "          values: [\"amd64\"]\n"
          "        - key: \"feature.node.kubernetes.io/cpu-cpuid.X86_64_V3\"\n"
          "          operator: In\n"
          "          values: [\"true\"]\n");
    auto y = affinity_yaml(placement_for(image("x86-64-v3", haswell_native), nfd::Mode::legacy), "a\nb");
    CHECK(y.rfind("# a?b: needs x86-64-v3; node labels of node-feature-discovery < 0.19 (per-feature labels only)\n"
                  "# NFD does not publish BMI1 BMI2 CLMUL CX16 F16C LZCNT POPCNT RDRAND SSE3 SSE4 SSE42 SSSE3 by "
                  "default; this nfd-worker configuration (nfd-worker.conf, sources.cpu.cpuid) publishes them:\n"
                  "#   sources:\n#     cpu:\n#       cpuid:\n"
                  "#         attributeBlacklist: [AVX10, CMOV, ERMS, HTT, MMX, MMXEXT, NX, RDSEED, RDTSCP, SGX, "
                  "SGXLC, SSE, SSE2, TDX_GUEST]\naffinity:\n", 0) == 0);
    auto z = affinity_yaml(placement_for(image("x86-64-v4", zen4_native), nfd::Mode::levels), "zen4");
    CHECK(z.find("# NFD has no label for 3dnowprefetch clflushopt clwb fsgsbase mwaitx pku rdpid: placement cannot "
                 "require it; the image's guard checks it at start\n") != std::string::npos);
}
