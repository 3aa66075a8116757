// pymatrix/docker_driver.hpp: the Builder (pymatrix/builder.hpp) on a Docker engine, through the
// `docker` CLI and its buildx plugin run as argument vectors (pymatrix/process.hpp). Every
// docker argv pymatrix runs is assembled by the functions in namespace docker_argv, here only.
#pragma once

#include "pymatrix/builder.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pymatrix {

/// The argument vectors (after "docker") of each verb; pure functions, throw nothing.
namespace docker_argv {

/// `buildx build --progress=plain [--builder B] [--network N] [--pull] [--target T] OUTPUT
/// [--metadata-file F] [--tag T]... [--build-arg K=V]... [--label K=V]... -`, OUTPUT being `--load`,
/// `--push`, `--output type=local,dest=DIR` or `--output type=cacheonly` (BuildOutput): the
/// context is a tar on stdin. Values are argv elements, byte for byte, never through a shell.
std::vector<std::string> build(const BuildRequest& request, const std::string& builder);

/// `run --rm --network=none [--entrypoint E] [--cpuset-cpus=L] [--cpus=N] [-e K=V]...
/// [--mount=M]... [--workdir D] IMAGE COMMAND...`.
std::vector<std::string> run(const RunRequest& request);

/// `push REF`.
std::vector<std::string> push(const std::string& ref);

/// `buildx imagetools inspect --format {{json .}} REF` (manifest digest and config, nothing pulled).
std::vector<std::string> inspect_remote(const std::string& ref);

/// `buildx imagetools create --tag REF SOURCE`.
std::vector<std::string> tag_remote(const std::string& source, const std::string& ref);
/// `buildx imagetools create --tag REF --file F1 --file F2 ...` (F: an OCI descriptor JSON file).
std::vector<std::string> create_index(const std::string& ref, const std::vector<std::string>& descriptor_files);

/// `buildx inspect [B]`: the builder's driver and nodes.
std::vector<std::string> inspect_builder(const std::string& builder);

}  // namespace docker_argv

/// What `docker buildx imagetools inspect --format '{{json .}}' REF` printed (`j`), as a
/// RegistryImage: for one image, .manifest.digest and .image.config.Labels; for an index (a
/// .manifest.manifests list), one entry per manifest with its platform and the labels of
/// .image["os/arch[/variant]"], attestation manifests (unknown/unknown) left out; an index of one
/// image (after that) is read as that image (labels set, no entries; digest: the index's), as
/// buildx prints its .image as one config (the containerd image store pushes every BuildKit image
/// as an index of the image and its attestation). Throws
/// nlohmann::json::exception when .manifest.digest or an entry's digest is missing.
RegistryImage registry_image_from_imagetools(const std::string& ref, const nlohmann::json& j);

/// The descriptor create_index() writes for one entry: `descriptor` ({"digest", "platform"},
/// level_index.hpp index_descriptor()) with the mediaType and size of `j` (imagetools inspect
/// --format '{{json .}}' of that digest) when `j` is an image manifest; when it is an index (the containerd image store pushes
/// an image as an index of it and its attestation manifest), the digest, mediaType and size of
/// the index's image of the descriptor's os and architecture, under the descriptor's own platform
/// (its variant kept: buildx given the index would merge its manifests and drop the variant).
/// Throws Error when the index has no image of that platform, nlohmann::json::exception on a
/// malformed `j`.
nlohmann::json index_entry_descriptor(const nlohmann::json& descriptor, const nlohmann::json& j);

/// The driver named on the "Driver:" line of `docker buildx inspect` output, std::nullopt when
/// there is none or buildx names a driver pymatrix does not know. Throws nothing.
std::optional<BuilderDriver> driver_from_buildx_inspect(const std::string& text);

/// The docker driver: a Builder that runs the docker CLI found in PATH (or $PYMATRIX_DOCKER), with
/// the buildx builder `builder` ("" = the current one) of the docker context `context` ("" = the
/// current one; else every command runs as `docker --context CONTEXT ...`, the way to reach a
/// second engine: buildx 0.13 refuses `--builder` naming another context). Local image inspection
/// asks the daemon's unix socket directly when it can (the fast path of `check`), else the CLI.
class DockerDriver final : public Builder {
public:
    /// Finds `docker`. Throws EnvironmentError if absent.
    explicit DockerDriver(std::string builder = "", std::string context = "");

    /// The driver for a build node named on the command line (`build --builder NAME`): the docker
    /// context NAME when `docker context inspect NAME` knows it (its engine and the context's own
    /// docker-driver builder), else the buildx builder NAME of the current context. Throws
    /// EnvironmentError when `docker` is absent.
    static std::unique_ptr<DockerDriver> for_node(const std::string& name);

    /// `docker [--context C] buildx inspect [B]`, once; later calls return the remembered answer.
    /// Throws EnvironmentError naming the builder when buildx does not know it or names an
    /// unknown driver.
    BuilderDriver driver() const override;

    /// `docker version` and `docker buildx version`, at once; then, for a builder whose driver is
    /// not docker, `docker buildx inspect --bootstrap B` (starts its BuildKit). Throws
    /// EnvironmentError naming what does not answer or start.
    void require_ready() const override;

    /// Remembers `driver` as the builder's without asking buildx (`build --dry-run` when no engine
    /// answers). Throws nothing.
    void assume_driver(BuilderDriver driver) const;
    std::vector<std::string> build_command_line(const BuildRequest& request) const override;
    int build(const BuildRequest& request, const InputWriter& context, const LineSink& on_line) const override;
    std::optional<nlohmann::json> inspect_local(const std::string& ref) const override;
    std::vector<std::string> images_labelled(const std::string& key, const std::string& value) const override;
    /// Registry answers 404 MANIFEST_UNKNOWN / NAME_UNKNOWN ("REF: not found") -> std::nullopt;
    /// any other failure (401, 403, 429, 5xx, unreachable) throws EnvironmentError naming the
    /// registry host and the kind (pymatrix/registry_fault.hpp), never "absent".
    std::optional<RegistryImage> inspect_remote(const std::string& ref) const override;
    std::vector<std::string> run_command_line(const RunRequest& request) const override;
    std::vector<std::string> push_command_line(const std::string& ref) const override;
    CommandResult run(const RunRequest& request) const override;
    bool tag(const std::string& image, const std::string& ref) const override;
    void remove_tags(const std::vector<std::string>& refs) const override;
    /// Reads the manifest digest from `docker push`'s "digest: sha256:..." line.
    RegistryWrite push(const std::string& ref) const override;
    RegistryWrite tag_remote(const std::string& source, const std::string& ref) const override;
    RegistryWrite create_index(const std::string& ref, const std::vector<nlohmann::json>& descriptors) const override;
    /// The command line create_index() runs, with `descriptor_files` as its --file arguments (dry runs).
    std::vector<std::string> create_index_command_line(const std::string& ref,
                                                       const std::vector<std::string>& descriptor_files) const;
    int host_cpus() const override;

    /// The docker CLI's path.
    const std::string& docker() const { return docker_; }
    /// The node's name as the user gave it: the context, else the builder, else "default".
    std::string node_name() const;

private:
    std::vector<std::string> with_docker(std::vector<std::string> args) const;
    std::string docker_;
    std::string builder_;
    std::string context_;
    mutable std::mutex driver_mu_;
    mutable std::optional<BuilderDriver> driver_;
};

}  // namespace pymatrix
