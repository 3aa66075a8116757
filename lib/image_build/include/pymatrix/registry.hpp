// pymatrix/registry.hpp: the registry side of `pymatrix build --push`: looking a build's
// config-hash tag up in its registry without pulling anything, and pushing a build's tags, both
// through the builder seam (pymatrix/builder.hpp). Throws EnvironmentError (exit 5) naming the
// registry when it does not answer; a failed push of one build is a failed build (exit 3).
#pragma once

#include "pymatrix/build.hpp"
#include "pymatrix/builder.hpp"
#include "pymatrix/tags.hpp"

#include <optional>

namespace pymatrix {

/// Build once against the registry (--push): when the registry holds the build's config-hash
/// tag (Build::tags.back()) with an io.pymatrix.config-hash label equal to Build::config_hash,
/// returns a result marked `cached` and PushState::in_registry, with `digest` and `pushed` set,
/// without building or pulling. The readable tag (Build::tags.front()) is made to name the same
/// image when it is missing or names another one: a push of that tag when the image is in the
/// local store (only the manifest travels), else Builder::tag_remote (the tag then names a
/// one-entry index of the same image manifest). Returns std::nullopt when the hash tag is absent
/// or its label differs (the caller then looks in the local store, or builds). Throws
/// EnvironmentError when the registry does not answer.
std::optional<BuildResult> find_in_registry(const Builder& builder, const Build& build);

/// Pushes every tag of a built or locally cached build (Builder::push, one per tag) and records
/// the manifest digest the registry returned: result.digest = "sha256:...", result.pushed =
/// "<repository>@sha256:...", result.push = PushState::pushed. Does nothing when `result` is not
/// ok, was found in the registry or was pushed by the builder (build_one). A push that fails
/// with a transient fault (is_transient(): 429, 5xx, no answer, or a manifest blob unknown to the
/// registry, which two concurrent pushes of the same layers cause: moby/moby#22854) is tried
/// again after 1 s and 3 s (push_attempts in all; docker push retries layer uploads, never the
/// manifest). A push the registry refuses, or one still failing after the last attempt, marks
/// the result failed (error names the registry host, the fault and the attempts: exit 3 for the
/// run, the other builds go on); a push stopped by a cancel request marks
/// it cancelled; either way nothing is recorded as pushed and the local tags stay, so that a
/// re-run pushes the image without building it. Throws nothing.
void push_build(const Builder& builder, const Build& build, BuildResult& result);

/// How many times push_build() tries one tag when its push fails with a transient fault.
inline constexpr int push_attempts = 3;

}  // namespace pymatrix
