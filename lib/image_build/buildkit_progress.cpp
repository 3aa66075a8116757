// BuildKit's plain progress, one line at a time.
#include "buildkit_progress.hpp"

#include <regex>

namespace pymatrix {

ProgressEvent BuildkitProgress::feed(const std::string& line) {
    static const std::regex step_re(R"(^#(\d+) \[([A-Za-z0-9_.-]+) (\d+/\d+)\] (.*)$)");
    static const std::regex done_re(R"(^#(\d+) DONE (\d+(\.\d+)?)s$)");
    static const std::regex cached_re(R"(^#(\d+) CACHED$)");
    ProgressEvent e;
    std::smatch m;
    if (line.empty() || line[0] != '#') return e;
    if (std::regex_match(line, m, step_re)) {
        e.kind = ProgressEvent::step;
        e.vertex = m[1];
        e.stage = m[2];
        e.position = m[3];
        e.text = m[4];
        vertices_[e.vertex] = {e.stage, e.position, e.text};
        return e;
    }
    if (std::regex_match(line, m, done_re)) {
        e.kind = ProgressEvent::done;
        e.seconds = std::stod(m[2]);
    } else if (std::regex_match(line, m, cached_re)) {
        e.kind = ProgressEvent::cached;
    } else {
        return e;
    }
    e.vertex = m[1];
    if (auto it = vertices_.find(e.vertex); it != vertices_.end()) {
        e.known = true;
        e.stage = it->second.stage;
        e.position = it->second.position;
        e.text = it->second.text;
    }
    return e;
}

}  // namespace pymatrix
