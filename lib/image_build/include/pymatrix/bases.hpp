// pymatrix/bases.hpp: are the base images there? Asked once per base image, through the builder,
// before any CPython build starts, so that a typo, a missing login or a rate limit gives one
// clear error instead of a failed build per profile.
#pragma once

#include "pymatrix/builder.hpp"
#include "pymatrix/plan.hpp"
#include "pymatrix/registry_fault.hpp"

#include <string>
#include <vector>

namespace pymatrix {

/// A base image the builder could not get.
struct BaseImageProblem {
    std::string base_image;   ///< as the builds name it, e.g. "debian:bookworm-slim"
    RegistryFault fault = RegistryFault::other;
    std::string detail;       ///< the builder's own reason, BuildKit's wrappers taken off

    /// "base image 'X' cannot be pulled: <describe(fault)>: <detail>"; a transient fault is worded
    /// as such, and only not_found says the image does not exist.
    std::string message() const;
};

/// The distinct base images of `builds`, in the order the builds first name them.
std::vector<std::string> distinct_base_images(const std::vector<Build>& builds);

/// The request of one base question: output to the builder's cache only (`--output
/// type=cacheonly`), `--pull` when `pull`, no tags, no network (no RUN step).
BuildRequest base_probe_request(bool pull);

/// Asks the builder for every distinct base image of `builds`, all at once: one build of a
/// one-line Dockerfile `FROM <base>` each (render's write_base_probe_context), which the builder
/// resolves exactly as the real builds will, with its own registry mirrors and credentials, from
/// its cache unless `pull`. Returns one problem per base it could not get, in the order the
/// builds first name them; empty when every base is there. Throws EnvironmentError when the
/// builder cannot be started at all; a cancel request interrupts the questions (the problems
/// then say "cancelled").
std::vector<BaseImageProblem> check_base_images(const Builder& builder, const std::vector<Build>& builds, bool pull);

}  // namespace pymatrix
