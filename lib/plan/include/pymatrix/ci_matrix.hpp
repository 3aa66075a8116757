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
/// "tag":READABLE_TAG,"config_hash":FIRST_12_HEX}, ...]} in plan order ({"include":[]} for no
/// builds). Callers keep to github_max_jobs (github_part()).
std::string github_matrix(const std::vector<Build>& builds);

/// GitHub Actions runs at most 256 jobs per matrix (one job's `strategy.matrix`); a larger one
/// fails the workflow when GitHub expands it. Several jobs with a matrix each are fine.
inline constexpr std::size_t github_max_jobs = 256;

/// Which GitHub matrix to print (`--part K` or `--part K/N`): `index` K from 1 (0: the whole
/// list), `count` N the number of matrix jobs the workflow has (0: not said).
struct GithubPart {
    std::size_t index = 0;
    std::size_t count = 0;
    bool operator==(const GithubPart&) const = default;
};

/// Parses the value of `--part`: "K" or "K/N", whole numbers with 1 <= K (<= N). Throws
/// ConfigError naming "--part" otherwise.
GithubPart parse_github_part(const std::string& text);

/// The builds of one GitHub matrix. The builds are cut, in plan order, into slices of
/// github_max_jobs (the last one shorter): slice K holds builds (K-1)*256+1 .. K*256.
///  - no part (index 0): all builds when they fit one matrix; else ConfigError (exit 2) naming the
///    matrix `file`, the number of builds, the limit and the `--part K/N` calls that split it.
///  - `K` alone: slice K; past the last slice is a ConfigError ("--part").
///  - `K/N` (a workflow with N matrix jobs): ConfigError ("--part") when the builds need more than
///    N slices, so a matrix that outgrows the workflow stops it instead of leaving builds out;
///    slice K otherwise, which is empty when K is past the last slice (the workflow skips that
///    job: `if: fromJSON(...).include[0] != null`), so a shrinking matrix needs no edit.
std::vector<Build> github_part(const std::vector<Build>& builds, GithubPart part, const std::string& file);

/// GitLab CI: a child pipeline (YAML) with stage `build` and one job `build:NAME` per build,
/// whose script is the shell-quoted CiJobCommand with --only NAME and whose variables carry
/// PYMATRIX_BUILD, PYMATRIX_PYTHON, PYMATRIX_PROFILE and PYMATRIX_CONFIG_HASH. Strings are
/// emitted as double-quoted YAML scalars (JSON escaping), so any build name or path stays data.
/// `header` (e.g. a `default:` block with image and before_script) is not added here: the
/// parent job prepends what its runners need (see examples/ci/gitlab-ci.yml). A child pipeline
/// is not a `parallel:matrix` (at most 200 jobs): only the instance's own limit on jobs per
/// pipeline applies, which pymatrix cannot know, so nothing is refused here.
std::string gitlab_pipeline(const std::vector<Build>& builds, const CiJobCommand& command);

/// The job command for one build as a POSIX shell line, arguments quoted where needed:
/// "pymatrix build matrices/quickstart.toml --only 3.13-default --push".
std::string ci_build_command(const CiJobCommand& command, const std::string& build_name);

}  // namespace pymatrix
