// x86-64 micro-architecture levels (x86-64 psABI) and compiler macro -> cpuinfo flag mapping.
#include "pymatrix/isa.hpp"

#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace pymatrix::isa {

const std::vector<std::string>& x86_64_levels() {
    static const std::vector<std::string> v = {"x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4"};
    return v;
}

const std::vector<std::string>& level_flags(const std::string& level) {
    static const std::map<std::string, std::vector<std::string>> flags = {
        {"x86-64", {"cmov", "cx8", "fpu", "fxsr", "mmx", "sse", "sse2"}},
        {"x86-64-v2", {"cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2"}},
        {"x86-64-v3", {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}},
        {"x86-64-v4", {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}},
    };
    return flags.at(level);
}

std::set<std::string> flags_for_level(const std::string& level) {
    std::set<std::string> out;
    for (auto& l : x86_64_levels()) {
        for (auto& f : level_flags(l)) out.insert(f);
        if (l == level) return out;
    }
    throw std::out_of_range("unknown x86-64 level '" + level + "'");
}

std::string level_of(const std::set<std::string>& flags) {
    std::string best;
    for (auto& l : x86_64_levels()) {
        for (auto& f : level_flags(l))
            if (!flags.count(f)) return best;
        best = l;
    }
    return best;
}

const std::map<std::string, std::string>& macro_flags() {
    // GCC/clang predefined macro -> /proc/cpuinfo flag (Linux arch/x86/include/asm/cpufeatures.h names)
    static const std::map<std::string, std::string> map = {
        {"__MMX__", "mmx"}, {"__SSE__", "sse"}, {"__SSE2__", "sse2"}, {"__FXSR__", "fxsr"},
        {"__SSE3__", "pni"}, {"__SSSE3__", "ssse3"}, {"__SSE4_1__", "sse4_1"}, {"__SSE4_2__", "sse4_2"},
        {"__POPCNT__", "popcnt"}, {"__LAHF_SAHF__", "lahf_lm"}, {"__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16", "cx16"},
        {"__AVX__", "avx"}, {"__AVX2__", "avx2"}, {"__BMI__", "bmi1"}, {"__BMI2__", "bmi2"}, {"__F16C__", "f16c"},
        {"__FMA__", "fma"}, {"__LZCNT__", "abm"}, {"__ABM__", "abm"}, {"__MOVBE__", "movbe"}, {"__XSAVE__", "xsave"},
        {"__AVX512F__", "avx512f"}, {"__AVX512BW__", "avx512bw"}, {"__AVX512CD__", "avx512cd"},
        {"__AVX512DQ__", "avx512dq"}, {"__AVX512VL__", "avx512vl"}, {"__AVX512IFMA__", "avx512ifma"},
        {"__AVX512VBMI__", "avx512vbmi"}, {"__AVX512VBMI2__", "avx512_vbmi2"}, {"__AVX512VNNI__", "avx512_vnni"},
        {"__AVX512BITALG__", "avx512_bitalg"}, {"__AVX512VPOPCNTDQ__", "avx512_vpopcntdq"},
        {"__AVX512BF16__", "avx512_bf16"}, {"__AVX512FP16__", "avx512_fp16"}, {"__AVXVNNI__", "avx_vnni"},
        {"__AES__", "aes"}, {"__PCLMUL__", "pclmulqdq"}, {"__VAES__", "vaes"}, {"__VPCLMULQDQ__", "vpclmulqdq"},
        {"__GFNI__", "gfni"}, {"__SHA__", "sha_ni"}, {"__RDRND__", "rdrand"}, {"__RDSEED__", "rdseed"},
        {"__ADX__", "adx"}, {"__XSAVEOPT__", "xsaveopt"}, {"__XSAVEC__", "xsavec"}, {"__XSAVES__", "xsaves"},
        {"__CLFLUSHOPT__", "clflushopt"}, {"__CLWB__", "clwb"}, {"__FSGSBASE__", "fsgsbase"},
        {"__PRFCHW__", "3dnowprefetch"}, {"__SSE4A__", "sse4a"}, {"__RDPID__", "rdpid"}, {"__WBNOINVD__", "wbnoinvd"},
        {"__PKU__", "pku"}, {"__CLZERO__", "clzero"}, {"__MWAITX__", "mwaitx"}, {"__MOVDIRI__", "movdiri"},
        {"__MOVDIR64B__", "movdir64b"}, {"__SERIALIZE__", "serialize"}, {"__WAITPKG__", "waitpkg"},
        {"__AMX_TILE__", "amx_tile"}, {"__AMX_INT8__", "amx_int8"}, {"__AMX_BF16__", "amx_bf16"},
        {"__TBM__", "tbm"}, {"__XOP__", "xop"}, {"__FMA4__", "fma4"}, {"__3dNOW__", "3dnow"},
    };
    return map;
}

std::set<std::string> features_from_macros(const std::string& text) {
    const auto& map = macro_flags();
    std::set<std::string> out;
    bool x86_64 = false;
    std::istringstream in(text);
    std::string line;
    static const std::regex def(R"(^#define\s+(\S+)(\s+.*)?$)");
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, def)) continue;
        const std::string name = m[1];
        if (name == "__x86_64__") x86_64 = true;
        if (auto it = map.find(name); it != map.end()) out.insert(it->second);
    }
    if (x86_64)
        for (auto& f : level_flags("x86-64")) out.insert(f);
    return out;
}

}  // namespace pymatrix::isa
