// build/failure_scan.hpp: the lines of a build log that say why it failed (internal).
#pragma once

#include <deque>
#include <string>
#include <vector>

namespace pymatrix {

/// Keeps the last lines of a build's output and the lines that name an error (configure, apt,
/// the compiler, make, buildx, pymatrix's stdlib check), to explain a failure in one paragraph.
class FailureScan {
public:
    /// Reads one line of output.
    void add(const std::string& line);
    /// The most telling error line first (a missing stdlib module, configure, apt), then up to
    /// six more; the last line of output when none names an error. When those lines say the
    /// builder's engine went away (BuildKit's stream cut: "code = Unavailable", "error reading
    /// from server", no daemon), the paragraph starts by saying so. Throws nothing.
    std::string explain() const;

private:
    std::string explain_lines() const;  ///< explain() without the engine's fate

    std::deque<std::string> tail_;
    std::vector<std::string> notable_;
};

}  // namespace pymatrix
