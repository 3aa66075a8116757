// pymatrix/builder.hpp: the builder seam. Every docker and buildx verb pymatrix uses goes through
// one `Builder`: build, read back (run a command in an image, inspect a local image or a registry
// reference), tag, push. The docker driver (pymatrix/docker_driver.hpp) is its implementation on a
// Docker engine; tests put a fake behind it. Nothing here starts a process itself.
#pragma once

#include "pymatrix/process.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pymatrix {

/// Where a build's result goes (buildx's exporters, `docker buildx build --output`).
enum class BuildOutput {
    load,        ///< into the engine's local image store, under BuildRequest::tags (`--load`)
    push,        ///< straight from the builder to the registry of each tag (`--push`, the image
                 ///< exporter with push=true); nothing lands in the local store
    local,       ///< the target stage's files into BuildRequest::local_dest on this machine
                 ///< (`--output type=local,dest=DIR`): how build-info.json is read back
    cache_only,  ///< nowhere but the builder's cache (`--output type=cacheonly`): shared stages
};

/// The buildx driver of a builder (`docker buildx inspect` "Driver:"), which decides where an
/// image can go: only the `docker` driver builds inside the engine, so that its images are in the
/// local store at once; the others (a BuildKit container, a Kubernetes pod, a remote buildkitd)
/// see no local store: they export with `--load` (a tarball loaded into the engine of the current
/// docker context) or `--push` (docs.docker.com/build/builders/drivers/).
enum class BuilderDriver { docker, docker_container, kubernetes, remote };

/// "docker", "docker-container", "kubernetes", "remote" (buildx's names). Throws nothing.
const char* to_string(BuilderDriver driver);

/// The driver buildx names `name`, std::nullopt for a name buildx does not have. Throws nothing.
std::optional<BuilderDriver> parse_builder_driver(const std::string& name);

/// One `docker buildx build` of a context streamed on stdin as a tar (the context's Dockerfile).
struct BuildRequest {
    std::vector<std::string> tags;                                  ///< image references to apply
    std::string target;                                             ///< Dockerfile stage (`--target`), "" = last
    BuildOutput output = BuildOutput::load;
    std::vector<std::pair<std::string, std::string>> build_args;    ///< `--build-arg K=V`, in order
    std::map<std::string, std::string> labels;                      ///< `--label K=V`, values byte for byte
    std::string network;                                            ///< `--network` for RUN steps, "" = builder default
    bool pull = false;  ///< `--pull`: resolve every FROM image in its registry afresh, as `buildx build --pull`
    std::string local_dest;     ///< BuildOutput::local: the directory the stage's files go to
    std::string metadata_file;  ///< `--metadata-file F`: buildx writes the result's JSON there
                                ///< ("containerimage.digest": the pushed manifest digest); "" = none
};

/// One `docker run --rm` of a command in an image; the container has no network.
struct RunRequest {
    std::string image;                  ///< reference or id
    std::vector<std::string> command;   ///< argv after the image
    std::string entrypoint;             ///< `--entrypoint`, "" = the image's
    std::string cpuset;                 ///< `--cpuset-cpus`, "" = any CPU
    std::optional<double> cpus;         ///< `--cpus` CFS quota, in CPUs
    std::vector<std::string> env;       ///< `-e KEY=VALUE`, in order
    std::vector<std::string> mounts;    ///< `--mount` specifications, in order
    std::string workdir;                ///< `--workdir`, "" = the image's
};

/// One image of an image index (OCI image-spec image-index.md, or a Docker manifest list).
struct RegistryIndexEntry {
    std::string platform;                        ///< "os/architecture[/variant]": "linux/amd64", "linux/amd64/v3"
    std::string digest;                          ///< the entry's manifest digest "sha256:<64 hex>"
    std::map<std::string, std::string> labels;   ///< its image config's labels
};

/// What a registry holds under one reference, read without pulling.
struct RegistryImage {
    std::string reference;                       ///< as asked, "HOST:PORT/PATH:TAG"
    std::string digest;                          ///< manifest digest "sha256:<64 hex>" the registry serves
    std::map<std::string, std::string> labels;   ///< the image config's labels; empty for an index
    std::vector<RegistryIndexEntry> entries;     ///< an index: its images in index order (attestation
                                                 ///< manifests, platform unknown/unknown, left out); else empty
};

