// pymatrix/check.hpp: the deployment gate. Reads an image's pymatrix ISA labels (local image,
// registry reference, or `docker save` archive) and decides whether a target CPU can run it.
#pragma once

#include "pymatrix/cpuinfo.hpp"
#include "pymatrix/engine.hpp"

#include <map>
#include <optional>
#include <cstdint>
#include <string>
#include <vector>

namespace pymatrix {

/// Where an image's labels were read from.
enum class ImageSource { local, registry, archive };

/// "local", "registry" or "archive", as the JSON of `check` and `inspect` names the source.
const char* source_name(ImageSource source);

/// The labels of one image, and where they came from.
struct ImageLabels {
    std::string ref;                           ///< as the user named it
    ImageSource source = ImageSource::local;
    std::map<std::string, std::string> labels;  ///< every label of the image config
    std::string id;                            ///< local: the image id "sha256:..."; else ""
    std::uint64_t size_bytes = 0;              ///< local: the image size in bytes; else 0
    std::string digest;                        ///< registry: the manifest digest "sha256:..."; else ""
};

/// Reads the labels of `ref`: an existing file is a `docker save` archive (read with libarchive,
/// no daemon: manifest.json -> config JSON -> config.Labels); else a local image
/// (`docker image inspect`); else, when `ref` names a registry host, the registry
/// (inspect_remote() of pymatrix/registry.hpp, as `build --push` asks: nothing pulled). Throws
/// ConfigError (exit 2) when the image exists nowhere, EnvironmentError (exit 5) when the daemon
/// cannot be asked or the registry does not answer ("registry HOST does not answer for REF: ...").
/// `engine` may be null for archives.
ImageLabels read_image_labels(const std::string& ref, const Engine* engine);

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
};

/// Decides: rejected when the image is unlabelled (unless `allow_unlabelled`), when the
/// architectures differ, or when any required feature is absent from the target's flags; the
/// reason names the level gap ("image needs x86-64-v4, target is x86-64-v3"). Throws nothing.
Verdict decide(const IsaRequirement& image, const isa::CpuInfo& target, bool allow_unlabelled = false);

}  // namespace pymatrix
