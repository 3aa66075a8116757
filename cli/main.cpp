// pymatrix CLI entry point: dispatches the verb, maps exceptions to exit codes (README.md).
#include "commands.hpp"

#include "pymatrix/error.hpp"

#include <fmt/format.h>

#include <iostream>
#include <map>

namespace {
const char* kUsage = R"(pymatrix: CPython build matrices as Docker images

usage: pymatrix VERB [options]
       pymatrix VERB --help    every option of VERB, with its default (the manual: docs/cli.md)
       pymatrix --version

verbs:
  plan FILE [--only NAME]... [--format table|json]
                                           the expanded builds: configure argv, flags, tags, hash
  generate FILE -o DIR [--only NAME]...    one Dockerfile (and context files) per build
  build FILE [--only NAME]... [--jobs N] [--fail-fast] [--progress auto|tty|plain|quiet]
             [--log-dir DIR] [--builder NAME] [--network default|none|host]
             [--metadata-file F] [--pull] [--push] [--repository R] [--dry-run]
                                           build, label and tag every image with docker buildx;
                                           base images are pulled (--pull: always ask the registry);
                                           --push: build once against the registry, push every tag;
                                           --dry-run: print the docker/buildx commands, run nothing
  ci-matrix FILE --format github|gitlab [--only NAME]... [--repository R] [--part K[/N]]
                                           one CI job per build (GitHub strategy.matrix JSON,
                                           GitLab child pipeline YAML)
  inspect IMAGE [--format table|json]      the pymatrix labels of a local image, docker save archive
                                           or registry reference
  host [--format table|json]               this machine's arch, vendor, model, x86-64 level, flags
  check IMAGE... [--target-cpuinfo F | --target-level L] [--allow-unlabelled] [--format table|json]
                                           the deployment gate: can the target CPU run the image?
                                           IMAGE: local image, registry reference, docker save archive
  select [--target-cpuinfo F | --target-level L] [--allow-unlabelled] [--format table|json] IMAGE...
                                           the most specific image the target can run
  bench FILE|IMAGE... [--only NAME]... [--workload NAME | --command CMD [--mount DIR]] [--repeat N]
        [--duration S] [--cpus N] [--cpuset LIST] [--env K=V]... [--baseline IMAGE|BUILD]
        [--metadata-file F]... [--format table|json] [--report FILE.html|FILE.md]
  bench --from RESULT.json [--only NAME]... [--baseline NAME] [--format table|json] [--report F]
                                           run a workload in each image, interleaved; medians,
                                           ratios to the baseline with 95% intervals, plots

engine: the docker CLI's (DOCKER_HOST, DOCKER_CONTEXT); PYMATRIX_DOCKER names another docker CLI

exit codes: 0 done, 1 internal error, 2 configuration or usage rejected, 3 a build (or bench run) failed,
            4 deployment rejected or image unlabelled, 5 environment not ready (no engine or buildx,
            a base image that cannot be pulled, a registry that does not answer),
            130/143 build cancelled by SIGINT/SIGTERM
)";
}  // namespace

int main(int argc, char** argv) {
    using namespace pymatrix;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        std::cout << kUsage;
        return args.empty() ? exit_config : exit_ok;
    }
    if (args[0] == "--version") {
        std::cout << "pymatrix 0.1.0\n";
        return exit_ok;
    }
    static const std::map<std::string, int (*)(const cli::Args&)> verbs = {
        {"plan", cli::cmd_plan}, {"generate", cli::cmd_generate}, {"build", cli::cmd_build},
        {"inspect", cli::cmd_inspect}, {"host", cli::cmd_host}, {"check", cli::cmd_check},
        {"select", cli::cmd_select}, {"bench", cli::cmd_bench}, {"ci-matrix", cli::cmd_ci_matrix}};
    auto it = verbs.find(args[0]);
    if (it == verbs.end()) {
        std::cerr << fmt::format("pymatrix: unknown verb '{}' (try pymatrix --help)\n", args[0]);
        return exit_config;
    }
    try {
        return it->second(cli::Args(args.begin() + 1, args.end()));
    } catch (const Error& e) {
        std::cerr << "pymatrix: " << e.what() << '\n';
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cerr << "pymatrix: internal error: " << e.what() << '\n';
        return exit_internal;
    }
}
