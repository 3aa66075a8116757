// The one layout of messages that point into a matrix file, and ConfigError.
#include "pymatrix/error.hpp"

#include <fmt/format.h>

namespace pymatrix {

std::string located_message(const SourcePosition& where, const std::string& key, const std::string& message) {
    std::string s;
    if (!where.file.empty()) {
        s += where.file;
        if (where.line) s += fmt::format(":{}:{}", where.line, where.column);
        s += ": ";
    }
    if (!key.empty()) s += key + ": ";
    return s + message;
}

ConfigError::ConfigError(SourcePosition where, std::string key, std::string message)
    : Error(located_message(where, key, message), exit_config),
      where_(std::move(where)),
      key_(std::move(key)),
      reason_(std::move(message)) {}

}  // namespace pymatrix
