// engine/api.hpp: a minimal Docker Engine API client over the unix socket (internal).
// Never throws: a missing or unusable socket returns std::nullopt and callers use the CLI.
#pragma once

#include <optional>
#include <string>

namespace pymatrix::detail {

struct ApiResponse {
    int status = 0;     ///< HTTP status: 200, 404, ...
    std::string body;   ///< JSON text
};

/// The daemon's unix socket path from DOCKER_HOST (unset: /var/run/docker.sock; unix://PATH),
/// or std::nullopt when DOCKER_HOST is tcp:// or ssh:// or a DOCKER_CONTEXT is selected.
std::optional<std::string> engine_socket();

/// GET `target` (e.g. "/images/NAME/json") on the socket; std::nullopt on any transport failure.
std::optional<ApiResponse> api_get(const std::string& socket_path, const std::string& target);

/// Percent-encodes what an image reference must not carry raw in a URL path.
std::string path_escape(const std::string& s);

}  // namespace pymatrix::detail
