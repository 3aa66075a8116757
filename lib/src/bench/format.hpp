// bench/format.hpp: how the bench reports write numbers (internal).
#pragma once

#include "pymatrix/bench.hpp"

#include <string>

namespace pymatrix::bench {

/// 38.1234 "tasks/s" -> "38.12 tasks/s"; bytes -> "17.6 MiB"; 4 significant digits.
std::string format_value(double value, const std::string& unit);

/// "1.032x [0.981, 1.090]".
std::string format_ratio(const RatioInterval& r);

}  // namespace pymatrix::bench
