// The Docker Engine API over its unix socket (Boost.Beast), for the reads that must be fast:
// image inspection in `check`, `build`'s cache lookups and `bench`. Everything else goes through
// the docker CLI. The socket is the one the CLI would use: DOCKER_HOST, a docker context
// (DOCKER_CONTEXT, `--context`, or the current one of config.json), else the default socket.
#include "api.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>

#include <pwd.h>
#include <unistd.h>

namespace http = boost::beast::http;
using local_stream = boost::asio::local::stream_protocol;

namespace pymatrix::detail {
namespace {

constexpr const char* default_socket = "/var/run/docker.sock";

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

/// The docker CLI's configuration directory: $DOCKER_CONFIG, else ~/.docker.
std::string config_dir() {
    if (auto d = env("DOCKER_CONFIG"); !d.empty()) return d;
    std::string home = env("HOME");
    if (home.empty())
        if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) home = pw->pw_dir;
    return home + "/.docker";
}

/// The "default" context: DOCKER_HOST, else the default socket.
std::optional<std::string> default_context_socket() {
    std::string host = env("DOCKER_HOST");
    if (host.empty()) return std::string(default_socket);
    return unix_socket_of(host);
}

std::optional<std::string> context_socket(const std::string& name) {
    if (name == "default") return default_context_socket();
    auto meta = util::read_file(context_meta_path(config_dir(), name));
    if (!meta) return std::nullopt;  // no such context: the CLI says so
    auto endpoint = context_endpoint(*meta);
    if (!endpoint) return std::nullopt;
    return unix_socket_of(*endpoint);
}

}  // namespace

std::optional<std::string> unix_socket_of(const std::string& endpoint) {
    if (endpoint.rfind("unix://", 0) != 0 || endpoint.size() == 7) return std::nullopt;
    return endpoint.substr(7);  // tcp://, ssh://, npipe://: the CLI knows how
}

std::optional<std::string> context_endpoint(const std::string& meta_json) {
    try {
        auto j = nlohmann::json::parse(meta_json);
        const auto& host = j.at("Endpoints").at("docker").at("Host");
        if (host.is_string() && !host.get<std::string>().empty()) return host.get<std::string>();
    } catch (const nlohmann::json::exception&) {
    }
    return std::nullopt;
}

std::string context_meta_path(const std::string& config_dir, const std::string& name) {
    util::Sha256 h;
    h.update(name.data(), name.size());
    return config_dir + "/contexts/meta/" + h.hex() + "/meta.json";
}

std::optional<std::string> engine_socket(const std::string& context) {
    try {
        if (!context.empty()) return context_socket(context);
        // the docker CLI's order: DOCKER_HOST wins over DOCKER_CONTEXT, which wins over the
        // current context of config.json
        if (!env("DOCKER_HOST").empty()) return default_context_socket();
        if (auto name = env("DOCKER_CONTEXT"); !name.empty()) return context_socket(name);
        if (auto config = util::read_file(config_dir() + "/config.json")) {
            auto j = nlohmann::json::parse(*config, nullptr, false);
            if (j.is_object() && j.contains("currentContext") && j["currentContext"].is_string()) {
                auto name = j["currentContext"].get<std::string>();
                if (!name.empty()) return context_socket(name);
            }
        }
        return std::string(default_socket);
    } catch (const std::exception&) {
        return std::nullopt;  // whatever went wrong, the CLI will say it better
    }
}

std::optional<ApiResponse> api_get(const std::string& socket_path, const std::string& target) {
    try {
        boost::asio::io_context ioc;
        local_stream::socket sock(ioc);
        sock.connect(local_stream::endpoint(socket_path));
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "docker");
        req.set(http::field::connection, "close");
        http::write(sock, req);
        boost::beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(64u << 20);  // a history or image list of a large store
        http::read(sock, buffer, parser);
        auto res = parser.release();
        return ApiResponse{static_cast<int>(res.result_int()), std::move(res.body())};
    } catch (const std::exception&) {
        return std::nullopt;  // no socket, refused, or a broken reply: let the CLI say what is wrong
    }
}

std::string path_escape(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        bool keep = std::isalnum(c) || std::string("-._~/:@").find(static_cast<char>(c)) != std::string::npos;
        if (keep) out += static_cast<char>(c);
        else out += {'%', hex[c >> 4], hex[c & 15]};
    }
    return out;
}

}  // namespace pymatrix::detail
