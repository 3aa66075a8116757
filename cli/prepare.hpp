// cli/prepare.hpp: the steps every verb that reads a matrix file shares, before any output.
#pragma once

#include "pymatrix/plan.hpp"

#include <string>
#include <vector>

namespace pymatrix::cli {

/// Loads `path`, expands it, keeps only the builds named in `only` (all when empty), prints
/// notes and warnings on stderr, fetches and verifies the source tarballs and validates every
/// build against its source (version, configure options, the rules table). Throws ConfigError
/// (exit 2) at the first problem, so nothing is built or written.
/// Keeps only the builds named in `only` (all when empty), in plan order. Throws ConfigError
/// (exit 2) naming --only and listing the build names when a name is unknown.
void select_builds(std::vector<Build>& builds, const std::vector<std::string>& only);

std::vector<Build> prepare_builds(const std::string& path, MatrixFile& file, const std::vector<std::string>& only = {});

}  // namespace pymatrix::cli
