// Explaining a failed build from its output.
#include "failure_scan.hpp"

#include <regex>

namespace pymatrix {

void FailureScan::add(const std::string& line) {
    tail_.push_back(line);
    if (tail_.size() > 25) tail_.pop_front();
    static const std::regex keep(R"((pymatrix: stdlib modules missing.*|configure: error: .*|E: .*|\S+:\d+:\d+: error: .*|make: \*\*\* .*|ERROR: .*))");
    std::smatch m;
    if (std::regex_search(line, m, keep)) notable_.push_back(m[1]);
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

std::string FailureScan::explain_lines() const {
    std::string head;
    for (auto& n : notable_)
        if (head.empty() && n.rfind("pymatrix: stdlib", 0) == 0) head = n.substr(10);
    for (const char* first : {"configure: error:", "E: "})
        for (auto& n : notable_)
            if (head.empty() && n.rfind(first, 0) == 0) head = n;
    if (head.empty() && !notable_.empty()) head = notable_.front();
    if (head.empty()) return tail_.empty() ? "docker buildx failed without output" : tail_.back();
    std::string more;  // the last relevant lines, for compile errors in particular
    std::size_t from = notable_.size() > 6 ? notable_.size() - 6 : 0;
    for (std::size_t i = from; i < notable_.size(); ++i)
        if (notable_[i] != head && notable_[i].rfind("ERROR: ", 0) != 0) more += "\n      " + notable_[i];
    return head + more;
}

}  // namespace pymatrix
