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

/// One image of an image index, as the gate sees it.
struct IndexEntryRequirement {
    std::string platform;      ///< "os/architecture[/variant]", as the index's descriptor says: "linux/amd64/v3"
    IsaRequirement image;      ///< from the entry's labels
};

/// The gate's decision for an image index on one target: which entries the target may get, and
/// whether it runs every one of them.
struct IndexVerdict {
    bool accepted = false;
    std::string reason;                  ///< one sentence naming the entries the target gets
    std::vector<Verdict> entries;        ///< decide() of each entry, in index order
    std::vector<bool> gets;              ///< per entry: an engine on the target may pull it
    std::optional<std::size_t> matched;  ///< the entry an engine that matches variants pulls
};

/// Decides for an index. Which entry a target gets follows containerd's platform matching
/// (containerd platforms/cpuinfo.go; amd64 variants since containerd 1.6, containerd#6455): an
/// engine that matches variants pulls, among the linux entries of the target's architecture
/// (x86_64: amd64, aarch64: arm64), the amd64 entry of the highest variant the target's x86-64
/// level reaches (no variant and "v1": x86-64; "v2", "v3", "v4": the levels); an engine that does
/// not match variants (dockerd 20.10 without --platform) pulls the entry without a variant. The
/// index is accepted when the target gets at least one entry and runs every entry it may get
/// (decide() of each). Throws nothing.
IndexVerdict decide_index(const std::vector<IndexEntryRequirement>& entries, const isa::CpuInfo& target,
                          bool allow_unlabelled = false);

/// The entry of an index that bounds where the index may run, for a scheduler that places by node
/// labels (check --format k8s).
struct IndexFloor {
    std::optional<std::size_t> entry;  ///< the lowest-variant amd64 entry (the plain one when there
                                       ///< is one); empty when `refused` is set
    std::string refused;               ///< why no node set can be named ("" when `entry` is set)
};

/// Finds the floor of an amd64 index: the entry of the lowest variant (no variant ranks lowest),
/// provided every CPU at the floor entry's level (its io.pymatrix.isa.level label, or its variant
/// if higher) or above runs what it gets, checked with
/// decide_index() on the model CPU of each x86-64 level (cpu_for_level). Then a node runs the
/// index exactly when it runs the floor entry. Refused when the index has no linux/amd64 entry
/// or when some level would get an entry it cannot run (a -march=native build pushed as
/// linux/amd64/v3 that needs more than x86-64-v3), named in `refused`. Throws nothing.
IndexFloor index_floor(const std::vector<IndexEntryRequirement>& entries);

}  // namespace pymatrix
