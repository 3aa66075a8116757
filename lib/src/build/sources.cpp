// Source tarballs: fetched (URL sources) into a cache and verified against their sha256
// before any build starts.
#include "pymatrix/build.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <map>

namespace fs = std::filesystem;

namespace pymatrix {
namespace {
fs::path cache_dir() {
    if (const char* d = std::getenv("PYMATRIX_CACHE"); d && *d) return fs::path(d) / "sources";
    if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "pymatrix" / "sources";
    const char* home = std::getenv("HOME");
    return fs::path(home ? home : "/tmp") / ".cache" / "pymatrix" / "sources";
}

/// Where a key of the build's [pythons.KEY] table was written (the table when unknown).
SourcePosition at(const Build& b, const std::string& key) {
    auto it = b.python.key_where.find(key);
    return it == b.python.key_where.end() ? b.python.where : it->second;
}

std::string basename_of_url(const std::string& url) {
    auto end = url.find_first_of("?#");
    std::string path = url.substr(0, end);
    return path.substr(path.rfind('/') + 1);
}
}  // namespace

void verify_sources(std::vector<Build>& builds) {
    std::map<std::string, fs::path> done;  // python key -> verified path
    for (auto& b : builds) {
        if (auto it = done.find(b.python.key); it != done.end()) {
            b.python.source_path = it->second;
            continue;
        }
        const std::string key = "pythons." + b.python.key;
        if (b.python.source_path.empty()) {  // http(s) URL: fetch into the cache once
            fs::path dest = cache_dir() / (b.python.sha256.substr(0, 16) + "-" + basename_of_url(b.python.source));
            if (!fs::exists(dest) || sha256_file(dest) != b.python.sha256) {
                fs::create_directories(dest.parent_path());
                fs::path part = dest.string() + ".part";
                auto r = run_command({"curl", "-fsSL", "--retry", "2", "-o", part.string(), b.python.source});
                if (r.exit_code != 0) {
                    fs::remove(part);
                    throw ConfigError(at(b, "source"), key + ".source",
                                      fmt::format("cannot download {}: {}", b.python.source, r.err));
                }
                fs::rename(part, dest);
            }
            b.python.source_path = dest;
        }
        if (!fs::is_regular_file(b.python.source_path))
            throw ConfigError(at(b, "source"), key + ".source",
                              fmt::format("{} does not exist (scripts/setup-engine.sh fetches the CPython 3.13.5 and "
                                          "3.11.2 tarballs from Debian's source packages into sources/)",
                                          b.python.source_path.string()));
        std::string got = sha256_file(b.python.source_path);
        if (got != b.python.sha256)
            throw ConfigError(at(b, "sha256"), key + ".sha256",
                              fmt::format("{} has sha256 {}, not the {} this file declares",
                                          b.python.source_path.string(), got, b.python.sha256));
        done[b.python.key] = b.python.source_path;
    }
}

}  // namespace pymatrix
