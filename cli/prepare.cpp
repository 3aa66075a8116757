#include "prepare.hpp"

#include "pymatrix/build.hpp"
#include "pymatrix/cpython.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <set>

namespace pymatrix::cli {

void select_builds(std::vector<Build>& builds, const std::vector<std::string>& only) {
    if (!only.empty()) {
        std::vector<std::string> all;
        for (auto& b : builds) all.push_back(b.name);
        const std::string names = fmt::format("{}", fmt::join(all, ", "));
        std::set<std::string> wanted;
        for (auto& n : only) {
            bool known = false;
            for (auto& b : builds) known |= b.name == n;
            if (!known) throw ConfigError({}, "--only", fmt::format("no build is named '{}' (builds: {})", n, names));
            wanted.insert(n);
        }
        std::erase_if(builds, [&](const Build& b) { return !wanted.count(b.name); });
    }
}

std::vector<Build> prepare_builds(const std::string& path, MatrixFile& file, const std::vector<std::string>& only) {
    file = load_matrix_file(path);
    auto builds = expand(file);
    select_builds(builds, only);
    for (auto& b : builds) {
        for (auto& n : b.notes) std::cerr << fmt::format("pymatrix: note: {}: {}\n", b.name, n);
        for (auto& w : b.warnings) std::cerr << fmt::format("pymatrix: warning: {}: {}\n", b.name, w);
    }
    verify_sources(builds);
    validate_builds_against_sources(builds);
    return builds;
}

}  // namespace pymatrix::cli
