// cpuinfo flag names -> node-feature-discovery cpuid label names (see pymatrix/nfd.hpp for sources).
#include "pymatrix/nfd.hpp"
#include "pymatrix/error.hpp"
#include "pymatrix/isa.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

namespace pymatrix::isa::nfd {
namespace {

// /proc/cpuinfo flag -> klauspost/cpuid v2 FeatureID, the name NFD publishes (cpuid.go's const
// block; its level1..4Features lists say which IDs a psABI level needs: CMPXCHG8 for cx8, X87 for
// fpu, LAHF for lahf_lm, SSE3 for pni, SSE4 for sse4_1, SSE42 for sse4_2, FMA3 for fma, LZCNT for
// abm). "" : klauspost/cpuid has no FeatureID for it, so no NFD version labels a node with it.
const std::map<std::string, std::string>& names() {
    static const std::map<std::string, std::string> m = {
        // x86-64 baseline
        {"cmov", "CMOV"}, {"cx8", "CMPXCHG8"}, {"fpu", "X87"}, {"fxsr", "FXSR"}, {"mmx", "MMX"}, {"sse", "SSE"},
        {"sse2", "SSE2"},
        // x86-64-v2
        {"cx16", "CX16"}, {"lahf_lm", "LAHF"}, {"popcnt", "POPCNT"}, {"pni", "SSE3"}, {"ssse3", "SSSE3"},
        {"sse4_1", "SSE4"}, {"sse4_2", "SSE42"},
        // x86-64-v3
        {"avx", "AVX"}, {"avx2", "AVX2"}, {"bmi1", "BMI1"}, {"bmi2", "BMI2"}, {"f16c", "F16C"}, {"fma", "FMA3"},
        {"abm", "LZCNT"}, {"movbe", "MOVBE"}, {"xsave", "XSAVE"},
        // x86-64-v4
        {"avx512f", "AVX512F"}, {"avx512bw", "AVX512BW"}, {"avx512cd", "AVX512CD"}, {"avx512dq", "AVX512DQ"},
        {"avx512vl", "AVX512VL"},
        // beyond the levels (what a -march=native build may add)
        {"avx512ifma", "AVX512IFMA"}, {"avx512vbmi", "AVX512VBMI"}, {"avx512_vbmi2", "AVX512VBMI2"},
        {"avx512_vnni", "AVX512VNNI"}, {"avx512_bitalg", "AVX512BITALG"}, {"avx512_vpopcntdq", "AVX512VPOPCNTDQ"},
        {"avx512_bf16", "AVX512BF16"}, {"avx512_fp16", "AVX512FP16"}, {"avx512er", "AVX512ER"},
        {"avx512pf", "AVX512PF"}, {"avx512_vp2intersect", "AVX512VP2INTERSECT"}, {"avx_vnni", "AVXVNNI"},
        {"aes", "AESNI"}, {"pclmulqdq", "CLMUL"}, {"vaes", "VAES"}, {"vpclmulqdq", "VPCLMULQDQ"}, {"gfni", "GFNI"},
        {"sha_ni", "SHA"}, {"rdrand", "RDRAND"}, {"rdseed", "RDSEED"}, {"adx", "ADX"}, {"xsaveopt", "XSAVEOPT"},
        {"xsavec", "XSAVEC"}, {"xsaves", "XSAVES"}, {"sse4a", "SSE4A"}, {"wbnoinvd", "WBNOINVD"},
        {"clzero", "CLZERO"}, {"movdiri", "MOVDIRI"}, {"movdir64b", "MOVDIR64B"}, {"serialize", "SERIALIZE"},
        {"waitpkg", "WAITPKG"}, {"amx_tile", "AMXTILE"}, {"amx_int8", "AMXINT8"}, {"amx_bf16", "AMXBF16"},
        {"tbm", "TBM"}, {"xop", "XOP"}, {"fma4", "FMA4"}, {"3dnow", "AMD3DNOW"}, {"erms", "ERMS"},
        {"rdtscp", "RDTSCP"}, {"hypervisor", "HYPERVISOR"},
        // no klauspost/cpuid FeatureID: never an NFD label
        {"clflushopt", ""}, {"clwb", ""}, {"fsgsbase", ""}, {"3dnowprefetch", ""}, {"rdpid", ""}, {"pku", ""},
        {"mwaitx", ""},
    };
    return m;
}

}  // namespace

Mode parse_mode(const std::string& text) {
    if (text == "legacy") return Mode::legacy;
    static const std::regex version(R"(v?(\d{1,4})\.(\d{1,4})(\.\d{1,4})?)");
    std::smatch m;
    if (!std::regex_match(text, m, version))
        throw ConfigError({}, "--nfd",
                          fmt::format("'{}' is neither an NFD version (0.19, v0.18.3) nor 'legacy'", text));
    int major = std::stoi(m[1]), minor = std::stoi(m[2]);
    return major > 0 || minor >= 19 ? Mode::levels : Mode::legacy;  // X86_64_V* since v0.19.0 (PR #2490)
}

std::string cpuid_name(const std::string& cpuinfo_flag) {
    auto it = names().find(cpuinfo_flag);
    return it == names().end() ? std::string() : it->second;
}

const std::vector<std::string>& default_blacklist() {
    static const std::vector<std::string> v = {"AVX10", "BMI1",  "BMI2",   "CLMUL", "CMOV",  "CX16",  "ERMS",
                                               "F16C",  "HTT",   "LZCNT",  "MMX",   "MMXEXT", "NX",   "POPCNT",
                                               "RDRAND", "RDSEED", "RDTSCP", "SGX", "SGXLC", "SSE",   "SSE2",
                                               "SSE3",  "SSE4",  "SSE42",  "SSSE3", "TDX_GUEST"};
    return v;
}

bool published_by_default(const std::string& nfd_name) {
    const auto& b = default_blacklist();
    return std::find(b.begin(), b.end(), nfd_name) == b.end();
}

std::string level_name(const std::string& level) {
    const auto& levels = x86_64_levels();
    auto it = std::find(levels.begin(), levels.end(), level);
    if (it == levels.end()) throw std::out_of_range("unknown x86-64 level '" + level + "'");
    return fmt::format("X86_64_V{}", it - levels.begin() + 1);
}

std::string kubernetes_arch(const std::string& arch) {
    return arch == "x86_64" ? "amd64" : arch == "aarch64" ? "arm64" : "";
}

std::map<std::string, std::string> node_labels(const CpuInfo& cpu, Mode mode, const std::set<std::string>& blacklist) {
    std::map<std::string, std::string> out;
    if (auto arch = kubernetes_arch(cpu.arch); !arch.empty()) out[arch_label] = arch;
    if (cpu.arch != "x86_64") return out;
    for (auto& flag : cpu.flags)
        if (auto name = cpuid_name(flag); !name.empty() && !blacklist.count(name))
            out[cpuid_label_prefix + name] = "true";
    if (mode == Mode::levels && !cpu.level.empty())
        for (auto& level : x86_64_levels()) {  // cumulative: microarchLevelFlags(), filtered like the rest
            if (!blacklist.count(level_name(level))) out[cpuid_label_prefix + level_name(level)] = "true";
            if (level == cpu.level) break;
        }
    return out;
}

}  // namespace pymatrix::isa::nfd
