// pymatrix/docker_driver.hpp: the Builder (pymatrix/builder.hpp) on a Docker engine, through the
// `docker` CLI and its buildx plugin run as argument vectors (pymatrix/process.hpp). Every
// docker argv pymatrix runs is assembled by the functions in namespace docker_argv, here only.
#pragma once

#include "pymatrix/builder.hpp"

#include <string>
#include <vector>

namespace pymatrix {

/// The argument vectors (after "docker") of each verb; pure functions, throw nothing.
namespace docker_argv {

/// `buildx build --progress=plain [--builder B] [--network N] [--pull] [--target T] (--load | --output
/// type=cacheonly) [--tag T]... [--build-arg K=V]... [--label K=V]... -`: the context is a tar on
/// stdin. Values are argv elements, byte for byte, never through a shell.
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

}  // namespace docker_argv

/// The docker driver: a Builder that runs the docker CLI found in PATH (or $PYMATRIX_DOCKER), with
/// the buildx builder `builder` ("" = the current one). Local image inspection asks the daemon's
/// unix socket directly when it can (the fast path of `check`), else the CLI.
class DockerDriver final : public Builder {
public:
    /// Finds `docker`. Throws EnvironmentError if absent.
    explicit DockerDriver(std::string builder = "");

    /// `docker version` and `docker buildx version`, at once.
    void require_ready() const override;
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
    int host_cpus() const override;

    /// The docker CLI's path.
    const std::string& docker() const { return docker_; }

private:
    std::vector<std::string> with_docker(std::vector<std::string> args) const;
    std::string docker_;
    std::string builder_;
};

}  // namespace pymatrix
