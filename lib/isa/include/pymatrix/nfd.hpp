// pymatrix/nfd.hpp: how Kubernetes node-feature-discovery (NFD) names x86 CPU features on a node.
//
// NFD's cpu source publishes `feature.node.kubernetes.io/cpu-cpuid.<NAME>=true` for every feature
// github.com/klauspost/cpuid detects, NAME being that package's FeatureID (AVX512F, FMA3, LZCNT,
// SSE42...), except the names in nfd-worker's `sources.cpu.cpuid.attributeBlacklist`, whose
// default keeps BMI1, BMI2, F16C, LZCNT, POPCNT, CX16, SSE3, SSE4, SSE42, SSSE3 (and more) off
// the node. Since NFD v0.19.0 (PR #2490) it also publishes the x86-64 psABI level, cumulatively:
// a v3 node carries cpu-cpuid.X86_64_V1, _V2 and _V3.
//
// Sources (kubernetes-sigs/node-feature-discovery, tag v0.19.0): docs/usage/features.md ("X86
// CPUID flags", the default blacklist), docs/reference/worker-configuration-reference.md
// (sources.cpu.cpuid.attributeBlacklist / attributeWhitelist), source/cpu/cpu.go
// (newDefaultConfig, microarchLevelFlags), source/cpu/cpuid_amd64.go (FeatureSet + X64Level);
// klauspost/cpuid v2 cpuid.go (the FeatureID names, level1..4Features).
#pragma once

#include "pymatrix/cpuinfo.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace pymatrix::isa::nfd {

/// The label prefix of NFD's cpuid features: "feature.node.kubernetes.io/cpu-cpuid."
inline constexpr const char* cpuid_label_prefix = "feature.node.kubernetes.io/cpu-cpuid.";

/// The well-known node label of the architecture, set by the kubelet (GOARCH spelling).
inline constexpr const char* arch_label = "kubernetes.io/arch";

/// Which NFD the cluster runs: `levels` (v0.19.0 and later: X86_64_V1..V4 labels) or `legacy`
/// (older: per-feature labels only).
enum class Mode { levels, legacy };

/// Parses the `--nfd` value: "legacy", or an NFD version "0.19", "v0.18.3", "1.0" (>= 0.19 ->
/// levels, below -> legacy). Throws pymatrix::ConfigError (exit 2, key "--nfd") for anything else.
Mode parse_mode(const std::string& text);

/// NFD's name for a feature given in /proc/cpuinfo spelling ("abm" -> "LZCNT", "pni" -> "SSE3",
/// "sse4_1" -> "SSE4", "sse4_2" -> "SSE42", "fma" -> "FMA3", "lahf_lm" -> "LAHF", "cx8" ->
/// "CMPXCHG8", "fpu" -> "X87", "pclmulqdq" -> "CLMUL", "avx512_vbmi2" -> "AVX512VBMI2"); "" when
/// NFD has no label for it (klauspost/cpuid does not detect it: clflushopt, clwb, fsgsbase, pku,
/// rdpid, 3dnowprefetch, mwaitx...). Covers every flag features_from_macros() can yield.
std::string cpuid_name(const std::string& cpuinfo_flag);

/// nfd-worker's default sources.cpu.cpuid.attributeBlacklist (source/cpu/cpu.go, v0.19.0; older
/// versions lack AVX10 and TDX_GUEST, which changes nothing for pymatrix): AVX10 BMI1 BMI2 CLMUL
/// CMOV CX16 ERMS F16C HTT LZCNT MMX MMXEXT NX POPCNT RDRAND RDSEED RDTSCP SGX SGXLC SSE SSE2 SSE3
/// SSE4 SSE42 SSSE3 TDX_GUEST.
const std::vector<std::string>& default_blacklist();

/// True when NFD with its default configuration publishes the cpuid feature `nfd_name`.
bool published_by_default(const std::string& nfd_name);

/// The level label name for an x86-64 level: "x86-64" -> "X86_64_V1", "x86-64-v3" -> "X86_64_V3".
/// Throws std::out_of_range for anything else.
std::string level_name(const std::string& level);

/// The kubernetes.io/arch value of an io.pymatrix.isa.arch / CpuInfo arch: "x86_64" -> "amd64",
/// "aarch64" -> "arm64"; "" for anything else.
std::string kubernetes_arch(const std::string& arch);

/// The node labels NFD (and the kubelet's kubernetes.io/arch) would give a node with CPU `cpu`:
/// kubernetes.io/arch, and for an x86_64 CPU one cpu-cpuid.<NAME>="true" per cpuinfo flag NFD
/// names and `blacklist` does not hold, plus, in `levels` mode, X86_64_V1 up to the CPU's level.
/// An approximation from the flags line: NFD asks CPUID itself (its V3 also needs OSXSAVE, which
/// cpuinfo never lists and every OS with AVX sets). Throws nothing.
std::map<std::string, std::string> node_labels(const CpuInfo& cpu, Mode mode,
                                               const std::set<std::string>& blacklist);

}  // namespace pymatrix::isa::nfd
