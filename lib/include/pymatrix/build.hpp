// pymatrix/build.hpp: driving `docker buildx build` for each Build, reading back what was
// built, labelling and tagging it, and verifying the labels against the image.
#pragma once

#include "pymatrix/engine.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/plan.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pymatrix {

/// Options of a build run.
struct BuildOptions {
    std::filesystem::path log_dir = ".pymatrix/logs";  ///< one <build name>.log per build
    std::string builder;          ///< `docker buildx build --builder` ("" = current builder)
    /// `make -j` inside the build: passed as `--build-arg MAKE_JOBS=N` (0 = not passed: the
    /// Dockerfile then uses nproc, every core). The scheduler sets max(1, cores / parallel builds).
    unsigned make_jobs = 0;
    /// Called when a build reaches a new step: (build, "build 3/7", "RUN make -j2").
    std::function<void(const Build&, const std::string& stage, const std::string& step)> on_step;
    /// Called when BuildKit reports a step CACHED ("#N CACHED"): (build, "build-deps 2/2",
    /// "RUN apt-get update ..."). Shared stages show up here in every build of their group.
    std::function<void(const Build&, const std::string& stage, const std::string& step)> on_cached;
};

/// Outcome of one build.
struct BuildResult {
    std::string name;
    bool ok = false;
    bool cached = false;          ///< true when an image with this config hash already existed (nothing built)
    bool cancelled = false;       ///< stopped by request_cancel() (pymatrix/cancel.hpp); no tag of it is left
    bool started = false;         ///< false when the build never ran (cancelled or --fail-fast before its turn)
    std::string error;            ///< why it failed (one paragraph), "" when ok
    double seconds = 0;           ///< wall time of the whole build, seconds
    std::uint64_t size_bytes = 0; ///< image size as `docker image inspect` reports it, bytes
    std::string image_id;         ///< "sha256:..."
    std::vector<std::string> tags;
    std::filesystem::path log;    ///< the full log
    std::map<std::string, std::string> labels;
    std::map<std::string, double> stage_seconds;  ///< Dockerfile stage -> seconds BuildKit spent (cached steps: 0)
    std::vector<std::string> cached_steps;        ///< steps BuildKit found CACHED: "build-deps 2/2 RUN apt-get ..."
    std::string digest;           ///< --push: manifest digest "sha256:..." the registry serves for the tags, else ""
    std::string pushed;           ///< --push: "<repository>@sha256:..." (pull by digest), else ""
    bool in_registry = false;     ///< --push: found in the registry already (nothing built, pushed or pulled)
};

/// The --metadata-file document: {"file", "template_version", "builds": [...]}, each build as in
/// plan_to_json() plus status ("built", "cached", "failed"), error, image_id, digest, pushed,
/// size_bytes, duration_seconds, stage_seconds, cached_steps and log. `digest` is the manifest digest
/// the registry returned when the build was pushed (--push), else the image config digest (the
/// image id); `pushed` is "<repository>@sha256:..." after --push, else null. status is
/// "cancelled" for a build stopped by a cancel, "skipped" for one never started or without a result.
nlohmann::json metadata_json(const MatrixFile& file, const std::vector<Build>& builds,
                             const std::vector<BuildResult>& results);

/// The `docker buildx build` arguments (after "docker") that create the labelled image FROM
/// `unlabelled` with the build's final tags: --progress=plain --load [--builder B] --tag T...
/// --label KEY=VALUE... and "-" (a small tar context comes on stdin: Dockerfile, isa-features,
/// isa.json, copied to /usr/local/share/pymatrix/). Values are passed as
/// argv elements, byte for byte, never through a shell.
std::vector<std::string> labelling_args(const Build& build, const std::map<std::string, std::string>& labels,
                                        const std::string& builder);

/// Builds one image: streams the context (Dockerfile + verified tarball) into
/// `docker buildx build --load --network=host -` under a temporary unlabelled tag, reads the
/// build-info JSON back from the image, builds the labelled image (FROM the unlabelled one,
/// with --label and the final tags), checks that the io.pymatrix.config-args label equals
/// sysconfig's CONFIG_ARGS inside the tagged image, then removes the temporary tag. On any
/// failure the final tags are removed and the result says why (never throws for a build
/// failure). After request_cancel() (pymatrix/cancel.hpp) it starts no further step; a cancelled
/// build removes its temporary tag and every final tag carrying its config hash (no partly tagged
/// image) and returns `cancelled`. Throws EnvironmentError when the engine disappears.
BuildResult build_one(const Engine& engine, const Build& build, const BuildOptions& options);

/// The tests that failed in a PGO training run, from a build log (buildx plain progress,
/// "#N SECONDS " prefixes allowed). CPython's Makefile runs the profile task with `|| true`, so a
/// failing task would silently yield a non-PGO-trained image; pymatrix fails the build instead.
/// Reads regrtest's summary ("2 tests failed:" then indented names; "test_x failed" lines).
/// Returns the test names in order of appearance, without duplicates; empty when none failed.
std::vector<std::string> pgo_failed_tests(const std::string& log_text);

/// Build once: when the local store already holds the build's config-hash tag with a matching
/// io.pymatrix.config-hash label, or any image carrying that label under another repository
/// (e.g. the same matrix built before with another [defaults].repository or --repository),
/// returns a result marked `cached`, tagging the build's tags onto it where they are missing or
/// name another image; else std::nullopt. Throws EnvironmentError when the daemon cannot be asked.
std::optional<BuildResult> find_cached(const Engine& engine, const Build& build);

/// Fetches http(s) sources into the cache ($PYMATRIX_CACHE/sources, else ~/.cache/pymatrix/sources)
/// with curl and sets Build::python.source_path; then verifies every tarball's sha256, before
/// anything is built. A tarball's digest is remembered in $PYMATRIX_CACHE/sha256/ (else
/// ~/.cache/pymatrix/sha256/) against its path, device, inode, size, mtime and ctime, and
/// recomputed when any of them changes (the Dockerfile's `sha256sum -c` checks the tarball again
/// in every build). Throws ConfigError (exit 2)
/// naming the [pythons.KEY] table when a file is missing or its sha256 differs.
void verify_sources(std::vector<Build>& builds);

/// SHA-256 of a file as 64 lowercase hex digits (OpenSSL EVP). Throws Error if unreadable.
std::string sha256_file(const std::filesystem::path& path);

/// SHA-256 of bytes as 64 lowercase hex digits (OpenSSL EVP).
std::string sha256_hex(const std::string& bytes);

}  // namespace pymatrix
