// Running a matrix: build once, shared stages first, then up to N builds at a time with
// `make -j` split between them; keep going or fail fast; stop on a cancel request.
#include "pymatrix/cancel.hpp"
#include "pymatrix/registry.hpp"
#include "pymatrix/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace pymatrix {
namespace {

/// Calls work(0..count-1) on up to `jobs` threads, each index once, in order of start. The first
/// exception stops the start of further items and is rethrown after every thread has finished.
void run_parallel(std::size_t count, unsigned jobs, const std::function<void(std::size_t)>& work) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mu;
    auto worker = [&] {
        for (;;) {
            {
                std::lock_guard<std::mutex> lock(error_mu);
                if (error) return;
            }
            std::size_t i = next++;
            if (i >= count) return;
            try {
                work(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mu);
                if (!error) error = std::current_exception();
            }
        }
    };
    std::vector<std::thread> threads;
    unsigned n = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, jobs), count));
    for (unsigned t = 1; t < n; ++t) threads.emplace_back(worker);
    if (count > 0) worker();
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

BuildResult not_started(const Build& b, std::string why, BuildOutcome outcome) {
    BuildResult r;
    r.name = b.name;
    r.outcome = outcome;
    r.error = std::move(why);
    return r;
}

BuildResult skipped(const Build& b) { return not_started(b, "cancelled before it started", BuildOutcome::skipped); }

}  // namespace

unsigned make_jobs_for(unsigned cores, unsigned parallel) {
    return std::max(1u, std::max(1u, cores) / std::max(1u, parallel));
}

std::filesystem::path shared_stage_log_path(const std::filesystem::path& log_dir, std::size_t index) {
    return log_dir / fmt::format("shared-{}.log", index);
}

std::string status(const BuildResult& r) { return to_string(r.outcome); }

ScheduleResult run_builds(const Builder& builder, const std::vector<Build>& builds, const ScheduleOptions& options) {
    ScheduleResult out;
    out.results.resize(builds.size());
    std::recursive_mutex callback_mu;  // callbacks one at a time, whatever thread calls them
    auto serial = [&](auto&& f) {
        std::lock_guard<std::recursive_mutex> lock(callback_mu);
        f();
    };
    auto build_done = [&](std::size_t i, const BuildResult& r) {
        out.results[i] = r;
        if (options.push) push_build(builder, builds[i], out.results[i]);  // no-op unless ok and not in the registry
        if (options.on_build_done) serial([&] { options.on_build_done(i, out.results[i]); });
    };

    // 1. build once: a config-hash tag already in the registry (--push) or the store is the result
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < builds.size(); ++i) {
        std::optional<BuildResult> found;
        try {
            if (!cancel_requested() && options.push) found = find_in_registry(builder, builds[i]);
            if (!cancel_requested() && !found) found = find_cached(builder, builds[i]);
        } catch (const EnvironmentError&) {
            if (!cancel_requested()) throw;  // else: a lookup the cancel interrupted
        }
        if (cancel_requested()) build_done(i, skipped(builds[i]));
        else if (found) build_done(i, *found);
        else todo.push_back(i);
    }

    const unsigned jobs = std::max(1u, options.jobs);
    const unsigned cores = options.cores ? options.cores : std::max(1u, std::thread::hardware_concurrency());
    out.make_jobs = make_jobs_for(cores, static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(1, todo.size()))));
    BuildOptions bopt = options.build;
    bopt.make_jobs = out.make_jobs;
    if (options.build.on_step)
        bopt.on_step = [&](const Build& b, const std::string& stage, const std::string& step) {
            serial([&] { options.build.on_step(b, stage, step); });
        };
    if (options.build.on_cached)
        bopt.on_cached = [&](const Build& b, const std::string& stage, const std::string& step) {
            serial([&] { options.build.on_cached(b, stage, step); });
        };

    // 2. shared stages, once per group of two or more builds left to run
    std::vector<Build> left;
    for (auto i : todo) left.push_back(builds[i]);
    std::vector<std::size_t> group_of(builds.size(), SIZE_MAX);  // build index -> index into out.stages
    for (auto& g : shared_stages(left)) {
        for (auto& k : g.builds) k = todo[k];  // indices into `builds`
        if (g.builds.size() < 2) continue;     // nothing to share
        for (auto k : g.builds) group_of[k] = out.stages.size();
        out.stages.push_back(std::move(g));
    }
    out.stage_results.resize(out.stages.size());
    run_parallel(out.stages.size(), jobs, [&](std::size_t k) {
        const SharedStage& g = out.stages[k];
        if (cancel_requested()) {
            out.stage_results[k].cancelled = true;
            out.stage_results[k].error = "cancelled before it started";
            return;
        }
        if (options.on_stage_start) serial([&] { options.on_stage_start(k, g); });
        out.stage_results[k] = build_shared_stage(builder, builds[g.builds.front()], g, k + 1, bopt);
        if (options.on_stage_done) serial([&] { options.on_stage_done(k, g, out.stage_results[k]); });
    });

    // 3. the builds
    std::vector<std::size_t> runnable;
    for (auto i : todo) {
        std::size_t k = group_of[i];
        if (k == SIZE_MAX || out.stage_results[k].ok) runnable.push_back(i);
        else if (out.stage_results[k].cancelled) build_done(i, skipped(builds[i]));
        else build_done(i, not_started(builds[i], "shared stage failed: " + out.stage_results[k].error, BuildOutcome::failed));
    }
    run_parallel(runnable.size(), jobs, [&](std::size_t k) {
        std::size_t i = runnable[k];
        if (cancel_requested()) {
            build_done(i, skipped(builds[i]));
            return;
        }
        if (options.on_build_start) serial([&] { options.on_build_start(i); });
        build_done(i, build_one(builder, builds[i], bopt));
        // after push_build: a refused push counts as a failure
        if (out.results[i].outcome == BuildOutcome::failed && options.fail_fast) request_cancel(CancelReason::fail_fast);
    });
    return out;
}

}  // namespace pymatrix
