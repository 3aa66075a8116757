// The Docker engine through its CLI: readiness checks, image inspection, runs, tag removal.
#include "pymatrix/engine.hpp"
#include "engine/api.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <future>

namespace pymatrix {
namespace detail {
std::string resolve_program(const std::string& name);
}

namespace {
std::string first_line(const std::string& s) {
    auto nl = s.find('\n');
    return s.substr(0, nl);
}
}  // namespace

Engine::Engine() {
    const char* env = std::getenv("PYMATRIX_DOCKER");
    docker_ = detail::resolve_program(env && *env ? env : "docker");
}

void Engine::require_ready() const {
    // both questions at once: each is a docker CLI start (the buildx one two), which is most of a
    // cached re-run's time on a busy machine
    auto buildx = std::async(std::launch::async, [&] { return run_command({docker_, "buildx", "version"}); });
    auto v = run_command({docker_, "version", "--format", "{{.Server.Version}}"});
    auto b = buildx.get();
    if (v.exit_code != 0)
        throw EnvironmentError(fmt::format("no Docker daemon answers ({}); start one with scripts/setup-engine.sh",
                                           first_line(v.err.empty() ? v.out : v.err)));
    if (b.exit_code != 0)
        throw EnvironmentError(fmt::format("docker buildx is not installed ({}); install it with scripts/setup-engine.sh",
                                           first_line(b.err.empty() ? b.out : b.err)));
}

void Engine::require_local_image(const std::string& image) const {
    if (inspect_image(image)) return;
    throw EnvironmentError(fmt::format(
        "base image '{}' is not in the local image store and no registry is reachable to pull it; "
        "scripts/setup-engine.sh creates debian:bookworm-slim with debootstrap", image));
}

std::optional<nlohmann::json> Engine::inspect_image(const std::string& ref) const {
    // fast path: GET /images/{name}/json on the daemon's socket (what `docker image inspect` does
    // after its own start-up); any transport problem falls through to the CLI, which explains it
    if (auto sock = detail::engine_socket(); sock && !std::getenv("PYMATRIX_DOCKER")) {
        if (auto res = detail::api_get(*sock, "/images/" + detail::path_escape(ref) + "/json")) {
            if (res->status == 404) return std::nullopt;
            if (res->status == 200) {
                try {
                    return nlohmann::json::parse(res->body);
                } catch (const nlohmann::json::exception&) {
                }
            }
        }
    }
    auto r = run_command({docker_, "image", "inspect", "--format", "{{json .}}", ref});
    if (r.exit_code != 0) {
        if (r.err.find("No such image") != std::string::npos || r.err.find("No such object") != std::string::npos)
            return std::nullopt;
        throw EnvironmentError(fmt::format("docker image inspect {} failed ({}); is the daemon running? "
                                           "(scripts/setup-engine.sh starts one)", ref, first_line(r.err)));
    }
    try {
        return nlohmann::json::parse(r.out);
    } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("docker image inspect {}: unreadable output: {}", ref, e.what()));
    }
}

CommandResult Engine::run_in_image(const std::string& image, const std::vector<std::string>& args,
                                   const std::string& entrypoint) const {
    std::vector<std::string> argv = {docker_, "run", "--rm", "--network=none"};
    if (!entrypoint.empty()) {
        argv.push_back("--entrypoint");
        argv.push_back(entrypoint);
    }
    argv.push_back(image);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
}

void Engine::remove_tags(const std::vector<std::string>& refs) const {
    for (auto& r : refs) run_command({docker_, "image", "rm", r});
}

}  // namespace pymatrix
