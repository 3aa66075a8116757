// pymatrix/registry.hpp: the registry side of `pymatrix build --push`: looking a build's
// config-hash tag up in a registry without pulling anything (`docker buildx imagetools inspect`),
// and pushing a build's tags (`docker push`). Throws EnvironmentError (exit 5) naming the
// registry when it does not answer; a failed push of one build is a failed build (exit 3).
#pragma once

#include "pymatrix/build.hpp"
#include "pymatrix/engine.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pymatrix {

/// What a registry holds under one reference, read without pulling.
struct RegistryImage {
    std::string reference;                       ///< as asked, "HOST:PORT/PATH:TAG"
    std::string digest;                          ///< manifest digest "sha256:<64 hex>" the registry serves
    std::map<std::string, std::string> labels;   ///< the image config's labels
};

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

/// `docker buildx imagetools inspect --format '{{json .}}' REF`: the manifest digest and labels
/// of REF in its registry; nothing is pulled and the local store is not touched. Returns
/// std::nullopt when the registry answers that REF does not exist. Throws EnvironmentError
/// (exit 5) with one line naming the registry host when the registry cannot be asked
/// (connection refused, DNS failure, TLS or authentication problem).
std::optional<RegistryImage> inspect_remote(const Engine& engine, const std::string& reference);

/// Build once against the registry (--push): when the registry holds the build's config-hash
/// tag (Build::tags.back()) with an io.pymatrix.config-hash label equal to Build::config_hash,
/// returns a result marked `cached`, with `digest` and `pushed` set, without building or pulling.
/// The readable tag (Build::tags.front()) is made to name the same image when it is missing or
/// names another one: `docker push` of that tag when the image is in the local store (only the
/// manifest travels), else `docker buildx imagetools create` (the tag then names a one-entry
/// index of the same image manifest). Returns std::nullopt when the hash tag is absent or its
/// label differs (the caller then looks in the local store, or builds). Throws EnvironmentError
/// when the registry does not answer.
std::optional<BuildResult> find_in_registry(const Engine& engine, const Build& build);

/// Pushes every tag of a built or locally cached build (`docker push REF`, one per tag, argv
/// only) and records the manifest digest the registry returned: result.digest = "sha256:...",
/// result.pushed = "<repository>@sha256:...". Does nothing when `result` is not ok or was
/// already found in the registry. A push the registry refuses marks the result failed
/// (ok = false, error says why: exit 3 for the run). Throws EnvironmentError (exit 5) naming
/// the registry when it does not answer.
void push_build(const Engine& engine, const Build& build, BuildResult& result);

/// --repository: makes every build use `repository` instead of [defaults].repository
/// (Build::repository and the repository part of every tag; tags themselves and the config
/// hash do not change). Validated as the TOML value is (repository_problem()): throws
/// ConfigError (exit 2) naming the flag `option` ("--repository") otherwise.
void override_repository(std::vector<Build>& builds, const std::string& repository,
                         const std::string& option = "--repository");

}  // namespace pymatrix
