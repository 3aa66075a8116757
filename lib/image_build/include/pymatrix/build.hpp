// pymatrix/build.hpp: one build through the builder seam (pymatrix/builder.hpp): build the image,
// read back what was built, label and tag it, verify the labels against the image, clean up.
#pragma once

#include "pymatrix/builder.hpp"
#include "pymatrix/hash.hpp"
#include "pymatrix/labels.hpp"
#include "pymatrix/plan.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pymatrix {

/// Options of a build run.
struct BuildOptions {
    std::filesystem::path log_dir = ".pymatrix/logs";  ///< one <build name>.log per build
    /// `make -j` inside the build: passed as `--build-arg MAKE_JOBS=N` (0 = not passed: the
    /// Dockerfile then uses nproc, every core). The scheduler sets max(1, cores / parallel builds).
    unsigned make_jobs = 0;
    /// `--network` of the build's RUN steps and shared stages: "default", "none", "host", or ""
    /// (not passed: the builder's default).
    std::string network;
    /// `--pull` on every build (the image build, the labelled build and the shared stages): the
    /// base is resolved in its registry afresh, as `docker buildx build --pull` does.
    bool pull = false;
    /// The run pushes (`build --push`). On a builder whose driver is not docker the labelled build
    /// then pushes straight from the builder (`--push`) instead of loading into the engine's store;
    /// on the docker driver it loads and push_build() pushes the local tags afterwards.
    bool push = false;
    /// Called when a build reaches a new step: (build, "build 3/7", "RUN make -j2").
    std::function<void(const Build&, const std::string& stage, const std::string& step)> on_step;
    /// Called when BuildKit reports a step CACHED ("#N CACHED"): (build, "build-deps 2/2",
    /// "RUN apt-get update ..."). Shared stages show up here in every build of their group.
    std::function<void(const Build&, const std::string& stage, const std::string& step)> on_cached;
};

/// How a build ended. Exactly one holds; the words are those of the summary, the progress lines
/// and the --metadata-file `status` (to_string()).
enum class BuildOutcome {
    skipped,    ///< never started: a cancel or --fail-fast before its turn, or no result at all
    built,      ///< built by this run, labelled, verified and tagged
    cached,     ///< an image with this config hash was there already (local store or registry)
    failed,     ///< did not yield a verified image (its shared stage, the build, the labels or the
                ///< push failed); no tag of it is left, but for a refused push's local tags
    cancelled,  ///< stopped while running by a cancel request; no tag of it is left
};

/// "skipped", "built", "cached", "failed", "cancelled". Throws nothing.
const char* to_string(BuildOutcome outcome);

/// Where a build's image stands against its registry (`build --push`).
enum class PushState {
    not_pushed,   ///< no --push, or the build did not get that far
    pushed,       ///< this run pushed every tag; BuildResult::digest is the manifest digest
    in_registry,  ///< the registry held the config-hash tag already: nothing built, pushed or pulled
};

/// Outcome of one build.
struct BuildResult {
    std::string name;
    BuildOutcome outcome = BuildOutcome::skipped;
    PushState push = PushState::not_pushed;
    std::string error;            ///< why it failed or was stopped (one paragraph), "" when ok
    double seconds = 0;           ///< wall time of the whole build, seconds
    std::uint64_t size_bytes = 0; ///< image size as `docker image inspect` reports it, bytes
    std::string image_id;         ///< "sha256:..."
    std::vector<std::string> tags;
    std::filesystem::path log;    ///< the full log; empty when nothing ran (skipped, cached, ...)
    std::map<std::string, std::string> labels;
    std::map<std::string, double> stage_seconds;  ///< Dockerfile stage -> seconds BuildKit spent (cached steps: 0)
    std::vector<std::string> cached_steps;        ///< steps BuildKit found CACHED: "build-deps 2/2 RUN apt-get ..."
    std::string digest;           ///< --push: manifest digest "sha256:..." the registry serves for the tags, else ""
    std::string pushed;           ///< --push: "<repository>@sha256:..." (pull by digest), else ""
    std::string node;             ///< the build node that built it or holds it (run_builds over
                                  ///< several nodes: its --builder name), "" = the only one

    /// A verified image carries the build's tags: built or cached.
    bool ok() const { return outcome == BuildOutcome::built || outcome == BuildOutcome::cached; }
    /// Stopped by a cancel request, whether it had started (cancelled) or not (skipped).
    bool stopped() const { return outcome == BuildOutcome::cancelled || outcome == BuildOutcome::skipped; }
    /// A build step ran for it (it has a log): built, failed or cancelled while running.
    bool ran() const { return !log.empty(); }
};

