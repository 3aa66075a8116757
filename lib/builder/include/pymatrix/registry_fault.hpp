// pymatrix/registry_fault.hpp: why a registry did not give an image, read from the words of the
// tool that asked it. BuildKit and buildx resolve references with containerd's registry client
// (remotes/docker), whatever the builder's driver; its messages name the HTTP status of the
// distribution API (OCI distribution spec, "Error codes"): 404 MANIFEST_UNKNOWN / NAME_UNKNOWN,
// 401 UNAUTHORIZED, 403 DENIED, 429 TOOMANYREQUESTS, 5xx. Pure functions; nothing is run here.
#pragma once

#include <string>
#include <string_view>

namespace pymatrix {

/// The registry's answer, as a kind. Only `not_found` means the registry does not hold the
/// reference; every other kind says nothing about whether it exists.
enum class RegistryFault {
    not_found,      ///< 404: the registry answered that it holds no such repository or tag
    unauthorized,   ///< 401, or "pull access denied": credentials missing or refused
    forbidden,      ///< 403: the credentials may not read (or write) it
    rate_limited,   ///< 429 Too Many Requests (Docker Hub's pull limit): transient
    server_error,   ///< 5xx: the registry or a proxy in front of it failed: transient
    unreachable,    ///< no HTTP answer: connection refused, DNS, timeout, TLS: transient
    blob_unknown,   ///< a pushed manifest names a blob the registry has not linked yet
                    ///< (MANIFEST_BLOB_UNKNOWN): two pushes of the same layers racing, as two CI
                    ///< jobs do (moby/moby#22854); transient, the next push finds the blobs
    other,          ///< anything else the tool said
};

/// Classifies one message (a tool's stderr line or its whole output). Throws nothing.
/// Examples (buildx 0.13, BuildKit in dockerd 20.10):
///   "...failed to create LLB definition: 127.0.0.1:5000/x:y: not found"        -> not_found
///   "pulling from host H failed with status code [manifests y]: 429 Too Many Requests"
///                                                                               -> rate_limited
///   "pull access denied, repository does not exist or may require authorization"
///                                                                               -> unauthorized
///   "dial tcp 127.0.0.1:5999: connect: connection refused"                      -> unreachable
///   "manifest blob unknown: blob unknown to registry"                            -> blob_unknown
RegistryFault classify_registry_fault(std::string_view message);

/// True for the kinds a later retry may cure: rate_limited, server_error, unreachable, blob_unknown.
bool is_transient(RegistryFault fault);

/// A few words for messages: "not found", "unauthorized (401: credentials missing or refused)",
/// "forbidden (403)", "rate-limited (429 Too Many Requests; transient, retry later)", "server
/// error (5xx; transient, retry later)", "unreachable (transient, retry later)", "a blob of the
/// manifest unknown to the registry (a concurrent push of the same layers; transient)", "refused".
std::string describe(RegistryFault fault);

}  // namespace pymatrix
