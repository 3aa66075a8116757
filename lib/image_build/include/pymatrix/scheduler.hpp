// pymatrix/scheduler.hpp: running a matrix of builds: build once (cached builds are skipped),
// shared stages built once per group, up to N builds in parallel with `make -j` split between
// them, keep going or fail fast, and cancellation (pymatrix/cancel.hpp). Build failures are
// results, not exceptions; throws EnvironmentError when the engine disappears.
#pragma once

#include "pymatrix/build.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace pymatrix {

/// Builds that share their `build-deps` and `source` Dockerfile stages: builds whose
/// shared_stages_text() is the same (same base image, CPython tarball and sha256, toolchain and
/// extra build packages), so BuildKit runs those stages once and every build of the group finds
/// them CACHED.
struct SharedStage {
    std::string base_image;                   ///< FROM of the stages
    std::string source_name;                  ///< tarball name in the context, e.g. "Python-3.13.5.tar.xz"
    std::string source_sha256;                ///< its sha256 (64 hex)
    std::vector<std::string> build_packages;  ///< the profiles' extra Debian packages (same for all)
    std::vector<std::string> toolchain_packages;  ///< what the rules table adds, e.g. "bolt-19" (same for all)
    std::vector<std::size_t> builds;          ///< indices into the build list, in matrix order
    std::string node;                         ///< the build node it is built on (run_builds over
                                              ///< several nodes: one entry per group and node), "" = the only one
    /// "debian:bookworm-slim, Python-3.13.5.tar.xz" (+ ", packages: a b" when there are build
    /// packages, then + ", toolchain: c d" when there are toolchain packages, then + ", on node N"
    /// when `node` is set).
    std::string describe() const;
};

/// Groups `builds` by shared_stages_text() (render.hpp): builds in one group render byte-identical
/// build-deps and source stages. Groups are in order of first appearance, builds in matrix order.
/// A packaged python's build (Python::is_packaged()) has no such stages and is in no group.
/// Throws nothing for builds that came from expand().
std::vector<SharedStage> shared_stages(const std::vector<Build>& builds);

/// Outcome of building one group's shared stages.
struct SharedStageResult {
    bool ok = false;
    bool cached = false;      ///< every step was already in BuildKit's cache (nothing ran)
    bool cancelled = false;   ///< stopped by request_cancel()
    double seconds = 0;       ///< wall time, seconds
    int steps_run = 0;        ///< steps BuildKit executed (not CACHED)
    std::string error;        ///< why it failed, "" when ok
    std::filesystem::path log;///< <log dir>/shared-<n>.log
};

/// Where the log of the `index`-th shared stage goes: `<log_dir>/shared-<index>.log`. Throws nothing.
std::filesystem::path shared_stage_log_path(const std::filesystem::path& log_dir, std::size_t index);

/// The build of a group's shared stages: target `source`, BuildOutput::cache_only, the options'
/// network; its context is the group's first build's. Throws nothing.
BuildRequest shared_stage_request(const BuildOptions& options);

/// Builds the `source` target (build-deps, then source) of `stage` with the context of its
/// first build: a build of target `source` with BuildOutput::cache_only (nothing is tagged or
/// loaded: the steps land in the builder's cache, where the builds find them). `index` numbers
/// the log file (shared_stage_log_path). Throws EnvironmentError when the engine vanished.
SharedStageResult build_shared_stage(const Builder& builder, const Build& first, const SharedStage& stage,
                                     std::size_t index, const BuildOptions& options);

/// `make -j` for each of `parallel` builds running at once on `cores` cores: max(1, cores / parallel),
/// so the builds together use every core without oversubscribing them. `parallel` 0 counts as 1.
unsigned make_jobs_for(unsigned cores, unsigned parallel);

