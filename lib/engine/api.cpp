// The Docker Engine API over its unix socket (Boost.Beast), for the one read that must be fast:
// image inspection in `check`. Everything else goes through the docker CLI.
#include "api.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdlib>

namespace http = boost::beast::http;
using local_stream = boost::asio::local::stream_protocol;

namespace pymatrix::detail {

std::optional<std::string> engine_socket() {
    const char* context = std::getenv("DOCKER_CONTEXT");
    if (context && *context && std::string(context) != "default") return std::nullopt;
    const char* host = std::getenv("DOCKER_HOST");
    if (!host || !*host) return std::string("/var/run/docker.sock");
    std::string h(host);
    if (h.rfind("unix://", 0) == 0) return h.substr(7);
    return std::nullopt;  // tcp://, ssh://: the CLI knows how
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
        http::response<http::string_body> res;
        http::read(sock, buffer, res);
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
