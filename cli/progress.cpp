// Progress of `pymatrix build`: live tty lines, plain CI lines, or quiet.
#include "progress.hpp"
#include "util/text.hpp"
#include "output.hpp"

#include "pymatrix/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace pymatrix::cli {
namespace {
constexpr const char* kGreen = "32";
constexpr const char* kRed = "31";
constexpr const char* kYellow = "33";
constexpr const char* kBold = "1";
constexpr const char* kDim = "2";

std::string cut(const std::string& s, std::size_t n) {
    if (s.size() <= n) return s;
    return n < 3 ? s.substr(0, n) : s.substr(0, n - 3) + "...";
}
double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

ProgressMode parse_progress_mode(const std::string& v, bool stdout_is_tty) {
    if (v == "auto") return stdout_is_tty ? ProgressMode::tty : ProgressMode::plain;
    if (v == "tty") return ProgressMode::tty;
    if (v == "plain") return ProgressMode::plain;
    if (v == "quiet") return ProgressMode::quiet;
    throw ConfigError({}, "--progress", fmt::format("'{}' is not one of auto, tty, plain, quiet", v));
}

bool colour_enabled(ProgressMode mode, bool stdout_is_tty, const char* no_color_env) {
    return mode == ProgressMode::tty && stdout_is_tty && (no_color_env == nullptr || *no_color_env == '\0');
}

std::string progress_bar(std::size_t done, std::size_t total, std::size_t width) {
    std::size_t fill = total ? std::min(width, done * width / total) : width;
    return "[" + std::string(fill, '#') + std::string(width - fill, '.') + "]";
}

Progress::Progress(ProgressMode mode, bool colour, const std::vector<Build>& builds, std::filesystem::path log_dir,
                   std::ostream& out, std::ostream& err, std::size_t width)
    : mode_(mode), colour_(colour), builds_(builds), log_dir_(std::move(log_dir)), out_(out), err_(err),
      width_(std::max<std::size_t>(width, 40)) {
    if (mode_ == ProgressMode::tty)
        ticker_ = std::thread([this] {
            std::unique_lock<std::mutex> lock(mu_);
            while (!finished_) {
                redraw();  // elapsed times move on even when no line arrives
                tick_cv_.wait_for(lock, std::chrono::milliseconds(500));
            }
        });
}

Progress::~Progress() { finish(); }

std::string Progress::paint(const std::string& text, const char* sgr) const {
    return colour_ ? fmt::format("\x1b[{}m{}\x1b[0m", sgr, text) : text;
}

std::string Progress::status_word(const BuildResult& r) const {
    const char* c = r.outcome == BuildOutcome::failed ? kRed : r.stopped() ? kYellow : kGreen;
    return paint(to_string(r.outcome), c);
}

void Progress::emit(const std::string& line) {
    if (mode_ == ProgressMode::tty) {
        pending_.push_back(line);
        redraw();
    } else if (mode_ == ProgressMode::plain) {
        out_ << line << '\n' << std::flush;
    }
}

std::vector<std::string> Progress::live_lines_locked() const {
    std::vector<std::string> lines;
    std::size_t name_w = 0;
    for (auto& [label, _] : running_) name_w = std::max(name_w, label.size());
    for (auto& [label, r] : running_) {
        std::string head = fmt::format("  {:<{}}  {:<14} {:>6}  ", label, name_w, r.stage, human_seconds(since(r.since)));
        std::string step = cut(r.step, width_ > head.size() + 1 ? width_ - head.size() - 1 : 0);
        lines.push_back(fmt::format("  {}  {:<14} {:>6}  {}", paint(fmt::format("{:<{}}", label, name_w), kBold),
                                    r.stage, human_seconds(since(r.since)), colour_ ? paint(step, kDim) : step));
    }
    std::size_t total = builds_.size();
    std::string counts = fmt::format("{}/{} done  {} cached  {} failed  {} running  {}", done_, total,
                                     cached_, failed_, running_.size(), human_seconds(since(start_)));
    if (colour_) {
        counts = fmt::format("{}/{} done  {}  {}  {} running  {}", done_, total,
                             paint(fmt::format("{} cached", cached_), kGreen),
                             failed_ ? paint(fmt::format("{} failed", failed_), kRed) : fmt::format("{} failed", failed_),
                             running_.size(), human_seconds(since(start_)));
    }
    lines.push_back(progress_bar(done_, total, 24) + " " + counts);
    return lines;
}

std::vector<std::string> Progress::live_lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return live_lines_locked();
}

void Progress::redraw() {
    if (mode_ != ProgressMode::tty) return;
    std::string s = "\r";
    if (drawn_) s += fmt::format("\x1b[{}A", drawn_);
    s += "\x1b[J";
    for (auto& p : pending_) s += p + "\n";
    pending_.clear();
    if (!finished_) {
        auto lines = live_lines_locked();
        for (auto& l : lines) s += l + "\n";
        drawn_ = lines.size();
    } else {
        drawn_ = 0;
    }
    out_ << s << std::flush;
}

