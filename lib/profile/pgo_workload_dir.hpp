// profile/pgo_workload_dir.hpp: reading a user's PGO training workload directory (internal).
#pragma once

#include "pymatrix/templates.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace pymatrix {

/// Why a workload directory cannot be used; `key` is the sub-key at fault ("dir", "script").
struct WorkloadDirProblem : std::runtime_error {
    WorkloadDirProblem(std::string key, const std::string& why) : std::runtime_error(why), key(std::move(key)) {}
    std::string key;
};

/// Most files and bytes a workload directory may hold: it goes into every build context of
/// the profile (the bundled workloads are one file of a few kB).
inline constexpr std::size_t max_workload_files = 1000;
inline constexpr std::uintmax_t max_workload_bytes = 64u << 20;

/// Reads `dir` (as written in the TOML: relative to `base`, the TOML file's directory, with no
/// ".." component) into a PgoWorkload named "dir:<dir>" whose `file` is `script` (a path
/// inside it) and whose `args` are `args`: every regular file below it, sorted by path, the
/// `__pycache__` directories left out. Throws WorkloadDirProblem when `dir` is absolute, climbs
/// with "..", is not a directory or cannot be read; when an entry is a symlink or another
/// non-regular file; when a path holds a character outside [A-Za-z0-9._/+-] (the path reaches a
/// Dockerfile mount and PROFILE_TASK); when it holds more than max_workload_files files or
/// max_workload_bytes bytes; or when `script` is not one of its files.
PgoWorkload read_pgo_workload_dir(const std::filesystem::path& base, const std::string& dir, const std::string& script,
                                  const std::vector<std::string>& args);

}  // namespace pymatrix
