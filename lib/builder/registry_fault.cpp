// Registry faults from the words of containerd's registry client, as buildx and BuildKit print them.
#include "pymatrix/registry_fault.hpp"

#include <regex>

namespace pymatrix {
namespace {

bool has(std::string_view text, std::string_view needle) { return text.find(needle) != std::string_view::npos; }

bool has_any(std::string_view text, std::initializer_list<std::string_view> needles) {
    for (auto n : needles)
        if (has(text, n)) return true;
    return false;
}

}  // namespace

RegistryFault classify_registry_fault(std::string_view message) {
    // the status words first: "...: 429 Too Many Requests" may follow a reference that reads
    // like anything; a 5xx is a status code followed by its reason phrase
    if (has_any(message, {"429 Too Many Requests", "toomanyrequests", "TOOMANYREQUESTS"})) return RegistryFault::rate_limited;
    static const std::regex server(R"((^|[^0-9])5[0-9][0-9] [A-Z][a-z]+)");
    const std::string text(message);
    if (std::regex_search(text, server)) return RegistryFault::server_error;
    if (has_any(message, {"401 Unauthorized", "pull access denied", "authorization failed", "failed to authorize",
                          "UNAUTHORIZED", "unauthorized: ", "authentication required"}))
        return RegistryFault::unauthorized;
    if (has_any(message, {"403 Forbidden", "DENIED", "denied: "})) return RegistryFault::forbidden;
    if (has_any(message, {"connection refused", "no such host", "i/o timeout", "dial tcp", "network is unreachable",
                          "no route to host", "context deadline exceeded", "TLS handshake timeout",
                          "server gave HTTP response to HTTPS", "connection reset by peer", ": EOF"}))
        return RegistryFault::unreachable;
    // before "not found": the distribution API's 404 for a manifest's missing blob is no absent image
    if (has_any(message, {"blob unknown", "BLOB_UNKNOWN"})) return RegistryFault::blob_unknown;
    if (has_any(message, {": not found", "MANIFEST_UNKNOWN", "NAME_UNKNOWN", "manifest unknown", "404 Not Found"}))
        return RegistryFault::not_found;
    return RegistryFault::other;
}

bool is_transient(RegistryFault fault) {
    return fault == RegistryFault::rate_limited || fault == RegistryFault::server_error ||
           fault == RegistryFault::unreachable || fault == RegistryFault::blob_unknown;
}

std::string describe(RegistryFault fault) {
    switch (fault) {
        case RegistryFault::not_found: return "not found";
        case RegistryFault::unauthorized: return "unauthorized (401: credentials missing or refused; docker login?)";
        case RegistryFault::forbidden: return "forbidden (403: these credentials may not use it)";
        case RegistryFault::rate_limited: return "rate-limited (429 Too Many Requests; transient, retry later)";
        case RegistryFault::server_error: return "registry server error (5xx; transient, retry later)";
        case RegistryFault::unreachable: return "registry unreachable (transient, retry later)";
        case RegistryFault::blob_unknown:
            return "a blob of the manifest unknown to the registry (a concurrent push of the same layers; transient)";
        case RegistryFault::other: break;
    }
    return "refused";
}

}  // namespace pymatrix
