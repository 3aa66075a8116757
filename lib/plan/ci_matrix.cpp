// A matrix as CI jobs: GitHub Actions strategy.matrix JSON, GitLab child pipeline YAML.
#include "pymatrix/ci_matrix.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace pymatrix {
namespace {

std::string sh_quote(const std::string& s) {
    static const std::string plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+@%";
    if (!s.empty() && s.find_first_not_of(plain) == std::string::npos) return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/// A YAML double-quoted scalar: JSON string escaping is a subset of YAML's.
std::string yaml_str(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace

std::string ci_build_command(const CiJobCommand& c, const std::string& build_name) {
    std::string cmd = "pymatrix build " + sh_quote(c.file) + " --only " + sh_quote(build_name) + " --push";
    if (!c.repository.empty()) cmd += " --repository " + sh_quote(c.repository);
    return cmd;
}

std::string github_matrix(const std::vector<Build>& builds) {
    nlohmann::ordered_json include = nlohmann::ordered_json::array();
    for (const auto& b : builds)
        include.push_back(nlohmann::ordered_json{{"build", b.name},
                                                 {"python", b.python.version},
                                                 {"python_key", b.python.key},
                                                 {"profile", b.profile},
                                                 {"tag", b.tags.front()},
                                                 {"config_hash", b.config_hash.substr(0, 12)}});
    return nlohmann::ordered_json{{"include", include}}.dump();
}

std::string gitlab_pipeline(const std::vector<Build>& builds, const CiJobCommand& command) {
    std::string y = "# GitLab CI child pipeline written by pymatrix ci-matrix: one job per build of " + command.file +
                    ".\n# Each job builds and pushes its build only; a build the registry already holds with the same\n"
                    "# config hash is reported cached and neither built nor pulled.\n"
                    "stages:\n  - build\n";
    for (const auto& b : builds) {
        y += "\n" + yaml_str("build:" + b.name) + ":\n";
        y += "  stage: build\n";
        y += "  variables:\n";
        y += "    PYMATRIX_BUILD: " + yaml_str(b.name) + "\n";
        y += "    PYMATRIX_PYTHON: " + yaml_str(b.python.version) + "\n";
        y += "    PYMATRIX_PROFILE: " + yaml_str(b.profile) + "\n";
        y += "    PYMATRIX_CONFIG_HASH: " + yaml_str(b.config_hash.substr(0, 12)) + "\n";
        y += "  script:\n";
        y += "    - " + yaml_str(ci_build_command(command, b.name)) + "\n";
    }
    return y;
}

GithubPart parse_github_part(const std::string& text) {
    auto number = [&](const std::string& digits) -> std::size_t {
        if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos)
            return 0;
        return static_cast<std::size_t>(std::stoul(digits));
    };
    const auto slash = text.find('/');
    GithubPart p{number(text.substr(0, slash)), slash == std::string::npos ? 0 : number(text.substr(slash + 1))};
    if (p.index == 0 || (slash != std::string::npos && (p.count == 0 || p.index > p.count)))
        throw ConfigError({}, "--part",
                          fmt::format("'{}' is not K or K/N (whole numbers, 1 <= K <= N): K picks the matrix, N is the "
                                      "number of matrix jobs in the workflow",
                                      text));
    return p;
}

std::vector<Build> github_part(const std::vector<Build>& builds, GithubPart part, const std::string& file) {
    const std::size_t slices = (builds.size() + github_max_jobs - 1) / github_max_jobs;
    auto calls = [&](std::size_t n) {
        std::vector<std::string> c;
        for (std::size_t k = 1; k <= n; ++k) c.push_back(fmt::format("--part {}/{}", k, n));
        return fmt::format("{}", fmt::join(c, ", "));
    };
    if (part.index == 0) {
        if (slices <= 1) return builds;
        throw ConfigError({file, 0, 0}, "matrix",
                          fmt::format("{} builds, but GitHub Actions runs at most {} jobs per matrix: split them over {} "
                                      "matrix jobs with {} (one setup job output each), or pick builds with --only",
                                      builds.size(), github_max_jobs, slices, calls(slices)));
    }
    if (part.count == 0 && part.index > slices)
        throw ConfigError({}, "--part", fmt::format("{} is past the last part: {} builds make {} part{} of at most {}",
                                                    part.index, builds.size(), slices, slices == 1 ? "" : "s",
                                                    github_max_jobs));
    if (part.count != 0 && slices > part.count)
        throw ConfigError({}, "--part",
                          fmt::format("{}/{}: {} builds need {} matrices of at most {} jobs, but the workflow has {} "
                                      "matrix job{}: give it {} ({})",
                                      part.index, part.count, builds.size(), slices, github_max_jobs, part.count,
                                      part.count == 1 ? "" : "s", slices, calls(slices)));
    const std::size_t from = std::min(builds.size(), (part.index - 1) * github_max_jobs);
    const std::size_t to = std::min(builds.size(), part.index * github_max_jobs);
    return {builds.begin() + static_cast<std::ptrdiff_t>(from), builds.begin() + static_cast<std::ptrdiff_t>(to)};
}

}  // namespace pymatrix
