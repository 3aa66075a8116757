// pymatrix/engine.hpp: the Docker engine as pymatrix uses it, through the `docker` CLI run as
// an argument vector (Boost.Process; never a shell string). Throws EnvironmentError (exit 5)
// when docker, buildx or the daemon is missing, pymatrix::Error for other failures.
#pragma once

#include "pymatrix/error.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pymatrix {

/// Exit status and captured output of a finished command.
struct CommandResult {
    int exit_code = -1;
    std::string out;   ///< standard output
    std::string err;   ///< standard error
};

/// Runs `argv` (argv[0] looked up in PATH when it has no '/'), optionally feeding `input` on
/// its stdin, and waits. Throws EnvironmentError when argv[0] cannot be found.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "");

/// A handle on the engine: the docker CLI path, checked once.
class Engine {
public:
    /// Finds `docker` in PATH (or $PYMATRIX_DOCKER). Throws EnvironmentError if absent.
    Engine();

    /// Checks that a daemon answers (`docker version`) and buildx is installed
    /// (`docker buildx version`). Throws EnvironmentError with one line saying what to run.
    void require_ready() const;

    /// Throws EnvironmentError when `image` is absent from the local store (buildx would then
    /// try a registry and fail with a DNS error here); the message names scripts/setup-engine.sh.
    void require_local_image(const std::string& image) const;

    /// `docker image inspect REF` as JSON; std::nullopt when the image is absent. Throws
    /// EnvironmentError when the daemon cannot be asked (one docker call: the fast path of `check`).
    std::optional<nlohmann::json> inspect_image(const std::string& ref) const;

    /// `docker run --rm --network=none [--entrypoint ENTRY] IMAGE ARGS...`; returns its result.
    CommandResult run_in_image(const std::string& image, const std::vector<std::string>& args,
                               const std::string& entrypoint = "") const;

    /// Removes tags (`docker image rm` of each reference; the image goes when its last tag does).
    /// Failures are ignored (the tag may already be gone).
    void remove_tags(const std::vector<std::string>& refs) const;

    /// Runs `docker ARGS...` streaming: `feed` writes stdin (called on its own thread with a
    /// writer; may be empty), `on_line` receives each line of stdout+stderr. Returns the exit
    /// code. Throws EnvironmentError if docker vanished.
    int stream(const std::vector<std::string>& args,
               const std::function<void(const std::function<void(const char*, std::size_t)>&)>& feed,
               const std::function<void(const std::string&)>& on_line) const;

    const std::string& docker() const { return docker_; }

private:
    std::string docker_;
};

}  // namespace pymatrix
