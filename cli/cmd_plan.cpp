// pymatrix plan FILE [--only NAME]... [--format table|json]
#include "commands.hpp"
#include "output.hpp"
#include "prepare.hpp"

#include "pymatrix/plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

namespace po = boost::program_options;

namespace pymatrix::cli {

int cmd_plan(const Args& args) {
    const std::string usage = "pymatrix plan FILE [--only NAME]... [--format table|json]";
    po::options_description desc("plan options");
    desc.add_options()("help,h", "show this help")("format", po::value<std::string>()->default_value("table"),
                                                    "table or json")(
        "only", po::value<std::vector<std::string>>(), "plan only this build name (repeatable)");
    auto vm = parse_options(args, desc, "file", usage);
    if (vm.count("help")) {
        std::cout << usage << "\n" << desc;
        return exit_ok;
    }
    std::string format = vm["format"].as<std::string>();
    require_format(format, {"table", "json"});
    const std::string path = single_file(vm, usage);
    std::vector<std::string> only;
    if (vm.count("only")) only = vm["only"].as<std::vector<std::string>>();
    MatrixFile file;
    auto builds = prepare_builds(path, file, only);
    if (format == "json") {
        write_plan_json(std::cout, file, builds);
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows = {{"NAME", "PYTHON", "PROFILE", "CONFIG HASH", "TAGS"}};
    for (auto& b : builds)
        rows.push_back({b.name, b.python.version, b.profile, b.config_hash.substr(0, 12),
                        fmt::format("{}", fmt::join(b.tags, " "))});
    print_table(rows);
    for (auto& b : builds) {
        if (b.python.is_packaged()) {  // nothing is compiled: what apt-get installs, and where
            std::cout << fmt::format("\n{}:\n  {:<16}{}\n  {:<16}{}\n", b.name, "packages:",
                                     fmt::format("{} {}", b.python.package, fmt::join(b.python.packages, " ")),
                                     "base image:", b.base_image);
            continue;
        }
        std::string argv;
        for (auto& a : b.configure_args) argv += " " + shell_quote(a);
        std::cout << fmt::format("\n{}:\n  ./configure{}\n", b.name, argv);
        const auto j = build_to_json(b);
        for (const char* k : {"cflags", "cflags_nodist", "ldflags", "ldflags_nodist"})
            std::cout << fmt::format("  {:<16}{}\n", std::string(k) + ":", j[k].get<std::string>());
        std::cout << fmt::format("  {:<16}{}\n", "base image:", b.base_image);
        if (!b.toolchain_packages.empty())  // what the rules table installs in the builder
            std::cout << fmt::format("  {:<16}{}\n", "toolchain:", fmt::join(b.toolchain_packages, " "));
    }
    std::cout << fmt::format("\n{} build(s) from {}\n", builds.size(), file.path.string());
    return exit_ok;
}

}  // namespace pymatrix::cli
