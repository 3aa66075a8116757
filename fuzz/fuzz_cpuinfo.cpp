// libFuzzer target: the /proc/cpuinfo parser.
//
// Input: the bytes of a cpuinfo dump. pymatrix::isa::parse_cpuinfo() throws nothing, so any
// exception escaping (std::terminate -> abort), crash, sanitizer report or broken invariant
// below (abort with a message) is a finding.
#include "pymatrix/cpuinfo.hpp"
#include "pymatrix/isa.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void invariant_failed(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_cpuinfo: invariant failed: %s: %s\n", what, detail.c_str());
    std::abort();
}
#define CHECK(cond, detail) \
    do {                    \
        if (!(cond)) invariant_failed(#cond, (detail)); \
    } while (0)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const pymatrix::isa::CpuInfo c = pymatrix::isa::parse_cpuinfo(text, "fuzz");

    // What cpuinfo.hpp promises.
    CHECK(c.arch == "x86_64" || c.arch == "aarch64" || c.arch == "other", c.arch);
    CHECK(c.source == "fuzz", c.source);
    CHECK(c.hypervisor == (c.flags.count("hypervisor") > 0), "hypervisor");
    if (c.arch == "other") CHECK(c.flags.empty(), "flags without a flags/Features line");
    for (const auto& f : c.flags)
        CHECK(!f.empty() && f.find_first_of(" \t\n\r\f\v") == std::string::npos, "flag '" + f + "'");
    if (c.arch != "x86_64") {
        CHECK(c.level.empty(), c.level);
    } else if (!c.level.empty()) {
        const auto& levels = pymatrix::isa::x86_64_levels();
        CHECK(std::find(levels.begin(), levels.end(), c.level) != levels.end(), c.level);
        const auto need = pymatrix::isa::flags_for_level(c.level);
        CHECK(std::includes(c.flags.begin(), c.flags.end(), need.begin(), need.end()), c.level);
        CHECK(pymatrix::isa::level_of(c.flags) == c.level, c.level);
    }
    return 0;
}
