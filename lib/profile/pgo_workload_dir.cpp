// A user's PGO training workload: a directory beside the TOML file, read whole into the model so
// that its bytes are in the config hash and the build context.
#include "pgo_workload_dir.hpp"
#include "pymatrix/hash.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

namespace fs = std::filesystem;

namespace pymatrix {

PgoWorkload read_pgo_workload_dir(const fs::path& base, const std::string& dir, const std::string& script,
                                  const std::vector<std::string>& args) {
    static const std::regex safe(R"([A-Za-z0-9._+-][A-Za-z0-9._/+-]*)");
    const fs::path written(dir);
    if (written.is_absolute() || dir.empty())
        throw WorkloadDirProblem("dir", "give the directory relative to this file (it becomes part of the build context)");
    for (const auto& part : written)
        if (part == "..") throw WorkloadDirProblem("dir", "'..' leaves this file's directory; keep the workload below it");
    if (!std::regex_match(dir, safe))
        throw WorkloadDirProblem("dir", fmt::format("'{}' holds a character outside [A-Za-z0-9._/+-]", dir));
    const fs::path root = base / written;
    std::error_code ec;
    if (!fs::is_directory(root, ec))
        throw WorkloadDirProblem("dir", fmt::format("{} is not a directory", root.string()));

    PgoWorkload w;
    w.name = "dir:" + dir;
    w.file = script;
    w.args = args;
    std::uintmax_t bytes = 0;
    fs::recursive_directory_iterator it(root, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const fs::directory_entry& e = *it;
        const std::string rel = e.path().lexically_relative(root).generic_string();
        if (e.is_directory() && !e.is_symlink()) {
            if (e.path().filename() == "__pycache__") it.disable_recursion_pending();
            continue;
        }
        if (e.is_symlink() || !e.is_regular_file())
            throw WorkloadDirProblem("dir", fmt::format("{}: only regular files may be in a workload (a symlink or "
                                                        "special file would not mean the same in the build context)",
                                                        e.path().string()));
        if (!std::regex_match(rel, safe))
            throw WorkloadDirProblem("dir", fmt::format("{}: its name holds a character outside [A-Za-z0-9._/+-]",
                                                        e.path().string()));
        bytes += e.file_size();
        if (w.files.size() + 1 > max_workload_files || bytes > max_workload_bytes)
            throw WorkloadDirProblem("dir", fmt::format("{} holds more than {} files or {} MiB: a PGO workload goes "
                                                        "into every build context of the profile",
                                                        root.string(), max_workload_files, max_workload_bytes >> 20));
        auto text = util::read_file(e.path());
        if (!text) throw WorkloadDirProblem("dir", fmt::format("{}: cannot read it", e.path().string()));
        w.files.emplace_back(rel, std::move(*text));
    }
    if (ec) throw WorkloadDirProblem("dir", fmt::format("{}: {}", root.string(), ec.message()));
    std::sort(w.files.begin(), w.files.end());
    if (std::none_of(w.files.begin(), w.files.end(), [&](const auto& f) { return f.first == script; }))
        throw WorkloadDirProblem("script", fmt::format("'{}' is not a file of {}", script, root.string()));
    std::string listing;  // sha256sum's format, one line per file
    for (const auto& [path, content] : w.files) listing += sha256_hex(content) + "  " + path + "\n";
    w.sha256 = sha256_hex(listing);
    return w;
}

}  // namespace pymatrix
