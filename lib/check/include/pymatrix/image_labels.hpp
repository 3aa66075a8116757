// pymatrix/image_labels.hpp: reading an image's labels where it is: a `docker save` archive
// (libarchive, no engine), the local image store, or a registry (through the builder seam).
#pragma once

#include "pymatrix/builder.hpp"

#include <cstdint>
#include <map>
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
    std::string platform;                      ///< an index entry: "linux/amd64/v3"; else ""
    std::vector<ImageLabels> entries;          ///< registry: the images of an image index (each with
                                               ///< its platform, digest and labels; `labels` of the
                                               ///< index itself is then empty); else empty
};

/// Reads the labels of `ref`: an existing file is a `docker save` archive (read with libarchive,
/// no daemon: manifest.json -> config JSON -> config.Labels); else a local image
/// (Builder::inspect_local); else, when `ref` names a registry host, the registry
/// (Builder::inspect_remote, as `build --push` asks: nothing pulled; an image index gives `entries`). Throws
/// ConfigError (exit 2) when the image exists nowhere, EnvironmentError (exit 5) when the daemon
/// cannot be asked or the registry does not answer ("registry HOST does not answer for REF: ...").
/// `builder` may be null for archives.
ImageLabels read_image_labels(const std::string& ref, const Builder* builder);

}  // namespace pymatrix
