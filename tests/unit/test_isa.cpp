// cpuinfo parsing, x86-64 levels, compiler macros -> cpuinfo flags, and the gate's decisions,
// on real /proc/cpuinfo dumps (tests/fixtures/cpuinfo, archspec's test data, with INDEX.tsv).
#include <doctest/doctest.h>

#include "pymatrix/check.hpp"
#include "pymatrix/cpuinfo.hpp"
#include "pymatrix/isa.hpp"
#include "pymatrix/labels.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace pymatrix;

namespace {
std::string fixtures() {
    const char* env = std::getenv("PYMATRIX_FIXTURES");
    return std::string(env && *env ? env : PYMATRIX_FIXTURES_DIR) + "/cpuinfo";
}
isa::CpuInfo fixture(const std::string& name) { return isa::read_cpuinfo(fixtures() + "/" + name); }

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
}

IsaRequirement image_for_level(const std::string& level) {
    IsaRequirement r;
    r.labelled = true;
    r.arch = "x86_64";
    r.level = level;
    r.features = isa::flags_for_level(level);
    return r;
}
}  // namespace

TEST_CASE("every fixture in INDEX.tsv parses to its expected arch and x86-64 level") {
    std::ifstream index(fixtures() + "/INDEX.tsv");
    REQUIRE_MESSAGE(index, "missing " << fixtures() << "/INDEX.tsv");
    std::string line;
    int checked = 0, x86 = 0;
    while (std::getline(index, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream cols(line);
        std::string file, arch, level;
        std::getline(cols, file, '\t');
        std::getline(cols, arch, '\t');
        std::getline(cols, level, '\t');
        auto cpu = fixture(file);
        CHECK_MESSAGE(cpu.arch == arch, file);
        CHECK_MESSAGE(cpu.level == (level == "-" ? "" : level), file);
        if (arch == "aarch64") CHECK_MESSAGE(cpu.flags.count("asimd") + cpu.flags.count("fp") > 0, file);
        ++checked;
        x86 += arch == "x86_64";
    }
    CHECK(checked == 44);
    CHECK(x86 == 21);
}

TEST_CASE("a --target-cpuinfo file that is no cpuinfo dump is a usage error, not a CPU without features") {
    auto path = std::filesystem::temp_directory_path() / "pymatrix-not-cpuinfo.txt";
    std::ofstream(path) << "hello: world\nflagz : sse sse2\n";
    CHECK_THROWS_WITH_AS(isa::read_cpuinfo(path),
                         doctest::Contains("is not a /proc/cpuinfo dump: it has no 'processor' and no 'flags'"),
                         ConfigError);
    std::filesystem::remove(path);
    CHECK_THROWS_WITH_AS(isa::read_cpuinfo(path),
                         ("--target-cpuinfo: cannot read " + path.string() + ": No such file or directory").c_str(),
                         ConfigError);
    CHECK(fixture("linux-sifive-u74mc").arch == "other");  // RISC-V: no flags line, but a dump
    CHECK(fixture("linux-rhel8-power9").arch == "other");
}

TEST_CASE("cpuinfo spelling traps") {
    auto ivy = fixture("linux-rhel7-ivybridge");
    CHECK(ivy.flags.count("pni"));          // SSE3 is "pni"
    CHECK_FALSE(ivy.flags.count("sse3"));
    CHECK_FALSE(ivy.flags.count("osxsave"));  // never in cpuinfo
    auto zen4 = fixture("linux-rocky8.5-zen4");
    CHECK(zen4.flags.count("abm"));          // LZCNT is "abm"
    CHECK(zen4.flags.count("avx512_vbmi2"));  // underscore...
    CHECK(zen4.flags.count("avx512vbmi"));    // ...but not here
    CHECK(zen4.flags.count("avx512_vnni"));
    CHECK(zen4.flags.count("avx512_bitalg"));
    CHECK(zen4.vendor == "AuthenticAMD");
    // the macros a compiler defines map to the same spellings
    auto f = isa::features_from_macros("#define __x86_64__ 1\n#define __SSE3__ 1\n#define __LZCNT__ 1\n"
                                       "#define __AVX512VBMI2__ 1\n#define __AVX512VBMI__ 1\n#define __BMI__ 1\n"
                                       "#define __SHSTK__ 1\n#define __GCC_HAVE_SYNC_COMPARE_AND_SWAP_16 1\n");
    CHECK(f == std::set<std::string>{"abm", "avx512_vbmi2", "avx512vbmi", "bmi1", "cmov", "cx16", "cx8", "fpu", "fxsr",
                                     "mmx", "pni", "sse", "sse2"});
}

TEST_CASE("x86-64 levels from the psABI") {
    CHECK(isa::flags_for_level("x86-64-v2").size() == 14);
    CHECK(isa::flags_for_level("x86-64-v3").size() == 23);
    CHECK(isa::flags_for_level("x86-64-v4").size() == 28);
    CHECK(isa::level_of(isa::flags_for_level("x86-64-v3")) == "x86-64-v3");
    auto v3 = isa::flags_for_level("x86-64-v3");
    v3.erase("movbe");
    CHECK(isa::level_of(v3) == "x86-64-v2");
    CHECK_THROWS_AS(isa::cpu_for_level("x86-64-v5"), ConfigError);
}

TEST_CASE("decisions with real fixtures") {
    auto v4_on_zen3 = decide(image_for_level("x86-64-v4"), fixture("linux-ubuntu20.04-zen3"));
    CHECK_FALSE(v4_on_zen3.accepted);
    CHECK(join(v4_on_zen3.missing) == "avx512bw avx512cd avx512dq avx512f avx512vl");
    CHECK(v4_on_zen3.reason == "the target lacks 5 ISA feature(s) the image was compiled for: avx512bw avx512cd "
                               "avx512dq avx512f avx512vl (image needs x86-64-v4, target is x86-64-v3)");

    auto v3_on_ivy = decide(image_for_level("x86-64-v3"), fixture("linux-rhel7-ivybridge"));
    CHECK_FALSE(v3_on_ivy.accepted);
    CHECK(join(v3_on_ivy.missing) == "abm avx2 bmi1 bmi2 fma movbe");

    auto v3_on_zen = decide(image_for_level("x86-64-v3"), fixture("linux-rhel7-zen"));
    CHECK(v3_on_zen.accepted);
    CHECK(v3_on_zen.missing.empty());

    auto v2_on_k10 = decide(image_for_level("x86-64-v2"), fixture("linux-scientific7-k10"));
    CHECK_FALSE(v2_on_k10.accepted);
    CHECK(join(v2_on_k10.missing) == "sse4_1 sse4_2 ssse3");  // K10 has SSE3 (pni), not SSSE3

    auto on_arm = decide(image_for_level("x86-64"), fixture("linux-amazon-neoverse_n1"));
    CHECK_FALSE(on_arm.accepted);
    CHECK(on_arm.features_unknown);
    CHECK(on_arm.reason.rfind("features unknown (emulated?): the image is x86_64 and the target CPU is aarch64: ", 0) == 0);
}

TEST_CASE("partial AVX-512 is not x86-64-v4: Xeon Phi, and every proper subset of the five") {
    auto knl = fixture("linux-pymatrix-xeonphi_knl");  // AVX-512 F CD ER PF
    CHECK(knl.flags.count("avx512f"));
    CHECK(knl.flags.count("avx512er"));
    CHECK(knl.level == "x86-64-v3");
    auto knm = fixture("linux-pymatrix-xeonphi_knm");  // + VPOPCNTDQ 4VNNIW 4FMAPS
    CHECK(knm.flags.count("avx512_vpopcntdq"));
    CHECK(knm.level == "x86-64-v3");
    auto v4_on_knl = decide(image_for_level("x86-64-v4"), knl);
    CHECK_FALSE(v4_on_knl.accepted);
    CHECK(join(v4_on_knl.missing) == "avx512bw avx512dq avx512vl");
    CHECK(v4_on_knl.reason.find("(image needs x86-64-v4, target is x86-64-v3)") != std::string::npos);
    CHECK(decide(image_for_level("x86-64-v3"), knm).accepted);

    const auto& five = isa::level_flags("x86-64-v4");
    REQUIRE(five.size() == 5);
    int subsets = 0;
    for (unsigned mask = 0; mask < 31; ++mask) {  // all but the full set
        auto flags = isa::flags_for_level("x86-64-v3");
        for (unsigned i = 0; i < 5; ++i)
            if (mask & (1u << i)) flags.insert(five[i]);
        flags.insert("avx512er");  // other AVX-512 extensions do not stand in for a missing one
        flags.insert("avx512_vnni");
        CHECK_MESSAGE(isa::level_of(flags) == "x86-64-v3", "mask " << mask);
        ++subsets;
    }
    CHECK(subsets == 31);
    auto all = isa::flags_for_level("x86-64-v3");
    all.insert(five.begin(), five.end());
    CHECK(isa::level_of(all) == "x86-64-v4");
}

TEST_CASE("a cpuinfo of another architecture than the image: features unknown (emulated?)") {
    // cat /proc/cpuinfo in a --platform linux/amd64 container on an Apple M1 (docker/for-mac#6512)
    auto m1 = fixture("linux-pymatrix-emulated_amd64_on_m1");
    CHECK(m1.arch == "aarch64");
    CHECK(m1.flags.count("asimd"));
    CHECK(m1.level.empty());
    auto v = decide(image_for_level("x86-64"), m1);
    CHECK_FALSE(v.accepted);
    CHECK(v.features_unknown);
    CHECK(v.missing.empty());
    CHECK(v.reason == "features unknown (emulated?): the image is x86_64 and the target CPU is aarch64: the target's "
                      "cpuinfo has the aarch64 layout (a 'Features' line, no 'flags' line), which is also what a "
                      "container emulated on such a host (qemu-user, Rosetta) reads, so the x86_64 features the image "
                      "needs cannot be read from it; give the cpuinfo of a native x86_64 machine");
    // an aarch64 image on a cpuinfo with the x86 layout (qemu-user on an x86_64 host)
    IsaRequirement arm{true, "aarch64", "", {}, ""};
    auto on_x86 = decide(arm, fixture("linux-rhel7-zen"));
    CHECK(on_x86.features_unknown);
    CHECK(on_x86.reason.find("the image is aarch64 and the target CPU is x86_64: the target's cpuinfo has the x86 "
                             "layout (a 'flags' line)") != std::string::npos);
    // a POWER dump: neither layout
    auto on_power = decide(image_for_level("x86-64"), fixture("linux-rhel8-power9"));
    CHECK(on_power.features_unknown);
    CHECK(on_power.reason.find("has neither a 'flags' nor a 'Features' line") != std::string::npos);
    // the same architecture is decided from its flags as before
    CHECK_FALSE(decide(image_for_level("x86-64-v3"), fixture("linux-rhel7-ivybridge")).features_unknown);
}

TEST_CASE("a native build on Zen 4 needs AVX-512: GCC's name says znver3, its macros do not") {
    // GCC 12 -march=native on a Zen 4 host resolves to znver3 plus explicit avx512 flags
    auto f = isa::features_from_macros("#define __x86_64__ 1\n#define __AVX2__ 1\n#define __AVX512F__ 1\n"
                                       "#define __AVX512BW__ 1\n#define __AVX512CD__ 1\n#define __AVX512DQ__ 1\n"
                                       "#define __AVX512VL__ 1\n#define __AVX512VBMI2__ 1\n");
    IsaRequirement native{true, "x86_64", "", f, "native -> znver3"};
    auto on_zen3 = decide(native, fixture("linux-ubuntu20.04-zen3"));
    CHECK_FALSE(on_zen3.accepted);
    CHECK(join(on_zen3.missing) == "avx512_vbmi2 avx512bw avx512cd avx512dq avx512f avx512vl");
    CHECK(decide(native, fixture("linux-rocky8.5-zen4")).accepted);
}

TEST_CASE("fail closed on unlabelled images; hypervisor warns") {
    IsaRequirement none;
    auto v = decide(none, fixture("linux-rhel7-zen"));
    CHECK_FALSE(v.accepted);
    CHECK(decide(none, fixture("linux-rhel7-zen"), true).accepted);
    auto host = isa::parse_cpuinfo("processor : 0\nvendor_id : AuthenticAMD\nmodel name : AMD EPYC\n"
                                   "flags : fpu cx8 cmov mmx fxsr sse sse2 hypervisor\n");
    CHECK(host.hypervisor);
    CHECK(host.level == "x86-64");
    CHECK(host.model == "AMD EPYC");
    CHECK(decide(image_for_level("x86-64"), host).warnings.size() == 1);
}

TEST_CASE("requirement from labels") {
    auto r = requirement_of({{label::isa_arch, "x86_64"}, {label::isa_level, "x86-64-v3"},
                             {label::isa_features, "avx2 bmi2 fma"}, {label::isa_march, "x86-64-v3 -> x86-64-v3"}});
    CHECK(r.labelled);
    CHECK(r.features == std::set<std::string>{"avx2", "bmi2", "fma"});
    CHECK_FALSE(requirement_of({{label::profile, "x"}}).labelled);
}
