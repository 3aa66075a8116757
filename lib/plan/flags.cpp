// Flags where they belong (CPython's configure): CFLAGS and LDFLAGS are recorded in sysconfig
// and reused for every extension built later in the image; CFLAGS_NODIST and LDFLAGS_NODIST are
// for CPython itself. Tuning flags given for CPython move to the _NODIST variables.
#include "flags.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <regex>
#include <sstream>

namespace pymatrix {
namespace {

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string unwords(const std::vector<std::string>& w) { return util::join(w, " "); }

bool tuning(const std::string& w, bool linker) {
    if (w.rfind("-march=", 0) == 0 || w.rfind("-mtune=", 0) == 0 || w.rfind("-flto", 0) == 0) return true;
    return linker ? w.rfind("-L", 0) == 0 : w.rfind("-I", 0) == 0;
}

/// Moves tuning words of `from` to the end of `to`; returns the moved words.
std::vector<std::string> move_tuning(std::string& from, std::string& to, bool linker) {
    std::vector<std::string> keep, moved, w = words(from);
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (!tuning(w[i], linker)) {
            keep.push_back(w[i]);
            continue;
        }
        moved.push_back(w[i]);
        if ((w[i] == "-I" || w[i] == "-L") && i + 1 < w.size()) moved.push_back(w[++i]);  // "-I dir"
    }
    if (moved.empty()) return moved;
    from = unwords(keep);
    to = unwords(words(to + " " + unwords(moved)));
    return moved;
}

}  // namespace

void place_flags(ProfileSettings& s, std::vector<std::string>& notes, std::vector<std::string>& warnings) {
    if (!s.keep_cflags) {
        auto moved = move_tuning(s.cflags, s.cflags_nodist, false);
        if (!moved.empty())
            notes.push_back(fmt::format("moved '{}' from cflags to cflags_nodist: CFLAGS is recorded in sysconfig and "
                                        "reused for every extension built later (keep_cflags = true keeps it)",
                                        unwords(moved)));
        moved = move_tuning(s.ldflags, s.ldflags_nodist, true);
        if (!moved.empty())
            notes.push_back(fmt::format("moved '{}' from ldflags to ldflags_nodist: LDFLAGS is recorded in sysconfig "
                                        "and reused for every extension built later (keep_cflags = true keeps it)",
                                        unwords(moved)));
    }
    static const std::regex olevel(R"(^-O([0-3sgz]|fast)?$)");
    for (auto* flags : {&s.cflags, &s.cflags_nodist}) {
        for (auto& w : words(*flags)) {
            if (!std::regex_match(w, olevel) || w == "-O3") continue;
            warnings.push_back(fmt::format("{} in {} comes after CPython's own -O3 (configure's OPT) and overrides it",
                                           w, flags == &s.cflags ? "cflags" : "cflags_nodist"));
            if (w == "-O0" && s.pgo)
                warnings.push_back("-O0 with pgo: the profile is gathered and applied to unoptimised code");
        }
    }
}

std::string cflags_nodist_with_march(const ProfileSettings& s) {
    if (s.march.empty()) return s.cflags_nodist;
    return s.cflags_nodist.empty() ? "-march=" + s.march : s.cflags_nodist + " -march=" + s.march;
}

}  // namespace pymatrix
