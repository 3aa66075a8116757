#include "output.hpp"

#include "pymatrix/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace po = boost::program_options;

namespace pymatrix::cli {

po::variables_map parse_options(const std::vector<std::string>& args, const po::options_description& desc,
                                const std::string& positional_name, const std::string& usage) {
    po::options_description all;
    all.add(desc);
    // The positional operands (FILE, IMAGE...) get an option of their own that --help does not show.
    po::options_description operands;
    po::positional_options_description pos;
    if (!positional_name.empty()) {
        if (!desc.find_nothrow(positional_name, false))
            operands.add_options()(positional_name.c_str(), po::value<std::vector<std::string>>());
        all.add(operands);
        pos.add(positional_name.c_str(), -1);
    }
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args)
                      .options(all)
                      .positional(pos)
                      // no abbreviations: --re must not silently mean --repository
                      .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
                      .run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw ConfigError({}, "", fmt::format("{} (usage: {})", e.what(), usage));
    }
    return vm;
}

std::string single_file(const po::variables_map& vm, const std::string& usage) {
    if (!vm.count("file") || vm["file"].as<std::vector<std::string>>().size() != 1)
        throw ConfigError({}, "FILE", "exactly one matrix file is needed (usage: " + usage + ")");
    return vm["file"].as<std::vector<std::string>>()[0];
}

void require_format(const std::string& value, const std::vector<std::string>& allowed) {
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
        throw ConfigError({}, "--format", fmt::format("'{}' is not one of {}", value, fmt::join(allowed, "|")));
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], r[i].size());
        }
    for (auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i)
            line += i + 1 == r.size() ? r[i] : fmt::format("{:<{}}  ", r[i], width[i]);
        std::cout << line << '\n';
    }
}

std::string shell_quote(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+@%") ==
                          std::string::npos)
        return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string human_bytes(std::uint64_t b) {
    if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", b / double(1ull << 30));
    if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", b / double(1ull << 20));
    if (b >= 1024) return fmt::format("{:.1f} KiB", b / 1024.0);
    return fmt::format("{} B", b);
}

std::string human_seconds(double s) {
    if (s < 60) return fmt::format("{:.1f}s", s);
    auto total = static_cast<long>(s + 0.5);
    if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
    return fmt::format("{}h{:02}m{:02}s", total / 3600, (total % 3600) / 60, total % 60);
}

nlohmann::json read_json_file(const std::string& path, const std::string& flag) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw ConfigError({}, flag, fmt::format("cannot read '{}': it is a directory", path));
    errno = 0;
    std::ifstream in(path);
    if (!in)
        throw ConfigError({}, flag, fmt::format("cannot read '{}': {}", path, errno ? std::strerror(errno) : "open failed"));
    auto doc = nlohmann::json::parse(in, nullptr, false);
    if (doc.is_discarded()) throw ConfigError({}, flag, fmt::format("'{}' is not JSON", path));
    return doc;
}

}  // namespace pymatrix::cli
