// pymatrix build FILE [--only NAME]... [--log-dir DIR] [--builder NAME] [--push [--repository R]]
#include "commands.hpp"
#include "output.hpp"
#include "prepare.hpp"

#include "pymatrix/build.hpp"
#include "pymatrix/registry.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

namespace po = boost::program_options;

namespace pymatrix::cli {

int cmd_build(const Args& args) {
    const std::string usage =
        "pymatrix build FILE [--only NAME]... [--log-dir DIR] [--builder NAME] [--metadata-file F] [--push] "
        "[--repository HOST[:PORT]/PATH]";
    po::options_description desc("build options");
    desc.add_options()("help,h", "show this help")("only", po::value<std::vector<std::string>>(),
                                                    "build only this build name (repeatable)")(
        "log-dir", po::value<std::string>()->default_value(".pymatrix/logs"), "where each build's full log goes")(
        "builder", po::value<std::string>()->default_value(""), "docker buildx builder to use")(
        "metadata-file", po::value<std::string>(), "write per-build JSON (plan fields, status, id, size, stage times)")(
        "push", "push every tag to its registry; a build whose config hash the registry holds is not built")(
        "repository", po::value<std::string>(), "image repository for every build, instead of [defaults].repository")(
        "file", po::value<std::vector<std::string>>());
    auto vm = parse_options(args, desc, "file", usage);
    if (vm.count("help")) {
        std::cout << usage << "\n" << desc;
        return exit_ok;
    }
    const std::string path = single_file(vm, usage);
    std::vector<std::string> only;
    if (vm.count("only")) only = vm["only"].as<std::vector<std::string>>();
    MatrixFile file;
    auto builds = prepare_builds(path, file, only);
    const bool push = vm.count("push") > 0;
    if (vm.count("repository")) override_repository(builds, vm["repository"].as<std::string>());
    Engine engine;
    engine.require_ready();
    std::set<std::string> bases;
    for (auto& b : builds) bases.insert(b.base_image);
    for (auto& base : bases) engine.require_local_image(base);

    BuildOptions options;
    options.log_dir = vm["log-dir"].as<std::string>();
    options.builder = vm["builder"].as<std::string>();
    options.on_step = [](const Build& b, const std::string& stage, const std::string& step) {
        std::cout << fmt::format("[{}] {}: {}\n", b.name, stage, step.size() > 100 ? step.substr(0, 97) + "..." : step)
                  << std::flush;
    };
    std::vector<BuildResult> results;
    for (std::size_t i = 0; i < builds.size(); ++i) {
        std::cout << fmt::format("==> [{}/{}] {}\n", i + 1, builds.size(), builds[i].name) << std::flush;
        if (auto in_registry = push ? find_in_registry(engine, builds[i]) : std::nullopt) {
            results.push_back(*in_registry);
        } else if (auto cached = find_cached(engine, builds[i])) {
            results.push_back(*cached);
        } else {
            std::cout << fmt::format("    log: {}\n", (options.log_dir / (builds[i].name + ".log")).string()) << std::flush;
            results.push_back(build_one(engine, builds[i], options));
        }
        if (push) push_build(engine, builds[i], results.back());
        const auto& r = results.back();
        if (r.in_registry && r.ok) std::cout << fmt::format("==> {} cached: the registry holds {} with config hash {}\n", r.name,
                                                    r.tags.back(), builds[i].config_hash.substr(0, 12));
        else if (r.cached && r.ok) std::cout << fmt::format("==> {} cached: {} already holds config hash {}\n", r.name,
                                               r.tags.back(), builds[i].config_hash.substr(0, 12));
        else if (r.ok) std::cout << fmt::format("==> {} built in {}\n", r.name, human_seconds(r.seconds));
        else std::cout << fmt::format("==> {} FAILED after {}: {}\n", r.name, human_seconds(r.seconds), r.error);
        std::cout << std::flush;
    }
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows = {{"NAME", "STATUS", "DURATION", "SIZE", "TAGS"}};
    int failed = 0;
    for (auto& r : results) {
        failed += !r.ok;
        std::string tags;
        for (auto& t : r.tags) tags += (tags.empty() ? "" : " ") + t;
        rows.push_back({r.name, r.cached ? "cached" : r.ok ? "built" : "failed", human_seconds(r.seconds),
                        r.ok ? human_bytes(r.size_bytes) : "-", r.ok ? tags : "-"});
    }
    print_table(rows);
    for (auto& r : results)
        if (!r.pushed.empty()) std::cout << fmt::format("pushed {}: {}\n", r.name, r.pushed);
    if (vm.count("metadata-file")) {
        std::string path = vm["metadata-file"].as<std::string>();
        std::string tmp = path + ".tmp";
        {
            std::ofstream out(tmp, std::ios::trunc);
            out << metadata_json(file, builds, results).dump(2) << '\n';
            if (!out) throw Error("cannot write " + path, exit_internal);
        }
        std::filesystem::rename(tmp, path);
    }
    if (failed) {
        std::cerr << fmt::format("pymatrix: {} of {} build(s) failed\n", failed, results.size());
        return exit_build_failed;
    }
    return exit_ok;
}

}  // namespace pymatrix::cli
