// build/buildkit_progress.hpp: reading BuildKit's plain progress (`--progress=plain`), line by
// line, for builds and shared stages alike (internal). Throws nothing.
#pragma once

#include <map>
#include <string>

namespace pymatrix {

/// What one line of plain progress said.
struct ProgressEvent {
    enum Kind {
        other,   ///< output of a step, or anything else
        step,    ///< "#N [stage i/n] TEXT": vertex N is step i of n of a Dockerfile stage
        done,    ///< "#N DONE 1.2s": vertex N finished after `seconds`
        cached,  ///< "#N CACHED": vertex N came from the cache
    } kind = other;
    std::string vertex;     ///< "N"
    std::string stage;      ///< step, and done/cached of a known vertex: "build-deps"
    std::string position;   ///< step, and done/cached of a known vertex: "2/5"
    std::string text;       ///< step, and done/cached of a known vertex: "RUN apt-get ..."
    double seconds = 0;     ///< done
    bool known = false;     ///< done/cached: the vertex was announced by a step line before
};

/// Remembers each vertex's stage and step text, so that DONE and CACHED lines, which name only
/// the vertex, are tied to their step.
class BuildkitProgress {
public:
    /// Reads one line (without its newline).
    ProgressEvent feed(const std::string& line);

private:
    struct Vertex {
        std::string stage, position, text;
    };
    std::map<std::string, Vertex> vertices_;
};

}  // namespace pymatrix
