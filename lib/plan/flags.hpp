// plan/flags.hpp: moving tuning flags to the _NODIST variables, and flag warnings (internal).
#pragma once

#include "pymatrix/profile.hpp"

#include <string>
#include <vector>

namespace pymatrix {

/// Unless s.keep_cflags: moves -march=, -mtune=, -flto* and -I from cflags to cflags_nodist, and
/// -march=, -mtune=, -flto* and -L from ldflags to ldflags_nodist, adding a note saying what
/// moved. Warns when an -O level other than -O3 overrides CPython's -O3, and when -O0 meets PGO.
/// CFLAGS_NODIST as configure gets it: the profile's cflags_nodist, then -march=<march> when set
/// (one space between). Throws nothing.
std::string cflags_nodist_with_march(const ProfileSettings& s);

void place_flags(ProfileSettings& s, std::vector<std::string>& notes, std::vector<std::string>& warnings);

}  // namespace pymatrix
