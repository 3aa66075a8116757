#include "pymatrix/tags.hpp"

#include <fmt/format.h>

#include <regex>
#include <set>

namespace pymatrix {

bool is_valid_tag(const std::string& tag) {
    static const std::regex re(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
    return std::regex_match(tag, re);
}

SanitizedTag sanitize_tag(const std::string& wanted, const std::string& keep_suffix) {
    SanitizedTag out;
    std::set<char> replaced;
    for (char c : wanted) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-';
        if (!ok) replaced.insert(c);
        out.tag += ok ? c : '-';
    }
    for (char c : replaced)
        out.changes.push_back(fmt::format("'{}' is not allowed in a tag and was replaced by '-'",
                                          static_cast<unsigned char>(c) < 0x20 ? std::string("\\x") + fmt::format("{:02x}", c)
                                                                               : std::string(1, c)));
    if (out.tag.empty()) out.tag = "_";
    if (out.tag[0] == '.' || out.tag[0] == '-') {
        out.changes.push_back(fmt::format("a tag cannot start with '{}'; it now starts with '_'", out.tag[0]));
        out.tag[0] = '_';
    }
    if (out.tag.size() > 128) {
        std::size_t original = out.tag.size();
        std::string suffix = keep_suffix.size() < 128 ? keep_suffix : "";
        if (!suffix.empty() && out.tag.size() >= suffix.size() &&
            out.tag.compare(out.tag.size() - suffix.size(), suffix.size(), suffix) == 0)
            out.tag = out.tag.substr(0, 128 - suffix.size()) + suffix;
        else
            out.tag = out.tag.substr(0, 128);
        out.changes.push_back(fmt::format("the tag was {} characters long and was cut to 128 (the OCI limit)", original));
    }
    return out;
}

std::string repository_problem(const std::string& repository) {
    if (repository.empty()) return "the repository is empty";
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t slash = repository.find('/', start);
        parts.push_back(repository.substr(start, slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    std::size_t first = 0;
    const std::string& p0 = parts[0];
    if (parts.size() > 1 && (p0.find('.') != std::string::npos || p0.find(':') != std::string::npos || p0 == "localhost")) {
        static const std::regex host(R"([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?)");
        if (!std::regex_match(p0, host)) return fmt::format("'{}' is not a registry host[:port]", p0);
        first = 1;
    }
    static const std::regex component(R"([a-z0-9]+([._-][a-z0-9]+)*)");
    for (std::size_t i = first; i < parts.size(); ++i) {
        const std::string& c = parts[i];
        if (std::regex_match(c, component)) continue;
        bool upper = false;
        for (char ch : c) upper |= (ch >= 'A' && ch <= 'Z');
        if (upper) return fmt::format("repository path components must be lowercase (OCI distribution spec): '{}'", c);
        return fmt::format("'{}' is not a repository path component ([a-z0-9]+([._-][a-z0-9]+)*)", c);
    }
    if (repository.size() > 255) return "the repository name is longer than 255 characters";
    return "";
}

bool names_registry_host(const std::string& reference) {
    auto slash = reference.find('/');
    if (slash == std::string::npos) return false;
    std::string first = reference.substr(0, slash);
    return first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost";
}

std::string registry_host(const std::string& repository) {
    return names_registry_host(repository) ? repository.substr(0, repository.find('/')) : "docker.io";
}

std::string repository_of(const std::string& reference) {
    if (auto at = reference.find('@'); at != std::string::npos) return reference.substr(0, at);
    auto colon = reference.rfind(':');
    auto slash = reference.rfind('/');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return reference;
    return reference.substr(0, colon);
}

std::string network_problem(const std::string& mode) {
    if (mode == "default" || mode == "none" || mode == "host") return "";
    return "'" + mode + "' is not a network mode of docker buildx build (default, none or host)";
}

}  // namespace pymatrix
