// Reading build logs: regrtest failures in the PGO training run.
#include "pymatrix/build.hpp"

#include <algorithm>
#include <regex>
#include <sstream>

namespace pymatrix {

std::vector<std::string> pgo_failed_tests(const std::string& log_text) {
    static const std::regex prefix(R"(^#\d+ \d+(\.\d+)? ?)");
    static const std::regex summary(R"(^\s*\d+ tests? failed:\s*$)");
    static const std::regex single(R"(^\s*(test_[A-Za-z0-9_.]+) failed\b.*$)");
    static const std::regex name(R"(test_[A-Za-z0-9_.]+)");
    std::vector<std::string> out;
    auto add = [&](const std::string& t) {
        if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    };
    std::istringstream in(log_text);
    std::string line;
    bool in_summary = false;
    while (std::getline(in, line)) {
        line = std::regex_replace(line, prefix, "");
        if (std::regex_match(line, summary)) {
            in_summary = true;
            continue;
        }
        if (in_summary) {
            if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
                for (std::sregex_iterator it(line.begin(), line.end(), name), end; it != end; ++it) add(it->str());
                continue;
            }
            in_summary = false;
        }
        std::smatch m;
        if (std::regex_match(line, m, single)) add(m[1]);
    }
    return out;
}

}  // namespace pymatrix