/// Outcome of sending a reference to its registry (a push, or a registry-side tag).
struct RegistryWrite {
    bool ok = false;
    bool unreachable = false;  ///< the registry did not answer (connection refused, DNS, timeout)
    bool interrupted = false;  ///< stopped by a cancel request (pymatrix/cancel.hpp)
    std::string digest;        ///< push: the manifest digest "sha256:..." the registry returned ("" if none)
    std::string message;       ///< when not ok: the tool's own last line saying why
    /// create_index: the manifest digest each entry has in the published index, in descriptor
    /// order (a descriptor's own digest, or the image manifest inside the index it named); else empty
    std::vector<std::string> entry_digests;
};

/// The docker and buildx verbs pymatrix uses. Implementations throw EnvironmentError (exit 5)
/// when the engine or the registry cannot be asked at all; a refused build, run or push is a
/// result, not an exception. Every method may be called from several threads at once.
class Builder {
public:
    virtual ~Builder() = default;

    /// Checks that the engine answers and can build. Throws EnvironmentError with one line
    /// saying what to run.
    virtual void require_ready() const = 0;

    /// The builder's buildx driver, asked once (`docker buildx inspect`) and remembered. Throws
    /// EnvironmentError when buildx does not know the builder.
    virtual BuilderDriver driver() const = 0;

    /// The command line build() runs for `request`, argv[0] first (for logs and dry runs).
    virtual std::vector<std::string> build_command_line(const BuildRequest& request) const = 0;

    /// Builds the context that `context` writes (a tar stream) as `request` says; each line of
    /// BuildKit's plain progress goes to `on_line`. Returns the exit code (0 = built). A cancel
    /// request interrupts it. Rethrows what `context` threw.
    virtual int build(const BuildRequest& request, const InputWriter& context, const LineSink& on_line) const = 0;

    /// The local store's record of `ref` (`docker image inspect` JSON: Id, Size, Config.Labels,
    /// ...), std::nullopt when absent. Runs to its end after a cancel request.
    virtual std::optional<nlohmann::json> inspect_local(const std::string& ref) const = 0;

    /// Ids ("sha256:...") of the local images carrying label `key` = `value`, newest first.
    virtual std::vector<std::string> images_labelled(const std::string& key, const std::string& value) const = 0;

    /// The manifest digest and labels of `ref` in its registry (nothing pulled); std::nullopt
    /// only when the registry answers 404, that it does not hold it. Throws EnvironmentError naming
    /// the registry host and the fault (pymatrix/registry_fault.hpp) for any other answer (401,
    /// 403, 429, 5xx) or none: those are errors, never "absent".
    virtual std::optional<RegistryImage> inspect_remote(const std::string& ref) const = 0;

    /// The command line run() runs for `request`, argv[0] first (for dry runs).
    virtual std::vector<std::string> run_command_line(const RunRequest& request) const = 0;

    /// The command line push() runs for `ref`, argv[0] first (for dry runs).
    virtual std::vector<std::string> push_command_line(const std::string& ref) const = 0;

    /// Runs a command in an image and waits; a cancel request interrupts it.
    virtual CommandResult run(const RunRequest& request) const = 0;

    /// Points the local reference `ref` at `image` (an id or reference). Returns false when refused.
    virtual bool tag(const std::string& image, const std::string& ref) const = 0;

    /// Removes local references (the image goes with its last one); absent ones are ignored.
    /// Runs to its end after a cancel request.
    virtual void remove_tags(const std::vector<std::string>& refs) const = 0;

    /// Pushes the local reference `ref` to its registry; a cancel request interrupts it.
    virtual RegistryWrite push(const std::string& ref) const = 0;

    /// Makes the registry serve `source` (a "REPO@sha256:..." it holds) also as `ref`, without
    /// anything local (`docker buildx imagetools create`).
    virtual RegistryWrite tag_remote(const std::string& source, const std::string& ref) const = 0;

    /// Publishes `ref` as an image index whose entries are `descriptors` (OCI descriptors:
    /// {"digest", "platform"}; manifests the registry holds in ref's repository), with `docker
    /// buildx imagetools create --tag REF --file F...` (one temporary file per descriptor; buildx
    /// fills in mediaType and size). A descriptor naming an index (the containerd image store
    /// pushes an image as an index of it and its attestation) is replaced by that index's image
    /// manifest of the descriptor's os and architecture, under the descriptor's platform. On
    /// success `digest` is the index's manifest digest and `entry_digests` its entries'. A cancel
    /// request interrupts it.
    virtual RegistryWrite create_index(const std::string& ref, const std::vector<nlohmann::json>& descriptors) const = 0;

    /// CPUs of the engine's host (`docker info` NCPU), 0 when it does not say.
    virtual int host_cpus() const = 0;
};

}  // namespace pymatrix
