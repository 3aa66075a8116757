// build/failure_scan.hpp: the lines of a build log that say why it failed (internal).
#pragma once

#include <deque>
#include <string>
#include <vector>

namespace pymatrix {

/// Keeps the last lines of a build's output and the lines that name an error (configure, apt,
/// the compiler and its driver, the linker, make, buildx, pymatrix's stdlib and PGO training checks) or a crashing
/// tool, to explain a failure in one paragraph.
class FailureScan {
public:
    /// Reads one line of output (a buildx plain-progress line "#12 301.2 ..." or a bare one).
    void add(const std::string& line);
    /// The most telling error line first, then up to six more; the last line of output when none
    /// names an error. "Most telling", in this order: a missing stdlib module or a failed
    /// PGO training workload (pymatrix's own lines); a tool that crashed
    /// ("llvm-bolt crashed (segmentation fault) in profile-bolt-stamp": from LLVM's crash handler
    /// "Program arguments: TOOL ...", the shell's "PID Segmentation fault ... TOOL ...", or make's
    /// "Error 139" = 128 + signal 11); configure's error; apt's "E: "; the first linker, compiler
    /// or driver error ("/usr/bin/ld: cannot find ...", "clang-19: error: ...", "gcc: error: ...",
    /// "file.c:1:2: error: ...", the line before "collect2: error: ld returned 1 exit status");
    /// else the first error line (make's "*** [...] Error 2"). When those lines say the builder's
    /// engine went away (BuildKit's stream cut: "code = Unavailable", "error reading from
    /// server", no daemon), the paragraph starts by saying so. Throws nothing.
    std::string explain() const;

private:
    std::string explain_lines() const;  ///< explain() without the engine's fate
    std::string crash() const;          ///< "TOOL crashed (SIGNAL) in TARGET", or ""

    struct Notable {
        std::string text;
        int rank;  ///< 0 stdlib, 1 configure, 2 apt, 3 linker/compiler/driver, 4 other
    };
    std::deque<std::string> tail_;
    std::vector<Notable> notable_;
    std::string previous_;      ///< the last line read, without buildx's prefix
    std::string crash_tool_;    ///< "llvm-bolt"
    std::string crash_signal_;  ///< "segmentation fault"
    std::string crash_target_;  ///< make's target: "profile-bolt-stamp"
    bool crashed_ = false;
};

}  // namespace pymatrix
