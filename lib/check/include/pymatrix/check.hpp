// pymatrix/check.hpp: the deployment gate's decision: whether a target CPU can run an image, from
// the image's pymatrix ISA labels (read by pymatrix/image_labels.hpp). Pure: no engine, no I/O.
#pragma once

#include "pymatrix/cpuinfo.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pymatrix {

/// What an image needs from a CPU, from its io.pymatrix.isa.* labels.
struct IsaRequirement {
    bool labelled = false;          ///< false when the image has no io.pymatrix.isa.features label
    std::string arch;               ///< io.pymatrix.isa.arch
    std::string level;              ///< io.pymatrix.isa.level
    std::set<std::string> features; ///< io.pymatrix.isa.features
    std::string march;              ///< io.pymatrix.isa.march
};

/// Extracts the requirement from labels (missing labels -> labelled = false).
IsaRequirement requirement_of(const std::map<std::string, std::string>& labels);

/// The gate's decision for one image on one target.
struct Verdict {
    bool accepted = false;
    std::string reason;                  ///< one sentence: why accepted/rejected
    std::vector<std::string> missing;    ///< cpuinfo flags the target lacks, sorted
    std::vector<std::string> warnings;   ///< e.g. the target runs under a hypervisor
    bool features_unknown = false;       ///< the target's cpuinfo is not of the image's architecture
};

/// Decides: rejected when the image is unlabelled (unless `allow_unlabelled`), when the target's
/// cpuinfo is of another architecture than the image, or when any required feature is absent from
/// the target's flags; the reason names the level gap ("image needs x86-64-v4, target is
/// x86-64-v3"). A cpuinfo of another architecture is refused as "features unknown (emulated?)"
/// with `features_unknown` set, failing closed like an unlabelled image: it is either a machine
/// that runs the image only under emulation, or an emulated container that shows its host's
/// cpuinfo (qemu-user and Docker Desktop's x86_64 containers on arm64 show a `Features` line), and
/// neither says which of the image's features the emulated CPU has. Throws nothing.
Verdict decide(const IsaRequirement& image, const isa::CpuInfo& target, bool allow_unlabelled = false);

}  // namespace pymatrix
