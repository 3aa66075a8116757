// Explaining a failed build from its output.
#include "failure_scan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

namespace pymatrix {
namespace {

/// The signals a crashing tool dies of, as the shell and make name them (signal(7)); a shell
/// reports a command killed by signal N as exit status 128 + N, which make prints as "Error 1NN".
std::string signal_name(int number) {
    switch (number) {
        case 4: return "illegal instruction";
        case 6: return "aborted";
        case 7: return "bus error";
        case 8: return "floating-point exception";
        case 9: return "killed: out of memory?";
        case 11: return "segmentation fault";
        default: return fmt::format("signal {}", number);
    }
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string basename_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

void FailureScan::add(const std::string& raw) {
    tail_.push_back(raw);
    if (tail_.size() > 25) tail_.pop_front();
    static const std::regex prefix(R"(^#\d+ \d+(\.\d+)? ?)");
    const std::string line = std::regex_replace(raw, prefix, "");
    // rank 0..4 as in Notable; searched in this order, the first match keeps its capture 1
    static const std::pair<std::regex, int> kinds[] = {
        // at the start of an output line only: buildx also echoes the RUN command that prints it
        {std::regex(R"(^(pymatrix: (stdlib modules missing|the PGO training workload).*))"), 0},
        {std::regex(R"((configure: error: .*))"), 1},
        {std::regex(R"(^(E: .*))"), 2},
        {std::regex(R"((\S*\bld(\.lld|\.bfd|\.gold)?: (cannot find .*|error: .*|.*undefined reference to .*)))"), 3},
        {std::regex(R"(^((clang|gcc|cc|g\+\+|c\+\+|clang\+\+)(-\d+(\.\d+)?)?: (fatal )?error: .*))"), 3},
        {std::regex(R"(^((cc1|cc1plus|lto1|lto-wrapper|collect2): (fatal )?error: .*))"), 3},
        {std::regex(R"((\S+:\d+:\d+: (fatal )?error: .*))"), 3},
        {std::regex(R"((make(\[\d+\])?: \*\*\* .*|ERROR: .*|PLEASE submit a bug report to .*))"), 4},
    };
    for (const auto& [re, rank] : kinds) {
        std::smatch m;
        if (!std::regex_search(line, m, re)) continue;
        static const std::regex signalled(R"(Error 1(29|[3-5]\d)|fault|Killed|Aborted|Bus error|Illegal instruction)");
        if (m[1].str().rfind("make[", 0) == 0 && !std::regex_search(m[1].str(), signalled))
            break;  // a sub-make's plain "Error 2": the top make's line says the same
        if (m[1].str().rfind("collect2:", 0) == 0 && !previous_.empty() &&
            std::none_of(notable_.begin(), notable_.end(), [&](const Notable& n) { return n.text == previous_; }))
            notable_.push_back({previous_, 3});  // what ld said just before it gave up
        if (std::none_of(notable_.begin(), notable_.end(), [&](const Notable& n) { return n.text == m[1]; }))
            notable_.push_back({m[1], rank});  // buildx repeats the step's last lines after ERROR
        break;
    }

    // a crashing tool: LLVM's crash handler, the shell's report, make's exit status
    static const std::regex llvm_handler(R"(PLEASE submit a bug report to)");
    static const std::regex program(R"(^\s*\d+\.\s+Program arguments: (\S+))");
    static const std::regex shell(
        R"(^(/bin/sh: )?(line \d+: )?\s*\d+ (Segmentation fault|Aborted|Bus error|Illegal instruction|Killed|Floating point exception)\s+(\(core dumped\) )?\s*(\S+))");
    static const std::regex make_status(R"(^make(\[\d+\])?: \*\*\* \[[^\]]*: ([^\]]+)\] (Error (1(?:29|[3-5]\d))|(Segmentation fault|Aborted|Bus error|Illegal instruction|Killed)))");
    std::smatch m;
    if (std::regex_search(line, llvm_handler)) crashed_ = true;
    if (std::regex_search(line, m, program)) {
        crashed_ = true;
        if (crash_tool_.empty()) crash_tool_ = basename_of(m[1]);
    } else if (std::regex_search(line, m, shell)) {
        crashed_ = true;
        if (crash_tool_.empty()) crash_tool_ = basename_of(m[5]);
        if (crash_signal_.empty()) crash_signal_ = lower(m[3]);
    } else if (std::regex_search(line, m, make_status)) {
        crashed_ = true;
        if (crash_target_.empty()) crash_target_ = m[2];
        if (crash_signal_.empty())
            crash_signal_ = m[4].matched ? signal_name(std::stoi(m[4]) - 128) : lower(m[5]);
    }
    previous_ = line;
}

namespace {

/// Whether buildx's own error says the builder's engine went away mid-build (a daemon restarted or
/// killed: BuildKit's gRPC stream ends "Unavailable ... error reading from server: EOF"), rather
/// than a step of the build failing.
bool engine_went_away(const std::string& why) {
    static const std::regex gone(R"(code = Unavailable|Unavailable: |error reading from server|transport is closing|)"
                                 R"(Cannot connect to the Docker daemon|connection reset by peer)");
    return std::regex_search(why, gone);
}

}  // namespace

std::string FailureScan::explain() const {
    std::string why = explain_lines();
    if (!engine_went_away(why)) return why;
    return "the builder's engine went away during the build (restarted or stopped?); nothing of it was kept, "
           "re-run when it answers: " + why;
}

std::string FailureScan::crash() const {
    if (!crashed_) return "";
    return fmt::format("{} crashed ({}){}", crash_tool_.empty() ? "a tool" : crash_tool_,
                       crash_signal_.empty() ? "LLVM's crash handler reported it" : crash_signal_,
                       crash_target_.empty() ? "" : " in " + crash_target_);
}

std::string FailureScan::explain_lines() const {
    std::string head;
    for (int rank : {0, 1, 2, 3, 4})
        for (const auto& n : notable_)
            if (head.empty() && n.rank == rank) head = rank == 0 ? n.text.substr(10) : n.text;
    if (crashed_ && (notable_.empty() || std::none_of(notable_.begin(), notable_.end(),
                                                      [](const Notable& n) { return n.rank == 0; })))
        head = crash();
    if (head.empty()) return tail_.empty() ? "docker buildx failed without output" : tail_.back();
    std::string more;  // the last relevant lines, for compile errors in particular
    std::size_t from = notable_.size() > 6 ? notable_.size() - 6 : 0;
    for (std::size_t i = from; i < notable_.size(); ++i)
        if (notable_[i].text != head && notable_[i].text.rfind("ERROR: ", 0) != 0) more += "\n      " + notable_[i].text;
    return head + more;
}

}  // namespace pymatrix
