// The summary of `pymatrix build` and its exit code.
#include <algorithm>
#include "build_report.hpp"
#include "output.hpp"
#include "signals.hpp"

#include "pymatrix/cancel.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace pymatrix::cli {

void connect(Progress& p, ScheduleOptions& o) {
    o.on_stage_start = [&p](std::size_t k, const SharedStage& s) { p.stage_start(k, s); };
    o.on_stage_done = [&p](std::size_t k, const SharedStage& s, const SharedStageResult& r) { p.stage_done(k, s, r); };
    o.on_build_start = [&p](std::size_t i) { p.build_start(i); };
    o.on_build_done = [&p](std::size_t i, const BuildResult& r) { p.build_done(i, r); };
    o.build.on_step = [&p](const Build& b, const std::string& stage, const std::string& step) { p.step(b, stage, step); };
    o.build.on_cached = [&p](const Build& b, const std::string& stage, const std::string& step) {
        p.cached_step(b, stage, step);
    };
}

std::size_t terminal_width() {
    struct winsize ws {};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    if (const char* c = std::getenv("COLUMNS")) {
        char* end = nullptr;
        long n = std::strtol(c, &end, 10);
        if (end != c && n > 0) return static_cast<std::size_t>(n);
    }
    return 100;
}

void print_summary(const std::vector<Build>& builds, const ScheduleResult& run) {
    const bool nodes = std::any_of(run.results.begin(), run.results.end(), [](const BuildResult& r) { return !r.node.empty(); });
    std::vector<std::vector<std::string>> rows = {{"NAME", "STATUS", "DURATION", "SIZE", "TAGS"}};
    if (nodes) rows.front().insert(rows.front().begin() + 2, "NODE");
    for (auto& r : run.results) {
        rows.push_back({r.name, to_string(r.outcome), human_seconds(r.seconds), r.ok() ? human_bytes(r.size_bytes) : "-",
                        r.ok() ? fmt::format("{}", fmt::join(r.tags, " ")) : "-"});
        if (nodes) rows.back().insert(rows.back().begin() + 2, r.node.empty() ? "-" : r.node);
    }
    print_table(rows);
    for (std::size_t k = 0; k < run.stages.size(); ++k) {
        const auto& g = run.stages[k];
        const auto& s = run.stage_results[k];
        std::size_t apt_cached = 0, ran = 0;
        for (auto i : g.builds) {
            const auto& r = run.results[i];
            if (!r.ran() || (!g.node.empty() && r.node != g.node)) continue;
            ++ran;
            for (auto& step : r.cached_steps)
                if (step.rfind("build-deps ", 0) == 0 && step.find("apt-get") != std::string::npos) {
                    ++apt_cached;
                    break;
                }
        }
        std::string what = s.ok ? (s.cached ? "cached" : fmt::format("built in {}", human_seconds(s.seconds)))
                                : s.cancelled ? "cancelled" : "FAILED";
        std::cout << fmt::format("shared stage {} build-deps+source ({}): {}, used by {} builds; apt step CACHED in {} of {}\n",
                                 k + 1, g.describe(), what, g.builds.size(), apt_cached, ran);
    }
    std::size_t ran = 0;
    for (auto& r : run.results) ran += r.ran();
    if (ran) std::cout << fmt::format("make -j{} per build\n", run.make_jobs);
    std::cout << std::flush;

    std::vector<std::string> failed, stopped, skipped;
    for (auto& r : run.results) {
        if (r.outcome == BuildOutcome::failed) failed.push_back(r.name);
        else if (r.outcome == BuildOutcome::cancelled) stopped.push_back(r.name);
        else if (r.outcome == BuildOutcome::skipped) skipped.push_back(r.name);
    }
    auto join = [](const std::vector<std::string>& v) {
        return v.empty() ? std::string("none") : fmt::format("{}", fmt::join(v, " "));
    };
    if (!failed.empty()) std::cerr << fmt::format("pymatrix: {} of {} build(s) failed\n", failed.size(), builds.size());
    if (!stopped.empty() || !skipped.empty() || cancel_requested()) {
        std::string why = cancel_exit_code() ? "cancelled by " + cancel_signal_name()
                                             : std::string("--fail-fast: stopped after the first failure");
        std::cerr << fmt::format("pymatrix: {}: stopped while running: {}; not started: {}; their temporary and "
                                 "partial tags were removed\n",
                                 why, join(stopped), join(skipped));
    }
}

int exit_code_of(const ScheduleResult& run) {
    if (int code = cancel_exit_code()) return code;
    for (auto& r : run.results)
        if (!r.ok()) return exit_build_failed;  // a failure, or --fail-fast stopped the others
    return exit_ok;
}

}  // namespace pymatrix::cli
