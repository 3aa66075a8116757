// pymatrix/cpuinfo.hpp: a CPU as /proc/cpuinfo describes it. Decisions use the flags line
// (x86: "flags", aarch64: "Features") only, never the model name: VMs mask features and a model
// name can read just "AMD EPYC".
#pragma once

#include <filesystem>
#include <set>
#include <string>

namespace pymatrix::isa {

/// One CPU (the first processor block of a cpuinfo dump).
struct CpuInfo {
    std::string arch;              ///< "x86_64" (flags line), "aarch64" (Features line), else "other"
    std::string vendor;            ///< vendor_id ("AuthenticAMD"), or "CPU implementer" on aarch64
    std::string model;             ///< "model name", "cpu" (POWER) or "" when absent
    std::set<std::string> flags;   ///< the flags/Features words, in cpuinfo spelling
    bool hypervisor = false;       ///< the "hypervisor" flag: a VM, which may mask features
    std::string level;             ///< x86-64 level of the flags ("" unless arch is x86_64)
    std::string source;            ///< where it was read from (file path or "/proc/cpuinfo")
};

/// Parses cpuinfo text. A text with neither a flags nor a Features line yields arch "other"
/// with no flags. Throws nothing.
CpuInfo parse_cpuinfo(const std::string& text, const std::string& source = "");

/// Reads and parses a cpuinfo file the user named. Throws pymatrix::ConfigError (exit 2, key
/// "--target-cpuinfo") if it is unreadable, or has neither a flags/Features line nor the
/// "processor" line every architecture's dump has: a file that is not a dump is a usage error,
/// not a CPU without features. A dump of another architecture (POWER, RISC-V) is read as arch
/// "other".
CpuInfo read_cpuinfo(const std::filesystem::path& path);

/// This machine: /proc/cpuinfo.
CpuInfo host_cpu();

/// A synthetic x86_64 target that has exactly the flags of `level` (cumulative).
/// Throws pymatrix::ConfigError (exit 2, key "--target-level") for an unknown level.
CpuInfo cpu_for_level(const std::string& level);

}  // namespace pymatrix::isa
