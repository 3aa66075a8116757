// pymatrix/labels.hpp: the io.pymatrix.* label schema (DESIGN.md, "Labels") and the
// build-info JSON each image carries at /usr/local/share/pymatrix/build-info.json, from which
// labels are derived (labels are truth, not intent).
#pragma once

#include "pymatrix/plan.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>

namespace pymatrix {

namespace label {
inline constexpr const char* profile = "io.pymatrix.profile";
inline constexpr const char* python_version = "io.pymatrix.python.version";
inline constexpr const char* config_args = "io.pymatrix.config-args";
inline constexpr const char* config_hash = "io.pymatrix.config-hash";
inline constexpr const char* isa_arch = "io.pymatrix.isa.arch";
inline constexpr const char* isa_level = "io.pymatrix.isa.level";
inline constexpr const char* isa_features = "io.pymatrix.isa.features";
inline constexpr const char* isa_march = "io.pymatrix.isa.march";
inline constexpr const char* build_host_cpu = "io.pymatrix.build-host.cpu";
/// a profile's pgo_workload that trained PGO: "NAME FILE sha256:HEX" ("worker-pool worker_pool.py
/// sha256:...", or "dir:DIR SCRIPT sha256:..." for a directory of the user's: PgoWorkload::sha256);
/// absent when CPython's default PROFILE_TASK (or the profile's own) trained it
inline constexpr const char* pgo_workload = "io.pymatrix.pgo.workload";
/// a packaged python's installed Debian packages, "name=version" space-separated
/// ("python3.13=3.13.5-2+deb13u5 python3-gdbm=3.13.5-1")
inline constexpr const char* package = "io.pymatrix.package";
inline constexpr const char* oci_created = "org.opencontainers.image.created";
inline constexpr const char* oci_version = "org.opencontainers.image.version";
}  // namespace label

/// What a built image really is, read from the build-info JSON its buildinfo.py wrote.
struct BuildInfo {
    std::string python_version;   ///< platform.python_version(), e.g. "3.13.5"
    std::string config_args;      ///< sysconfig.get_config_var('CONFIG_ARGS'), byte for byte
    std::string cflags;           ///< sysconfig CFLAGS (what extensions built later inherit)
    std::string cflags_nodist;    ///< sysconfig CFLAGS_NODIST
    std::string arch;             ///< platform.machine(): "x86_64" or "aarch64"
    std::string march_requested;  ///< the -march in the core CFLAGS, "" if none
    std::string march_resolved;   ///< what the compiler resolved -march to (`-Q --help=target`)
    std::set<std::string> features;  ///< cpuinfo flags the compiled code may use
    std::string level;            ///< x86-64 level those features imply ("" on aarch64)
    std::string build_host_cpu;   ///< "VENDOR MODEL" of the machine that compiled it
    std::vector<std::string> missing_modules;  ///< stdlib modules that failed to import
    /// A packaged python only: the Debian packages installed, "name=version" each
    /// ("python3.13=3.13.5-2+deb13u5"), from dpkg-query; empty for a source build.
    std::vector<std::string> packages;
    /// A packaged python only: the levels in the binary's "x86 ISA needed" GNU property note
    /// (readelf -n; x86-64 psABI GNU_PROPERTY_X86_ISA_1_NEEDED), e.g. {"x86-64-baseline"}; empty
    /// when the binary has no such note.
    std::vector<std::string> elf_isa_needed;
};

/// Parses the build-info JSON. Throws Error (exit 1) when a required field is absent or mistyped,
/// or when the binary's "x86 ISA needed" note names a level above the one its compiler flags
/// imply (the flags would understate what the CPU needs: the labels would lie).
BuildInfo parse_build_info(const nlohmann::json& doc);

/// The labels a build deserves: io.pymatrix.* from `info` and `build` (io.pymatrix.pgo.workload
/// only for a build with a pgo_workload, io.pymatrix.package only for a packaged python), plus
/// org.opencontainers.image.created (`created`, RFC 3339 UTC) and .version (python version).
std::map<std::string, std::string> labels_for(const Build& build, const BuildInfo& info,
                                              const std::string& created);

/// The current time as RFC 3339 UTC, "2026-11-30T13:34:48Z".
std::string now_rfc3339();

/// Whether a local image record (`docker image inspect` JSON, Builder::inspect_local) is labelled with `config_hash`
/// (io.pymatrix.config-hash): the one test of "this image is that build". Throws nothing.
bool carries_config_hash(const std::optional<nlohmann::json>& image, const std::string& config_hash);

}  // namespace pymatrix
