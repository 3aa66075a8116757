// cli/output.hpp: console helpers shared by the verbs: option parsing, tables, quoting.
#pragma once

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace pymatrix::cli {

/// Parses `args` against `desc`; the operands (any count) land in vm[positional_name] as a
/// std::vector<std::string>, through an option --help does not list ("" = no operands). Throws
/// pymatrix::ConfigError (exit 2) naming the flag on unknown or malformed options.
boost::program_options::variables_map parse_options(const std::vector<std::string>& args,
                                                    const boost::program_options::options_description& desc,
                                                    const std::string& positional_name, const std::string& usage);

/// The one positional FILE of `plan`, `generate` and `build`; throws ConfigError (exit 2) unless
/// exactly one was given.
std::string single_file(const boost::program_options::variables_map& vm, const std::string& usage);

/// Reads the JSON document at `path`, given with the flag `flag` ("--from", "--metadata-file").
/// Throws ConfigError (exit 2) naming the flag: "cannot read 'F': <strerror>" when it cannot be
/// opened (or is a directory), "'F' is not JSON" when it does not parse.
nlohmann::json read_json_file(const std::string& path, const std::string& flag);

/// Checks a --format value against the allowed list; throws ConfigError (exit 2) otherwise.
void require_format(const std::string& value, const std::vector<std::string>& allowed);

/// Prints rows as an aligned table; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

/// POSIX shell quoting, for display only ("--with-lto" stays, "CFLAGS=-O3 -m" -> 'CFLAGS=-O3 -m').
std::string shell_quote(const std::string& s);

/// 123456789 -> "117.7 MiB".
std::string human_bytes(std::uint64_t bytes);

/// 75.2 -> "1m15s".
std::string human_seconds(double seconds);

}  // namespace pymatrix::cli
