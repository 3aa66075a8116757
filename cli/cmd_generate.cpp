// pymatrix generate FILE -o DIR [--only NAME]...
#include "commands.hpp"
#include "output.hpp"
#include "prepare.hpp"

#include "pymatrix/render.hpp"

#include <fmt/format.h>

#include <iostream>

namespace po = boost::program_options;

namespace pymatrix::cli {

int cmd_generate(const Args& args) {
    const std::string usage = "pymatrix generate FILE -o DIR [--only NAME]...";
    po::options_description desc("generate options");
    desc.add_options()("help,h", "show this help")("output,o", po::value<std::string>(), "output directory")(
        "only", po::value<std::vector<std::string>>(), "generate only this build name (repeatable)");
    auto vm = parse_options(args, desc, "file", usage);
    if (vm.count("help")) {
        std::cout << usage << "\n" << desc;
        return exit_ok;
    }
    const std::string path = single_file(vm, usage);
    if (!vm.count("output")) throw ConfigError({}, "--output", "missing -o DIR (usage: " + usage + ")");
    std::vector<std::string> only;
    if (vm.count("only")) only = vm["only"].as<std::vector<std::string>>();
    MatrixFile file;
    auto builds = prepare_builds(path, file, only);
    auto written = write_build_dirs(builds, vm["output"].as<std::string>());
    for (std::size_t i = 0; i < builds.size(); ++i)
        std::cout << (builds[i].python.is_packaged()
                          ? fmt::format("{}  {} (the context is complete)\n", builds[i].name, written[i].string())
                          : fmt::format("{}  {} (context also needs {})\n", builds[i].name, written[i].string(),
                                        context_source_name(builds[i])));
    return exit_ok;
}

}  // namespace pymatrix::cli
