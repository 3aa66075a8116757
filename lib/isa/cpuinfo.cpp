// Parsing /proc/cpuinfo dumps (x86 "flags", aarch64 "Features").
#include "pymatrix/cpuinfo.hpp"
#include "pymatrix/error.hpp"
#include "pymatrix/isa.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pymatrix::isa {
namespace {
std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}
}  // namespace

CpuInfo parse_cpuinfo(const std::string& text, const std::string& source) {
    CpuInfo c;
    c.arch = "other";
    c.source = source;
    std::istringstream in(text);
    std::string line;
    bool have_flags = false;
    int blocks = 0;
    while (std::getline(in, line)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = trim(line.substr(0, colon));
        std::string value = trim(line.substr(colon + 1));
        if (key == "processor" && ++blocks > 1 && have_flags) break;  // the first CPU describes the machine
        if (!have_flags && (key == "flags" || key == "Features")) {
            have_flags = true;
            c.arch = key == "flags" ? "x86_64" : "aarch64";
            std::istringstream words(value);
            for (std::string w; words >> w;) c.flags.insert(w);
        } else if (key == "vendor_id" && c.vendor.empty()) {
            c.vendor = value;
        } else if (key == "CPU implementer" && c.vendor.empty()) {
            c.vendor = value;
        } else if ((key == "model name" || key == "cpu") && c.model.empty()) {
            c.model = value;
        }
    }
    c.hypervisor = c.flags.count("hypervisor") > 0;
    if (c.arch == "x86_64") c.level = level_of(c.flags);
    return c;
}

CpuInfo read_cpuinfo(const std::filesystem::path& path) {
    errno = 0;
    std::ifstream in(path);
    if (!in)
        throw ConfigError({}, "--target-cpuinfo",
                          fmt::format("cannot read {}: {}", path.string(), errno ? std::strerror(errno) : "open failed"));
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    auto cpu = parse_cpuinfo(text, path.string());
    if (cpu.arch == "other") {  // every architecture's dump numbers its CPUs: "processor : 0"
        bool numbered = false;
        std::istringstream lines(text);
        for (std::string line; !numbered && std::getline(lines, line);) {
            auto colon = line.find(':');
            numbered = colon != std::string::npos && trim(line.substr(0, colon)) == "processor";
        }
        if (!numbered)
            throw ConfigError({}, "--target-cpuinfo",
                              fmt::format("{} is not a /proc/cpuinfo dump: it has no 'processor' and no 'flags' or "
                                          "'Features' line (copy the target's /proc/cpuinfo)", path.string()));
    }
    return cpu;
}

CpuInfo host_cpu() { return parse_cpuinfo(util::read_file("/proc/cpuinfo").value_or(""), "/proc/cpuinfo"); }

CpuInfo cpu_for_level(const std::string& level) {
    CpuInfo c;
    try {
        c.flags = flags_for_level(level);
    } catch (const std::out_of_range&) {
        throw ConfigError({}, "--target-level",
                          fmt::format("'{}' is not an x86-64 level (x86-64, x86-64-v2, x86-64-v3, x86-64-v4)", level));
    }
    c.arch = "x86_64";
    c.level = level;
    c.model = "any " + level + " CPU";
    c.source = "--target-level " + level;
    return c;
}

}  // namespace pymatrix::isa
