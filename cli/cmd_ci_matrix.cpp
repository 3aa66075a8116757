// pymatrix ci-matrix FILE --format github|gitlab [--only NAME]... [--repository R] [--part K[/N]]
#include "commands.hpp"
#include "output.hpp"
#include "prepare.hpp"

#include "pymatrix/ci_matrix.hpp"
#include "pymatrix/tags.hpp"

#include <fmt/format.h>

#include <iostream>

namespace po = boost::program_options;

namespace pymatrix::cli {

int cmd_ci_matrix(const Args& args) {
    const std::string usage =
        "pymatrix ci-matrix FILE --format github|gitlab [--only NAME]... [--repository R] [--part K[/N]]";
    const std::string limits =
        "\nGitHub Actions runs at most 256 jobs per matrix. --format github refuses more (exit 2) and\n"
        "says how to split: a workflow with N build jobs gives job K the output of --part K/N, the\n"
        "K-th slice of at most 256 builds in plan order. --part K/N exits 2 when the builds need more\n"
        "than N slices (no build is left out unseen) and prints {\"include\":[]} for a slice past the\n"
        "last (skip that job with `if: fromJSON(...).include[0] != null`). --part K alone exits 2 past\n"
        "the last slice. --format gitlab writes a child pipeline, not a parallel:matrix (whose limit\n"
        "is 200 jobs): only the GitLab instance's limit on jobs per pipeline applies to it.\n";
    po::options_description desc("ci-matrix options");
    desc.add_options()("help,h", "show this help")("format", po::value<std::string>(), "github or gitlab")(
        "only", po::value<std::vector<std::string>>(), "only this build name (repeatable)")(
        "repository", po::value<std::string>(), "passed to every job's pymatrix build as --repository")(
        "part", po::value<std::string>(),
        "github: K or K/N, the K-th matrix (of N) of at most 256 builds, GitHub's limit per matrix");
    auto vm = parse_options(args, desc, "file", usage);
    if (vm.count("help")) {
        std::cout << usage << "\n" << desc << limits;
        return exit_ok;
    }
    if (!vm.count("format")) throw ConfigError({}, "--format", "missing --format github|gitlab (usage: " + usage + ")");
    const std::string format = vm["format"].as<std::string>();
    require_format(format, {"github", "gitlab"});
    const std::string path = single_file(vm, usage);
    CiJobCommand command{path, ""};
    if (vm.count("repository")) {
        command.repository = vm["repository"].as<std::string>();
        if (auto problem = repository_problem(command.repository); !problem.empty())
            throw ConfigError({}, "--repository", fmt::format("'{}': {}", command.repository, problem));
    }
    // load and expand only: the jobs read the tarballs and validate against them, so the job that
    // writes the matrix needs no CPython sources
    MatrixFile file = load_matrix_file(path);
    auto builds = expand(file);
    std::vector<std::string> only;
    if (vm.count("only")) only = vm["only"].as<std::vector<std::string>>();
    select_builds(builds, only);
    if (builds.empty()) throw ConfigError({}, "matrix", fmt::format("{}: the matrix has no builds", path));
    GithubPart part;
    if (vm.count("part")) {
        if (format != "github")
            throw ConfigError({}, "--part",
                              "only with --format github (a GitLab child pipeline is not a parallel:matrix and has no "
                              "limit of its own)");
        part = parse_github_part(vm["part"].as<std::string>());
    }
    if (format == "github") std::cout << github_matrix(github_part(builds, part, path)) << '\n';
    else std::cout << gitlab_pipeline(builds, command);
    return exit_ok;
}

}  // namespace pymatrix::cli
