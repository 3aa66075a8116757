// pymatrix/level_index.hpp: one tag for every x86-64 level. After `build --push`, the pushed
// builds of one Python version become the entries of an image index (OCI image-spec
// image-index.md; a Docker manifest list when the entries are Docker v2 manifests, as dockerd
// 20.10 pushes them), one per x86-64 micro-architecture level, with the platform variants
// containerd matches (platforms/cpuinfo.go: amd64 variants v2, v3, v4 since containerd 1.6,
// containerd#6455): `linux/amd64` (the baseline, x86-64), `linux/amd64/v2`, `/v3`, `/v4`.
// An entry's variant comes from the level the image RECORDS (io.pymatrix.isa.level, read from
// the built binary), never from the -march that was asked for.
#pragma once

#include "pymatrix/build.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace pymatrix {

/// One entry of a level index.
struct LevelIndexEntry {
    std::string build;    ///< the build's name ("3.13-opt-v3")
    std::string level;    ///< its recorded level: "x86-64", "x86-64-v2", "x86-64-v3" or "x86-64-v4"
    std::string variant;  ///< the platform variant: "" for x86-64 (plain linux/amd64), "v2", "v3", "v4"
    std::string digest;   ///< the manifest digest the registry serves for the build, "sha256:<64 hex>"
};

/// The platform variant of an x86-64 level: "x86-64" -> "", "x86-64-v3" -> "v3". Throws
/// std::out_of_range for anything else.
std::string variant_of_level(const std::string& level);

/// The entries of the index `index_ref` over `builds` and their `results` (same order, as
/// run_builds returns them), in level order, baseline first. Every build must have been pushed
/// (BuildResult::pushed, by this run or found in the registry) into the repository of `index_ref` (an index can only refer to
/// manifests of its own repository). Throws Error (the run's exit 3, nothing published) naming
/// the build and the rule when:
/// - a build is not x86_64 (io.pymatrix.isa.arch), or failed, or was not pushed;
/// - it records ISA features beyond its level (a -march=native build: a CPU of that level may lack
///   them, so no variant may promise it will run);
/// - it asked for an x86-64 level (-march=x86-64-vN) and records another: its variant would lie;
/// - two builds record the same level (pick one with --only), or their Python versions differ;
/// - no build records the baseline x86-64 (linux/amd64 must always be there: engines without
///   variant matching, such as dockerd 20.10, pull it).
std::vector<LevelIndexEntry> plan_level_index(const std::string& index_ref, const std::vector<Build>& builds,
                                              const std::vector<BuildResult>& results);

/// The OCI descriptor `docker buildx imagetools create --file` reads for `entry`:
/// {"digest": ..., "platform": {"architecture": "amd64", "os": "linux"[, "variant": "v3"]}};
/// buildx fills in mediaType and size from the registry's copy of the manifest.
nlohmann::json index_descriptor(const LevelIndexEntry& entry);

}  // namespace pymatrix
