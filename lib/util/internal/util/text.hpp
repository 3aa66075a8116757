// util/text.hpp: small string helpers shared by the library (internal header).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pymatrix::util {

/// Levenshtein edit distance between a and b.
std::size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word` if it is a plausible typo (distance <= max(2, len/3)), else "".
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

/// The text before the first newline (all of `s` when it has none).
std::string first_line(const std::string& s);

/// The last non-empty-ended line: trailing newlines dropped, then the text after the last newline.
std::string last_line(const std::string& s);

/// The whole content of the file at `path`, byte for byte; std::nullopt when it cannot be opened.
std::optional<std::string> read_file(const std::filesystem::path& path);

/// Joins with a separator.
std::string join(const std::vector<std::string>& parts, const std::string& sep);

/// "" when `value` is safe to carry (valid UTF-8, no control characters, <= max_bytes), else why.
std::string value_problem(const std::string& value, std::size_t max_bytes = 4096);

}  // namespace pymatrix::util
