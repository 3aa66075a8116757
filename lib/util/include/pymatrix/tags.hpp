// pymatrix/tags.hpp: image reference rules of the OCI distribution spec.
// Tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. Repository path components: [a-z0-9]+([._-][a-z0-9]+)*.
#pragma once

#include <string>
#include <vector>

namespace pymatrix {

/// Result of sanitize_tag(): the valid tag and, when it had to change, why.
struct SanitizedTag {
    std::string tag;
    std::vector<std::string> changes;  ///< human-readable, e.g. "'+' replaced by '-'"; empty if unchanged
};

/// True when `tag` matches the OCI tag grammar [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_valid_tag(const std::string& tag);

/// Makes `wanted` a valid tag: every character outside [A-Za-z0-9_.-] becomes '-', a leading
/// '.' or '-' becomes '_', and a result over 128 characters is cut so that `keep_suffix`
/// (e.g. "-<hash>") still ends it. Returns the tag and the list of changes (empty when valid).
/// Throws nothing; an empty `wanted` yields "_".
SanitizedTag sanitize_tag(const std::string& wanted, const std::string& keep_suffix = "");

/// Checks an image repository "[HOST[:PORT]/]COMPONENT(/COMPONENT)*"; returns "" when valid,
/// else the reason (e.g. "repository path components must be lowercase: 'Pymatrix'").
/// HOST is recognised as in docker: the first component contains '.' or ':' or is "localhost".
std::string repository_problem(const std::string& repository);

/// Checks a `docker buildx build --network` mode: "" when it is one of BuildKit's "default",
/// "none" or "host", else the reason naming them. Throws nothing.
std::string network_problem(const std::string& mode);

/// Whether a repository or reference names its registry host: its first path component contains
/// '.' or ':' or is "localhost" (the docker reference grammar, distribution/reference):
/// "127.0.0.1:5000/x:tag" and "docker.io/library/python" do, "pymatrix/cpython:tag" and
/// "python:3" do not. Throws nothing.
bool names_registry_host(const std::string& reference);

/// The registry host of a repository or reference, as docker resolves it: the first path
/// component when it contains '.' or ':' or is "localhost" ("127.0.0.1:5000/team/cpython" ->
/// "127.0.0.1:5000"), else "docker.io". Throws nothing.
std::string registry_host(const std::string& repository);

/// The repository part of a reference "REPO:TAG" or "REPO@sha256:..." (a ':' inside the host's
/// port is kept): "127.0.0.1:5000/x:3.13.5-default" -> "127.0.0.1:5000/x". Throws nothing.
std::string repository_of(const std::string& reference);

}  // namespace pymatrix
