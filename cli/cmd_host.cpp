// pymatrix host [--format table|json]
#include "commands.hpp"
#include "output.hpp"

#include "pymatrix/cpuinfo.hpp"
#include "pymatrix/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <iostream>

namespace po = boost::program_options;

namespace pymatrix::cli {

nlohmann::json cpu_to_json(const isa::CpuInfo& c) {
    return {{"arch", c.arch}, {"vendor", c.vendor}, {"model", c.model}, {"level", c.level},
            {"hypervisor", c.hypervisor}, {"flags", c.flags}, {"source", c.source}};
}

int cmd_host(const Args& args) {
    const std::string usage = "pymatrix host [--format table|json]";
    po::options_description desc("host options");
    desc.add_options()("help,h", "show this help")("format", po::value<std::string>()->default_value("table"),
                                                    "table or json");
    auto vm = parse_options(args, desc, "", usage);
    if (vm.count("help")) {
        std::cout << usage << "\n" << desc;
        return exit_ok;
    }
    std::string format = vm["format"].as<std::string>();
    require_format(format, {"table", "json"});
    auto c = isa::host_cpu();
    if (format == "json") {
        std::cout << cpu_to_json(c).dump(2) << '\n';
        return exit_ok;
    }
    const std::string flags = fmt::format("{}", fmt::join(c.flags, " "));
    print_table({{"arch", c.arch}, {"vendor", c.vendor}, {"model", c.model},
                 {"x86-64 level", c.level.empty() ? "-" : c.level}, {"hypervisor", c.hypervisor ? "yes" : "no"},
                 {"flags", flags}});
    return exit_ok;
}

}  // namespace pymatrix::cli
