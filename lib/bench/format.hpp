// bench/format.hpp: how the bench reports write numbers and files (internal).
#pragma once

#include "pymatrix/bench.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace pymatrix::bench {

/// 38.1234 "tasks/s" -> "38.12 tasks/s"; bytes -> "17.6 MiB"; 4 significant digits, but whole
/// numbers from 10,000 up (10290.4 "tasks/min" -> "10290 tasks/min", never "1.029e+04").
std::string format_value(double value, const std::string& unit);

/// "1.032x [0.981, 1.090]".
std::string format_ratio(const RatioInterval& r);

/// How the result's intervals were computed, for a report's legend: interval_method(true) when
/// every ratio is paired, interval_method(false) when none is, else a sentence naming both.
std::string interval_note(const Result& result);

/// Writes each (path, content) to "<path>.tmp", then renames them all into place. A path that
/// exists as a directory (or other non-file) is refused before anything is written; a failed
/// write or rename leaves no file of the set behind (temporaries and the files already renamed
/// in this call are removed).
/// Throws Error naming the file that could not be written.
void write_files_atomically(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

}  // namespace pymatrix::bench
