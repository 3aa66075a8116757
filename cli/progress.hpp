// cli/progress.hpp: what `pymatrix build` shows while it runs (--progress auto|tty|plain|quiet).
// tty: a live line per running build (name, stage, elapsed time, current step) and an overall
// bar, redrawn in place with ANSI cursor movement; plain (CI logs): one prefixed line per event
// ("[3.13-default] build 3/7: RUN make"); quiet: failures only (the summary comes after).
// Thread-safe: the scheduler's workers and the signal watcher call it concurrently.
#pragma once

#include "pymatrix/scheduler.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace pymatrix::cli {

enum class ProgressMode { tty, plain, quiet };

/// The --progress value: "tty", "plain", "quiet", or "auto" (tty when `stdout_is_tty`, else
/// plain). Throws ConfigError (exit 2) naming --progress for anything else.
ProgressMode parse_progress_mode(const std::string& value, bool stdout_is_tty);

/// Colours (https://no-color.org): only in tty mode, on a terminal, and when NO_COLOR is unset
/// or empty (`no_color_env` is getenv("NO_COLOR"), may be null).
bool colour_enabled(ProgressMode mode, bool stdout_is_tty, const char* no_color_env);

/// "[#####.....]": `width` characters, `done` of `total` filled.
std::string progress_bar(std::size_t done, std::size_t total, std::size_t width);

/// Reports a run of builds on `out` (stdout); error lines of quiet mode go to `err`.
class Progress {
public:
    /// `builds` must outlive the Progress; `log_dir` is where build_one() writes each
    /// <name>.log; `width` is the terminal's column count (tty lines are cut to fit).
    Progress(ProgressMode mode, bool colour, const std::vector<Build>& builds, std::filesystem::path log_dir,
             std::ostream& out, std::ostream& err, std::size_t width = 100);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void stage_start(std::size_t index, const SharedStage& stage);
    void stage_done(std::size_t index, const SharedStage& stage, const SharedStageResult& result);
    void build_start(std::size_t build);
    void step(const Build& build, const std::string& stage, const std::string& step);
    void cached_step(const Build& build, const std::string& stage, const std::string& step);
    void build_done(std::size_t build, const BuildResult& result);
    /// A message line (e.g. "SIGINT: cancelling ..."), printed above the live lines in tty mode,
    /// as "pymatrix: MESSAGE" on `err` otherwise.
    void note(const std::string& message);
    /// Stops the redraw thread and erases the live lines (tty); idempotent.
    void finish();

    /// The live lines as they would be drawn now (tty mode; without colours when colour is off):
    /// one per running shared stage or build, then the overall bar line.
    std::vector<std::string> live_lines() const;

private:
    struct Running {
        std::string label;   // build name, or "shared stage N"
        std::string stage;   // "build 3/7"
        std::string step;    // "RUN make -j2"
        std::chrono::steady_clock::time_point since;
    };
    std::string paint(const std::string& text, const char* sgr) const;
    std::string status_word(const BuildResult& r) const;
    void emit(const std::string& line);  // a permanent line (caller holds mu_)
    void redraw();                       // caller holds mu_
    std::vector<std::string> live_lines_locked() const;

    ProgressMode mode_;
    bool colour_;
    const std::vector<Build>& builds_;
    std::filesystem::path log_dir_;
    std::ostream& out_;
    std::ostream& err_;
    std::size_t width_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    mutable std::mutex mu_;
    std::map<std::string, Running> running_;  // keyed by label, in name order
    std::size_t done_ = 0, cached_ = 0, failed_ = 0, started_ = 0;
    std::size_t drawn_ = 0;                   // live lines currently on screen
    std::vector<std::string> pending_;        // permanent lines not yet printed (tty)
    bool finished_ = false;
    std::condition_variable tick_cv_;
    std::thread ticker_;
};

}  // namespace pymatrix::cli
