// pymatrix/ci_matrix.hpp: a matrix as CI jobs, one job per build, each running
// `pymatrix build FILE --only NAME --push` (GitHub Actions strategy.matrix, GitLab child pipeline).
// Pure functions of the expanded builds: no file, engine or registry is touched; throw nothing.
#pragma once

#include "pymatrix/plan.hpp"

#include <string>
#include <vector>

namespace pymatrix {

/// What every emitted job runs: `pymatrix build FILE --only NAME --push [--repository R]`.
struct CiJobCommand {
    std::string file;        ///< the matrix file as the job sees it (path relative to the checkout)
    std::string repository;  ///< passed as --repository when not empty (already validated)
};

/// GitHub Actions: the value for `strategy.matrix` through `fromJSON(...)`, on one line (no
/// newline) so it fits `echo "matrix=$(...)" >> "$GITHUB_OUTPUT"`:
/// {"include":[{"build":NAME,"python":VERSION,"python_key":KEY,"profile":PROFILE,
/// "tag":READABLE_TAG,"config_hash":FIRST_12_HEX}, ...]} in plan order. Callers keep to
/// github_max_jobs (github_part()).
std::string github_matrix(const std::vector<Build>& builds);

/// GitHub Actions runs at most 256 jobs per matrix (one workflow run's `strategy.matrix`); a
/// larger one is refused by GitHub when the workflow starts.
inline constexpr std::size_t github_max_jobs = 256;

/// Part `part` (1-based) of `builds` cut, in plan order, into ceil(n / github_max_jobs) parts of
/// at most github_max_jobs builds: one GitHub matrix each. `part` 0 asks for the whole list,
/// which is returned when it fits one matrix. Throws ConfigError (exit 2) naming "--part" when
/// `part` is past the last part, and naming the matrix `file` when the builds need more than one
/// part and none was asked for, with the --part calls that print them.
std::vector<Build> github_part(const std::vector<Build>& builds, std::size_t part, const std::string& file);

/// GitLab CI: a child pipeline (YAML) with stage `build` and one job `build:NAME` per build,
/// whose script is the shell-quoted CiJobCommand with --only NAME and whose variables carry
/// PYMATRIX_BUILD, PYMATRIX_PYTHON, PYMATRIX_PROFILE and PYMATRIX_CONFIG_HASH. Strings are
/// emitted as double-quoted YAML scalars (JSON escaping), so any build name or path stays data.
/// `header` (e.g. a `default:` block with image and before_script) is not added here: the
/// parent job prepends what its runners need (see examples/ci/gitlab-ci.yml).
std::string gitlab_pipeline(const std::vector<Build>& builds, const CiJobCommand& command);

/// The job command for one build as a POSIX shell line, arguments quoted where needed:
/// "pymatrix build matrices/quickstart.toml --only 3.13-default --push".
std::string ci_build_command(const CiJobCommand& command, const std::string& build_name);

}  // namespace pymatrix
