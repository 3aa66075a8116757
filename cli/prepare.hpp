// cli/prepare.hpp: the steps every verb that reads a matrix file shares, before any output.
#pragma once

#include "pymatrix/plan.hpp"

#include <string>
#include <vector>

namespace pymatrix::cli {

/// Keeps only the builds named in `only` (all when empty), in plan order. Throws ConfigError
/// (exit 2) naming --only and listing the build names when a name is unknown.
void select_builds(std::vector<Build>& builds, const std::vector<std::string>& only);

/// Loads `path` into `file`, expands it, keeps only the builds named in `only` (all when empty;
/// see select_builds), prints notes and warnings on stderr, fetches and verifies the source
/// tarballs and validates every kept build against its source (version, configure options, the
/// rules table). Returns the kept builds in plan order. Throws ConfigError (exit 2) at the first
/// problem, so nothing is built or written.
std::vector<Build> prepare_builds(const std::string& path, MatrixFile& file, const std::vector<std::string>& only = {});

}  // namespace pymatrix::cli
