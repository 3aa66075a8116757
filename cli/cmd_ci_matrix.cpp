// pymatrix ci-matrix FILE --format github|gitlab [--only NAME]... [--repository R]
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
        "pymatrix ci-matrix FILE --format github|gitlab [--only NAME]... [--repository R] [--part K]";
    po::options_description desc("ci-matrix options");
    desc.add_options()("help,h", "show this help")("format", po::value<std::string>(), "github or gitlab")(
        "only", po::value<std::vector<std::string>>(), "only this build name (repeatable)")(
        "repository", po::value<std::string>(), "passed to every job's pymatrix build as --repository")(
        "part", po::value<int>(), "github: the K-th matrix of at most 256 builds (GitHub's limit per matrix)");
    auto vm = parse_options(args, desc, "file", usage);
    if (vm.count("help")) {
        std::cout << usage << "\n" << desc;
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
    int part = vm.count("part") ? vm["part"].as<int>() : 0;
    if (vm.count("part") && (part < 1 || format != "github"))
        throw ConfigError({}, "--part", format != "github" ? "only with --format github (a GitLab child pipeline has no such limit)"
                                                           : "must be 1 or more");
    if (format == "github") std::cout << github_matrix(github_part(builds, static_cast<std::size_t>(part), path)) << '\n';
    else std::cout << gitlab_pipeline(builds, command);
    return exit_ok;
}

}  // namespace pymatrix::cli
