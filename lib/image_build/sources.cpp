// Source tarballs: fetched (URL sources) into a cache and verified against their sha256
// before any build starts.
#include "pymatrix/build.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
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
// The stat fields that change whenever a file's bytes can have changed (git's index uses the same).
nlohmann::json file_identity(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return nullptr;
    auto ns = [](const timespec& t) { return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec; };
    return {{"path", fs::absolute(file).lexically_normal().string()}, {"dev", st.st_dev}, {"ino", st.st_ino},
            {"size", st.st_size}, {"mtime_ns", ns(st.st_mtim)}, {"ctime_ns", ns(st.st_ctim)}};
}

// SHA-256 of a tarball, remembered in $PYMATRIX_CACHE/sha256/ against the file's identity (path,
// device, inode, size, mtime and ctime in ns): `plan` of a large matrix does not re-read 45 MB
// each time. A file changed in the last 2 s is not remembered (a write in the same clock tick
// could leave the identity unchanged). The image build checks the tarball itself again
// (`sha256sum -c` in the Dockerfile), so the cache never decides what is built.
std::string tarball_sha256(const fs::path& file) {
    const auto identity = file_identity(file);
    if (identity.is_null()) return sha256_file(file);  // let it throw its own error
    const fs::path entry = cache_dir().parent_path() / "sha256" /
                           (sha256_hex(identity["path"].get<std::string>()).substr(0, 32) + ".json");
    {
        std::ifstream in(entry);
        auto cached = nlohmann::json::parse(in, nullptr, false);
        if (!cached.is_discarded() && cached.is_object() && cached.value("identity", nlohmann::json()) == identity &&
            cached.contains("sha256") && cached["sha256"].is_string())
            return cached["sha256"].get<std::string>();
    }
    std::string digest = sha256_file(file);
    const long long now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
    if (now_ns - identity["ctime_ns"].get<long long>() < 2'000'000'000LL) return digest;
    std::error_code ec;  // the cache is an optimisation: failing to write it fails nothing
    fs::create_directories(entry.parent_path(), ec);
    fs::path tmp = entry;
    tmp += fmt::format(".{}.tmp", ::getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << nlohmann::json{{"identity", identity}, {"sha256", digest}}.dump() << '\n';
        if (!out) {
            fs::remove(tmp, ec);
            return digest;
        }
    }
    fs::rename(tmp, entry, ec);
    if (ec) fs::remove(tmp, ec);
    return digest;
}
}  // namespace

void verify_sources(std::vector<Build>& builds) {
    std::map<std::string, fs::path> done;  // python key -> verified path
    for (auto& b : builds) {
        if (b.python.is_packaged()) continue;  // installed from the distribution: no tarball
        if (auto it = done.find(b.python.key); it != done.end()) {
            b.python.source_path = it->second;
            continue;
        }
        const std::string key = "pythons." + b.python.key;
        if (b.python.source_path.empty()) {  // http(s) URL: fetch into the cache once
            fs::path dest = cache_dir() / (b.python.sha256.substr(0, 16) + "-" + basename_of_url(b.python.source));
            if (!fs::exists(dest) || tarball_sha256(dest) != b.python.sha256) {
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
        std::string got = tarball_sha256(b.python.source_path);
        if (got != b.python.sha256)
            throw ConfigError(at(b, "sha256"), key + ".sha256",
                              fmt::format("{} has sha256 {}, not the {} this file declares",
                                          b.python.source_path.string(), got, b.python.sha256));
        done[b.python.key] = b.python.source_path;
    }
}

}  // namespace pymatrix