/// The --metadata-file document: {"file", "template_version", "builds": [...]}, each build as in
/// plan_to_json() plus status (to_string() of its outcome: "built", "cached", "failed",
/// "cancelled", "skipped"), error, image_id, digest, pushed, size_bytes, duration_seconds,
/// stage_seconds, cached_steps, log and node (the --builder name of the node that built or holds
/// it; null with a single unnamed node). `digest` is the manifest digest the registry returned
/// when the build was pushed (--push), else the image config digest (the image id); `pushed` is
/// "<repository>@sha256:..." after --push, else null. A build without a result is "skipped".
nlohmann::json metadata_json(const MatrixFile& file, const std::vector<Build>& builds,
                             const std::vector<BuildResult>& results);

/// Where a build's full log goes: `<log_dir>/<build name>.log`. Throws nothing.
std::filesystem::path build_log_path(const std::filesystem::path& log_dir, const std::string& build_name);

/// The labelled build's tags and labels: the build's final tags and `labels` (build_one() adds
/// the output, the image build's network, --pull and MAKE_JOBS).
BuildRequest labelling_request(const Build& build, const std::map<std::string, std::string>& labels);

/// Builds one image in five steps, each logged to <log_dir>/<name>.log:
/// (1) the image build of the streamed context (Dockerfile + verified tarball) with
///     BuildOptions::network, pull and make_jobs, to target `pymatrix-build-info`
///     (write_build_info_context): only build-info.json leaves the builder, through a local output
///     into <log_dir>/<name>.build-info/; the image stays in the builder's cache;
/// (2) with PGO, the training run's failures read from the log (pgo_failed_tests);
/// (3) that build-info.json parsed;
/// (4) the labelled image (write_labelled_context: the same stages, all cache hits, plus the ISA
///     record) with the final tags and the labels: `--load` into the engine's store, or with
///     BuildOptions::push on a builder whose driver is not docker, `--push` from the builder (the
///     digest read from buildx's --metadata-file <log_dir>/<name>.metadata.json; the result is
///     then PushState::pushed);
/// (5) the io.pymatrix.config-args label compared with sysconfig's CONFIG_ARGS: for a loaded
///     image, run by its python3 with PYMATRIX_SKIP_ISA_CHECK=1 (the launcher in python3's place
///     skips its CPU check: the build host already ran that interpreter in the build, and a host
///     whose cpuinfo hides a flag, as VMs do with `abm`, would be refused); for a pushed one, the
///     labels the registry serves for every tag against build-info's config_args, and the served
///     digest against the pushed one.
/// No image passes through the local store between the steps, so that docker-container, remote
/// and kubernetes builders (which see no local store) run the same steps; no temporary tag exists.
/// A build that fails after (4) loses its final tags. Never throws for a build failure: the result
/// says why (`failed`). After request_cancel() (pymatrix/cancel.hpp) no further step starts; a
/// build stopped while running removes every final tag carrying its config hash and returns
/// `cancelled`; one not yet started returns `skipped` without a log. Throws EnvironmentError when
/// the engine disappears or buildx does not know the builder.
BuildResult build_one(const Builder& builder, const Build& build, const BuildOptions& options);

/// The commands build_one() runs for `build` through `builder`, argv[0] first, in order, for
/// `build --dry-run`: the image build, the labelled build (its labels shown as
/// io.pymatrix.*=<read from build-info.json>: they come from the built image), then, unless the
/// labelled build pushes from the builder, the label check run and with BuildOptions::push one
/// push per tag.
/// Runs nothing; asks `builder` for its driver (BuilderDriver), which may throw EnvironmentError.
std::vector<std::vector<std::string>> build_commands(const Builder& builder, const Build& build,
                                                    const BuildOptions& options);

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
std::optional<BuildResult> find_cached(const Builder& builder, const Build& build);

/// Fetches http(s) sources into the cache ($PYMATRIX_CACHE/sources, else ~/.cache/pymatrix/sources)
/// with curl and sets Build::python.source_path; then verifies every tarball's sha256, before
/// anything is built. A tarball's digest is remembered in $PYMATRIX_CACHE/sha256/ (else
/// ~/.cache/pymatrix/sha256/) against its path, device, inode, size, mtime and ctime, and
/// recomputed when any of them changes (the Dockerfile's `sha256sum -c` checks the tarball again
/// in every build). Throws ConfigError (exit 2)
/// naming the [pythons.KEY] table when a file is missing or its sha256 differs.
void verify_sources(std::vector<Build>& builds);

}  // namespace pymatrix
