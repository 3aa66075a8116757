// pymatrix/image_store.hpp: what pymatrix reports for an image in an engine's local store, read the
// same way from both of Docker's image stores (docs/images.md, "Size, image ID and digest").
//
// The two stores answer `docker image inspect` (GET /images/{name}/json) differently:
//   graph driver (dockerd 20.10, overlay2): Id = the image config's digest; Size = the bytes of
//     the files in the image's layers, unpacked (per layer, hard links once);
//   containerd image store (dockerd 24+ with "containerd-snapshotter", the default of new
//     installs): Id = the digest of the image's index (or manifest); Size = the packed content,
//     the compressed layers plus manifest and config, as they would travel to a registry.
// pymatrix's `size` is the unpacked size of the layers on both: GET /images/{name}/history sums
// to it on both stores (graph driver: each layer's bytes; containerd: each snapshot's usage).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace pymatrix {

enum class ImageStore { graph_driver, containerd, unknown };

/// "graph-driver", "containerd", "unknown".
const char* to_string(ImageStore store);

/// The store an inspect document comes from. A graph driver fills GraphDriver.Data (overlay2:
/// LowerDir, MergedDir, UpperDir, WorkDir); the containerd store leaves it null and names its
/// snapshotter (overlayfs, native, fuse-overlayfs, stargz, devmapper, ...). A graph driver with no
/// Data (vfs, btrfs, zfs) is `unknown`. Throws nothing.
ImageStore image_store_of(const nlohmann::json& inspect);

/// Whether the inspect document's Size is not yet the unpacked size, so that the history is
/// needed: true unless the document is a graph driver's. Throws nothing.
bool needs_history(const nlohmann::json& inspect);

/// The unpacked size of the layers: the sum of "Size" over a GET /images/{name}/history array;
/// std::nullopt when it is not an array of entries with a non-negative integer Size.
std::optional<std::uint64_t> unpacked_size(const nlohmann::json& history);

/// A history array from the lines of `docker image history --no-trunc --human=false --format
/// '{{.Size}}'` (one integer per line); std::nullopt if a line is not a non-negative integer.
std::optional<nlohmann::json> history_from_cli(const std::string& lines);

/// The inspect document as pymatrix reads it: "Size" is the unpacked size of the layers on both
/// stores (from `history` where needs_history(); 0 = unknown when it is needed and missing or
/// unreadable, never the packed size). "Id" stays the engine's own: what `docker images
/// --no-trunc` lists and docker run, tag and rm accept there. What the engine said is kept under
/// "Pymatrix": {"store": to_string(store), "engine_size": its Size, "size": the unpacked size,
/// "content_size": the packed size (containerd store only, else null)}. A document that is not an
/// object is returned as it is. Throws nothing.
nlohmann::json normalize_local_image(nlohmann::json inspect, const std::optional<nlohmann::json>& history);

}  // namespace pymatrix
