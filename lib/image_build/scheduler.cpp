// Running a matrix: build once, shared stages first, then up to N builds at a time with
// `make -j` split between them; keep going or fail fast; stop on a cancel request.
#include "pymatrix/cancel.hpp"
#include "pymatrix/registry.hpp"
#include "pymatrix/scheduler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
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
    return run_builds(std::vector<BuildNode>{{"", &builder}}, builds, options);
}

ScheduleResult run_builds(const std::vector<BuildNode>& nodes, const std::vector<Build>& builds, const ScheduleOptions& options) {
    if (nodes.empty()) throw std::logic_error("run_builds: no build node");
    ScheduleResult out;
    out.results.resize(builds.size());
    const bool several = nodes.size() > 1;
    std::recursive_mutex callback_mu;  // callbacks one at a time, whatever thread calls them
    auto serial = [&](auto&& f) {
        std::lock_guard<std::recursive_mutex> lock(callback_mu);
        f();
    };
    auto build_done = [&](std::size_t i, const BuildResult& r, const BuildNode& node) {
        out.results[i] = r;
        out.results[i].node = node.name;
        // pushed from the node that built it (or holds it); no-op unless ok and not in the registry
        if (options.push) push_build(*node.builder, builds[i], out.results[i]);
        if (options.on_build_done) serial([&] { options.on_build_done(i, out.results[i]); });
    };
    auto not_run = [&](std::size_t i, const BuildResult& r) {
        out.results[i] = r;
        if (options.on_build_done) serial([&] { options.on_build_done(i, out.results[i]); });
    };

    // 1. build once: a config-hash tag already in the registry (--push) or in a node's store is the result
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < builds.size(); ++i) {
        std::optional<BuildResult> found;
        const BuildNode* holder = &nodes.front();
        try {
            if (!cancel_requested() && options.push) found = find_in_registry(*holder->builder, builds[i]);
            for (const auto& n : nodes) {
                if (cancel_requested() || found) break;
                holder = &n;
                found = find_cached(*n.builder, builds[i]);
            }
        } catch (const EnvironmentError&) {
            if (!cancel_requested()) throw;  // else: a lookup the cancel interrupted
        }
        if (cancel_requested()) not_run(i, skipped(builds[i]));
        else if (found) build_done(i, *found, *holder);
        else todo.push_back(i);
    }

    const unsigned jobs = std::max(1u, options.jobs);
    const unsigned parallel = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(1, todo.size())));
    std::vector<BuildOptions> node_options;  // per node: make -j of its cores
    for (const auto& n : nodes) {
        unsigned cores = options.cores;
        if (!cores && several) cores = static_cast<unsigned>(std::max(0, n.builder->host_cpus()));
        if (!cores) cores = std::max(1u, std::thread::hardware_concurrency());
        BuildOptions bopt = options.build;
        bopt.make_jobs = make_jobs_for(cores, parallel);
        bopt.push = options.push;
        if (options.build.on_step)
            bopt.on_step = [&](const Build& b, const std::string& stage, const std::string& step) {
                serial([&] { options.build.on_step(b, stage, step); });
            };
        if (options.build.on_cached)
            bopt.on_cached = [&](const Build& b, const std::string& stage, const std::string& step) {
                serial([&] { options.build.on_cached(b, stage, step); });
            };
        node_options.push_back(std::move(bopt));
    }
    out.make_jobs = node_options.front().make_jobs;

    // 2. shared stages, once per group of two or more builds left to run, on every node
    std::vector<Build> left;
    for (auto i : todo) left.push_back(builds[i]);
    std::vector<std::size_t> group_of(builds.size(), SIZE_MAX);  // build index -> group index
    std::vector<SharedStage> groups;
    for (auto& g : shared_stages(left)) {
        for (auto& k : g.builds) k = todo[k];  // indices into `builds`
        if (g.builds.size() < 2) continue;     // nothing to share
        for (auto k : g.builds) group_of[k] = groups.size();
        groups.push_back(std::move(g));
    }
    for (std::size_t n = 0; n < nodes.size(); ++n)
        for (const auto& g : groups) {
            out.stages.push_back(g);
            out.stages.back().node = nodes[n].name;
        }
    out.stage_results.resize(out.stages.size());
    auto stage_at = [&](std::size_t group, std::size_t node) { return node * groups.size() + group; };
    run_parallel(out.stages.size(), jobs * static_cast<unsigned>(nodes.size()), [&](std::size_t k) {
        const SharedStage& g = out.stages[k];
        const std::size_t n = k / std::max<std::size_t>(1, groups.size());
        if (cancel_requested()) {
            out.stage_results[k].cancelled = true;
            out.stage_results[k].error = "cancelled before it started";
            return;
        }
        if (options.on_stage_start) serial([&] { options.on_stage_start(k, g); });
        try {
            out.stage_results[k] = build_shared_stage(*nodes[n].builder, builds[g.builds.front()], g, k + 1, node_options[n]);
        } catch (const EnvironmentError& e) {
            if (!several) throw;
            out.stage_results[k].error = fmt::format("node {}: {}", nodes[n].name, e.what());
        }
        if (options.on_stage_done) serial([&] { options.on_stage_done(k, g, out.stage_results[k]); });
    });

    // 3. the builds: `jobs` at a time on each node, each on a node whose shared stage of its group
    // succeeded; with several nodes, a build whose node stopped answering moves to another (once)
    std::deque<std::size_t> queue;
    for (auto i : todo) {
        std::size_t k = group_of[i];
        bool somewhere = k == SIZE_MAX;
        for (std::size_t n = 0; n < nodes.size() && !somewhere; ++n) somewhere = out.stage_results[stage_at(k, n)].ok;
        const auto& first = k == SIZE_MAX ? SharedStageResult{} : out.stage_results[stage_at(k, 0)];
        if (somewhere) queue.push_back(i);
        else if (first.cancelled) not_run(i, skipped(builds[i]));
        else not_run(i, not_started(builds[i], "shared stage failed: " + first.error, BuildOutcome::failed));
    }
    std::mutex queue_mu;
    std::condition_variable queue_cv;
    std::size_t in_flight = 0;
    std::vector<char> dead(nodes.size(), 0);
    std::vector<int> moves(builds.size(), 0);
    std::exception_ptr error;
    auto can_take = [&](std::size_t i, std::size_t n) {
        return group_of[i] == SIZE_MAX || out.stage_results[stage_at(group_of[i], n)].ok;
    };
    auto worker = [&](std::size_t n) {
        for (;;) {
            std::size_t i = SIZE_MAX;
            {
                std::unique_lock<std::mutex> lock(queue_mu);
                queue_cv.wait(lock, [&] {
                    if (dead[n] || error || (queue.empty() && in_flight == 0)) return true;
                    return std::any_of(queue.begin(), queue.end(), [&](std::size_t q) { return can_take(q, n); });
                });
                if (dead[n] || error) return;
                auto it = std::find_if(queue.begin(), queue.end(), [&](std::size_t q) { return can_take(q, n); });
                if (it == queue.end()) return;  // nothing left this node may build
                i = *it;
                queue.erase(it);
                ++in_flight;
            }
            const BuildNode& node = nodes[n];
            BuildResult r;
            bool node_gone = false;
            std::string why;
            if (cancel_requested()) {
                {
                    std::lock_guard<std::mutex> done(queue_mu);
                    --in_flight;
                }
                not_run(i, skipped(builds[i]));
                queue_cv.notify_all();
                continue;
            }
            if (options.on_build_start) serial([&] { options.on_build_start(i); });
            try {
                r = build_one(*node.builder, builds[i], node_options[n]);
            } catch (const EnvironmentError& e) {
                if (!several) {
                    std::lock_guard<std::mutex> lock(queue_mu);
                    if (!error) error = std::current_exception();
                    --in_flight;
                    queue_cv.notify_all();
                    return;
                }
                node_gone = true;
                why = e.what();
                r = not_started(builds[i], "", BuildOutcome::failed);
            }
            if (several && !node_gone && r.outcome == BuildOutcome::failed && !cancel_requested()) {
                try {  // a failed build on a node that no longer answers: the node's fault, not the build's
                    node.builder->require_ready();
                } catch (const EnvironmentError& e) {
                    node_gone = true;
                    why = e.what();
                }
            }
            std::unique_lock<std::mutex> lock(queue_mu);
            --in_flight;
            if (node_gone) {
                dead[n] = 1;
                bool elsewhere = false;  // once per build, to a live node that has its shared stage
                if (moves[i] == 0)
                    for (std::size_t o = 0; o < nodes.size(); ++o) elsewhere = elsewhere || (!dead[o] && can_take(i, o));
                if (elsewhere) {
                    ++moves[i];
                    queue.push_front(i);
                    lock.unlock();
                    queue_cv.notify_all();
                    serial([&] {
                        if (options.on_node_lost) options.on_node_lost(node.name, why, builds[i].name);
                    });
                    return;
                }
                r.error = fmt::format("node {} stopped answering during the build ({}){}", node.name, why,
                                      r.error.empty() ? "" : "; " + r.error);
                r.outcome = BuildOutcome::failed;
            }
            lock.unlock();
            build_done(i, r, node);
            // after push_build: a refused push counts as a failure
            if (out.results[i].outcome == BuildOutcome::failed && options.fail_fast) request_cancel(CancelReason::fail_fast);
            queue_cv.notify_all();
            if (node_gone) return;
        }
    };
    std::vector<std::thread> threads;
    for (std::size_t n = 0; n < nodes.size(); ++n)
        for (unsigned t = 0; t < parallel; ++t) threads.emplace_back(worker, n);
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
    // builds no live node could take (every node that could is gone)
    for (auto i : queue) {
        BuildResult r = not_started(builds[i], "no build node left to build it: every node that could stopped answering",
                                    BuildOutcome::failed);
        not_run(i, r);
    }
    return out;
}

}  // namespace pymatrix
