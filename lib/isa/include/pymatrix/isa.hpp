// pymatrix/isa.hpp: CPU instruction-set features in /proc/cpuinfo spelling, x86-64 levels
// (x86-64 psABI; the same lists as glibc's sysdeps/x86/get-isa-level.h), and the mapping from
// a compiler's predefined macros (`cc FLAGS -dM -E - </dev/null`) to cpuinfo flag names.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace pymatrix::isa {

/// The x86-64 micro-architecture levels in order: "x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4".
const std::vector<std::string>& x86_64_levels();

/// cpuinfo flags that level `level` requires beyond the previous level (psABI).
/// "x86-64": cmov cx8 fpu fxsr mmx sse sse2; "x86-64-v2": cx16 lahf_lm popcnt pni ssse3 sse4_1
/// sse4_2; "x86-64-v3": avx avx2 bmi1 bmi2 f16c fma abm movbe xsave; "x86-64-v4": avx512f
/// avx512bw avx512cd avx512dq avx512vl. Throws std::out_of_range for an unknown level.
const std::vector<std::string>& level_flags(const std::string& level);

/// All cpuinfo flags a CPU needs for `level` (cumulative). Throws std::out_of_range if unknown.
std::set<std::string> flags_for_level(const std::string& level);

/// The highest x86-64 level whose cumulative flags are all in `flags`; "" when even the
/// baseline is incomplete (not an x86-64 CPU, or masked).
std::string level_of(const std::set<std::string>& flags);

/// The predefined macros of GCC/clang that name an x86 ISA extension, each with its cpuinfo flag
/// ("__SSE3__" -> "pni", "__LZCNT__" -> "abm"): the table features_from_macros() reads.
const std::map<std::string, std::string>& macro_flags();

/// Maps predefined macros of GCC/clang (text of `cc -dM -E`) to the cpuinfo flags the compiled
/// code may use, e.g. __SSE3__ -> pni, __LZCNT__ and __ABM__ -> abm, __BMI__ -> bmi1,
/// __GCC_HAVE_SYNC_COMPARE_AND_SWAP_16 -> cx16, __LAHF_SAHF__ -> lahf_lm, __AVX512VBMI2__ ->
/// avx512_vbmi2. On x86_64 the baseline (cmov cx8 fpu fxsr mmx sse sse2) is always included.
/// Macros for instructions that are no-ops on CPUs without them (__SHSTK__) are not mapped.
std::set<std::string> features_from_macros(const std::string& macros_text);

}  // namespace pymatrix::isa
