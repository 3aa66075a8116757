// pymatrix/error.hpp: the exceptions the library throws and the CLI exit codes they map to.
// Every pymatrix function documents which of these it throws; nothing else escapes on purpose.
#pragma once

#include <stdexcept>
#include <string>

namespace pymatrix {

/// Process exit codes of the `pymatrix` CLI (documented in docs/cli.md, "Exit codes").
enum ExitCode : int {
    exit_ok = 0,              ///< done
    exit_internal = 1,        ///< internal error (a bug, or an unexpected system failure)
    exit_config = 2,          ///< usage or configuration rejected before anything was built
    exit_build_failed = 3,    ///< one or more builds failed (the others finished); a bench run failed
    exit_rejected = 4,        ///< deployment rejected (ISA mismatch, or an unlabelled image)
    exit_environment = 5,     ///< environment not ready (no docker/buildx, daemon unreachable, a base image
                              ///< that cannot be pulled, a registry that does not answer)
    exit_interrupted = 130,   ///< `build` cancelled by SIGINT (Ctrl-C): 128 + 2, the shell convention
    exit_terminated = 143,    ///< `build` cancelled by SIGTERM: 128 + 15
};

/// Base of all pymatrix errors; `exit_code()` is the CLI exit code it maps to.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int exit_code = exit_internal)
        : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const noexcept { return exit_code_; }

private:
    int exit_code_;
};

/// A position in a configuration file: 1-based line and column, 0 when unknown.
struct SourcePosition {
    std::string file;
    unsigned line = 0;
    unsigned column = 0;
};

/// "FILE:LINE:COLUMN: KEY: MESSAGE", leaving out the position (or only line and column) and the key
/// when unknown: the one layout of every message that points into a matrix file. Throws nothing.
std::string located_message(const SourcePosition& where, const std::string& key, const std::string& message);

/// Bad configuration (TOML syntax, unknown key, wrong type, unknown reference, extends
/// cycle, duplicate build, invalid tag or repository, bad CLI flag). Exit code 2.
/// what() reads "FILE:LINE:COLUMN: KEY: MESSAGE" (position and key omitted when unknown).
class ConfigError : public Error {
public:
    ConfigError(SourcePosition where, std::string key, std::string message);
    const SourcePosition& where() const noexcept { return where_; }
    const std::string& key() const noexcept { return key_; }
    /// The message alone, without position and key.
    const std::string& reason() const noexcept { return reason_; }

private:
    SourcePosition where_;
    std::string key_;
    std::string reason_;
};

/// The environment cannot run builds: docker or buildx missing, no daemon answering,
/// base image absent (then located_message() names the file, line and key asking for it).
/// Exit code 5. The message says what to run to fix it.
class EnvironmentError : public Error {
public:
    explicit EnvironmentError(const std::string& message) : Error(message, exit_environment) {}
};

}  // namespace pymatrix
