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

/// The unix socket of the engine the docker CLI would talk to, resolved as the CLI does:
/// `context` (a `docker --context NAME`) if given; else DOCKER_HOST (which the CLI prefers to
/// DOCKER_CONTEXT); else the context DOCKER_CONTEXT names; else config.json's "currentContext"
/// ($DOCKER_CONFIG, else ~/.docker); else /var/run/docker.sock. Context "default" is DOCKER_HOST,
/// else /var/run/docker.sock. Another context's endpoint is read from its meta.json. std::nullopt
/// when that endpoint is no unix:// socket (tcp://, ssh://, TLS) or the context cannot be read:
/// callers then run the CLI, which knows how and explains what is wrong.
std::optional<std::string> engine_socket(const std::string& context = "");

/// The socket path of a docker endpoint: "unix:///run/x.sock" -> "/run/x.sock"; std::nullopt for
/// any other scheme or an empty path.
std::optional<std::string> unix_socket_of(const std::string& endpoint);

/// The docker endpoint ("Endpoints.docker.Host") of a context's meta.json text; std::nullopt when
/// it is unreadable or has none.
std::optional<std::string> context_endpoint(const std::string& meta_json);

/// Where the docker CLI keeps context NAME's meta.json: CONFIG_DIR/contexts/meta/<sha256(NAME)>/meta.json.
std::string context_meta_path(const std::string& config_dir, const std::string& name);

/// GET `target` (e.g. "/images/NAME/json") on the socket; std::nullopt on any transport failure.
std::optional<ApiResponse> api_get(const std::string& socket_path, const std::string& target);

/// Percent-encodes what an image reference must not carry raw in a URL path.
std::string path_escape(const std::string& s);

}  // namespace pymatrix::detail