/// Options of run_builds().
struct ScheduleOptions {
    unsigned jobs = 1;          ///< builds run at once (`--jobs`); 0 counts as 1
    bool fail_fast = false;     ///< after the first failure: start no more builds, cancel running ones
    bool push = false;          ///< --push: look each build up in its registry first (find_in_registry:
                                ///< a hit is `cached`, nothing built), push every tag of each
                                ///< successful build (push_build; a refused push fails the build,
                                ///< a cancel during it cancels the build)
    unsigned cores = 0;         ///< cores to split between builds; 0 = std::thread::hardware_concurrency()
    BuildOptions build;         ///< log dir, network, on_step/on_cached (called from worker threads);
                                ///< make_jobs is set by the scheduler
    /// Called (from any thread, one call at a time) as things happen: a group's shared stage starts
    /// (`stage` index into ScheduleResult::stages) or finishes, a build starts (index into the
    /// build list) or finishes.
    std::function<void(std::size_t stage, const SharedStage&)> on_stage_start;
    std::function<void(std::size_t stage, const SharedStage&, const SharedStageResult&)> on_stage_done;
    std::function<void(std::size_t build)> on_build_start;
    std::function<void(std::size_t build, const BuildResult&)> on_build_done;
    /// Several nodes: `node` stopped answering while it built `build` (its reason in `why`), which
    /// moves to another node. No further build starts on that node.
    std::function<void(const std::string& node, const std::string& why, const std::string& build)> on_node_lost;
};

/// A build node: a builder (an engine through a docker context, or a buildx builder) and the name
/// the summary and --metadata-file give it.
struct BuildNode {
    std::string name;         ///< as given to `build --builder`, "" for the only, unnamed one
    const Builder* builder;   ///< not owned; used from several threads at once
};

/// What run_builds() did.
struct ScheduleResult {
    std::vector<BuildResult> results;           ///< one per build, in matrix order
    std::vector<SharedStage> stages;            ///< the groups that had at least one build to run
    std::vector<SharedStageResult> stage_results;  ///< parallel to `stages`
    unsigned make_jobs = 0;                     ///< `make -j` each build got
};

/// to_string(result.outcome): "built", "cached", "failed", "cancelled" (stopped while running)
/// or "skipped" (never started: cancelled or --fail-fast before its turn). Throws nothing.
std::string status(const BuildResult& result);

/// Runs every build through `builder`: first (with `push`) find_in_registry(), then find_cached()
/// for each (cached builds are done; with `push`, a locally cached build is pushed), then the shared
/// stages of the groups with builds left, then those builds, at most `jobs` at a time, each
/// with `make -j make_jobs_for(cores, min(jobs, builds left))`. A failed shared stage fails its
/// group's builds without starting them. Keeps going after a failure unless `fail_fast`, which
/// calls request_cancel(CancelReason::fail_fast). After request_cancel() (a signal, or fail-fast)
/// no build starts; running ones stop and clean up (build_one); a registry lookup stopped by the
/// cancel leaves its build `skipped`. Throws EnvironmentError when the engine disappears (after
/// the running builds have stopped).
ScheduleResult run_builds(const Builder& builder, const std::vector<Build>& builds, const ScheduleOptions& options);

/// run_builds() over several build nodes (`build --builder A --builder B`). Build once looks in the
/// registry (through the first node) and then in each node's store; every node builds the shared
/// stages of the groups left (SharedStage::node says which; one entry per group and node); then
/// each node takes builds from one queue in matrix order, at most `jobs` at a time, with
/// `make -j make_jobs_for(its host_cpus(), ...)`, only builds whose shared stage it has. With
/// `push`, a build is pushed from the node that built it. BuildResult::node names the node. With
/// one node this is run_builds(builder, ...), whose exceptions it keeps. With several, a node that
/// stops answering (an EnvironmentError, or a failed build after which `require_ready()` throws)
/// takes no further build, and its build moves once to another node that can take it
/// (on_node_lost), else fails naming the node; the other nodes go on. Throws std::logic_error for
/// an empty `nodes`; EnvironmentError as run_builds() with one node.
ScheduleResult run_builds(const std::vector<BuildNode>& nodes, const std::vector<Build>& builds,
                          const ScheduleOptions& options);

}  // namespace pymatrix