void Progress::stage_start(std::size_t index, const SharedStage& stage) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> members;
    for (auto i : stage.builds) members.push_back(builds_[i].name);
    const std::string names = " " + util::join(members, " ");
    if (mode_ == ProgressMode::tty)
        running_[fmt::format("shared stage {}", index + 1)] = {"", "build-deps+source", stage.describe(),
                                                               std::chrono::steady_clock::now()};
    emit(fmt::format("==> shared stage {} build-deps+source ({}) for {} builds:{}", index + 1, stage.describe(),
                     stage.builds.size(), names));
}

void Progress::stage_done(std::size_t index, const SharedStage& stage, const SharedStageResult& r) {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(fmt::format("shared stage {}", index + 1));
    if (r.ok)
        emit(fmt::format("==> shared stage {} ({}): {}, used by {} builds (log: {})", index + 1, stage.describe(),
                         r.cached ? paint("cached", kGreen)
                                  : fmt::format("{} in {} ({} steps run)", paint("built", kGreen),
                                                human_seconds(r.seconds), r.steps_run),
                         stage.builds.size(), r.log.string()));
    else if (mode_ == ProgressMode::quiet && !r.cancelled)
        err_ << fmt::format("pymatrix: shared stage {} ({}) failed: {}\n", index + 1, stage.describe(), r.error);
    else
        emit(fmt::format("==> shared stage {} ({}) {}: {}", index + 1, stage.describe(),
                         paint(r.cancelled ? "cancelled" : "FAILED", r.cancelled ? kYellow : kRed), r.error));
}

void Progress::build_start(std::size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    ++started_;
    const Build& b = builds_[i];
    running_[b.name] = {b.name, "starting", "", std::chrono::steady_clock::now()};
    emit(fmt::format("==> [{}/{}] {} (log: {})", i + 1, builds_.size(), b.name, build_log_path(log_dir_, b.name).string()));
}

void Progress::step(const Build& b, const std::string& stage, const std::string& step) {
    std::lock_guard<std::mutex> lock(mu_);
    if (mode_ == ProgressMode::tty) {
        auto it = running_.find(b.name);
        if (it != running_.end()) {
            it->second.stage = stage;
            it->second.step = step;
        }
        return;  // the ticker redraws
    }
    if (mode_ == ProgressMode::plain)
        out_ << fmt::format("[{}] {}: {}\n", b.name, stage, cut(step, 100)) << std::flush;
}

void Progress::cached_step(const Build& b, const std::string& stage, const std::string& step) {
    std::lock_guard<std::mutex> lock(mu_);
    if (mode_ == ProgressMode::plain)
        out_ << fmt::format("[{}] {}: CACHED {}\n", b.name, stage, cut(step, 92)) << std::flush;
}

void Progress::build_done(std::size_t i, const BuildResult& r) {
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(r.name);
    ++done_;
    const bool failed = r.outcome == BuildOutcome::failed;
    cached_ += r.outcome == BuildOutcome::cached;
    failed_ += failed;
    const Build& b = builds_[i];
    const std::string hash_tag = r.tags.empty() ? "" : r.tags.back();
    std::string line;
    switch (r.outcome) {
        case BuildOutcome::cached:
            line = r.push == PushState::in_registry
                       ? fmt::format("==> [{}/{}] {} {}: the registry holds {} with config hash {}", i + 1,
                                     builds_.size(), r.name, status_word(r), hash_tag, b.config_hash.substr(0, 12))
                       : fmt::format("==> [{}/{}] {} {}: {} already holds config hash {}", i + 1, builds_.size(),
                                     r.name, status_word(r), hash_tag, b.config_hash.substr(0, 12));
            break;
        case BuildOutcome::built:
            line = fmt::format("==> {} {} in {}", r.name, status_word(r), human_seconds(r.seconds));
            break;
        case BuildOutcome::cancelled:
        case BuildOutcome::skipped:
            line = fmt::format("==> {} {}: {}", r.name, status_word(r), r.error);
            break;
        case BuildOutcome::failed:
            line = fmt::format("==> {} {} after {}: {}", r.name, paint("FAILED", kRed), human_seconds(r.seconds), r.error);
            break;
    }
    if (mode_ == ProgressMode::quiet) {
        if (failed) err_ << fmt::format("pymatrix: {} failed: {}\n", r.name, r.error) << std::flush;
        return;
    }
    if (mode_ == ProgressMode::tty && failed) line = util::first_line(line);  // full text in the summary
    emit(line);
}

void Progress::note(const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    if (mode_ == ProgressMode::tty) {
        pending_.push_back(paint("pymatrix: " + message, kYellow));
        redraw();
    } else {
        err_ << "pymatrix: " << message << '\n' << std::flush;
    }
}

void Progress::finish() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (finished_) return;
        finished_ = true;
        redraw();  // prints what is pending, erases the live lines
    }
    tick_cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
}

}  // namespace pymatrix::cli
