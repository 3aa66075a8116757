// cpython/options.cpp: configure option names, their feature prefixes, built-ins that take a
// separate value, and near-miss suggestions.
#include "pymatrix/cpython.hpp"
#include "util/text.hpp"

#include <array>
#include <map>

namespace pymatrix {
namespace {

constexpr std::array<std::string_view, 4> kFeaturePrefixes = {"--enable-", "--disable-", "--without-", "--with-"};

bool positive(std::string_view prefix) { return prefix == "--enable-" || prefix == "--with-"; }

}  // namespace

std::string_view feature_prefix(const std::string& option) {
    for (auto p : kFeaturePrefixes)
        if (option.rfind(p, 0) == 0) return p;
    return {};
}

bool takes_separate_value(const std::string& option) {
    if (!feature_prefix(option).empty()) return false;
    return option != "--config-cache" && option != "--quiet" && option != "--silent";
}

std::string option_name(const std::string& arg) {
    if (arg.empty() || arg[0] != '-') return "";
    std::string name = arg.substr(0, arg.find('='));
    if (name.size() > 1 && name[1] != '-') name = "-" + name;  // configure accepts "-enable-x"
    auto prefix = feature_prefix(name);
    for (std::size_t i = prefix.size(); i < name.size() && !prefix.empty(); ++i)
        if (name[i] == '_' || name[i] == '+' || name[i] == '.') name[i] = '-';  // configure: [-+.] -> _
    return name;
}

std::string suggest_option(const std::string& unknown, const std::set<std::string>& known) {
    const std::string name = option_name(unknown).empty() ? unknown : option_name(unknown);
    if (auto prefix = feature_prefix(name); !prefix.empty()) {
        std::map<std::string, std::vector<std::string>> by_stem;
        for (const auto& k : known)
            if (auto kp = feature_prefix(k); !kp.empty()) by_stem[k.substr(kp.size())].push_back(k);
        std::vector<std::string> stems;
        for (auto& [stem, _] : by_stem) stems.push_back(stem);
        const std::string stem = name.substr(prefix.size());
        std::string best = util::closest(stem, stems);
        // util::closest allows 2 edits even in a 3-letter stem ("jit" -> "gil"): allow len/3 there
        if (!best.empty() && util::edit_distance(stem, best) > std::max<std::size_t>(1, stem.size() / 3))
            best.clear();
        auto unique_stem = [&](auto matches) {
            std::string found;
            for (const auto& s : stems)
                if (matches(s)) {
                    if (!found.empty()) return std::string();
                    found = s;
                }
            return found;
        };
        if (best.empty() && stem.size() >= 3)  // an abbreviation: the one stem it begins
            best = unique_stem([&](const std::string& s) { return s.rfind(stem, 0) == 0; });
        if (best.empty() && stem.size() >= 3)  // the last word of one stem: "jit" -> "experimental-jit"
            best = unique_stem([&](const std::string& s) {
                return s.ends_with("-" + stem);
            });
        if (best.empty()) return "";  // the whole name would only match on its prefix
        const auto& options = by_stem[best];
        for (const auto& o : options)  // same prefix first, then same polarity
            if (feature_prefix(o) == prefix && o != name) return o;
        for (const auto& o : options)
            if (positive(feature_prefix(o)) == positive(prefix) && o != name) return o;
        return "";
    }
    std::vector<std::string> all(known.begin(), known.end());
    if (auto best = util::closest(name, all); !best.empty() && best != name) return best;
    std::string only;
    for (const auto& k : known)
        if (name.size() >= 4 && k.rfind(name, 0) == 0) {
            if (!only.empty()) return "";
            only = k;
        }
    return only;
}

}  // namespace pymatrix
