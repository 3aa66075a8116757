// cpython/rules_detail.hpp: what rules.cpp knows that builder_toolchain() (toolchain.cpp) reads
// too: the Debian suites' packages, the compiler a configure argv selects, which rows apply.
// Only minor_version_of() throws (ConfigError, no position).
#pragma once

#include "pymatrix/cpython.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pymatrix::rules_detail {

/// The compiler configure will use: the last CC= argument, else the base image's cc (gcc).
struct Compiler {
    std::string shown;    ///< for messages: "CC=clang-19", "gcc (no CC= given, ...)"
    bool clang = false;   ///< CC names clang or clang-N (after ccache/env/VAR=x words, any path)
    int major = 0;        ///< clang major: N of clang-N, the suite's default for "clang"; 0 = unknown
    std::string package;  ///< Debian package of that clang: "clang-19", "clang"; "" for gcc
};

/// Space- (or `sep`-) separated words of `s`, empty words dropped.
std::vector<std::string> words(std::string_view s, char sep = ' ');

/// The value an argument gives its option: "--with-lto=thin" -> "thin", "--enable-x" -> "yes".
std::string value_of(const std::string& arg);

/// Whether row `r` applies to an option given with `value` (its `values`, "" = any).
bool applies_to_value(const OptionRule& r, const std::string& value);

/// "3.13.5" -> {3, 13}. Throws ConfigError (no position) unless "MAJOR.MINOR[...]".
MinorVersion minor_version_of(const std::string& python_version);

/// Whether `suite` (as debian_suite() names it) is one whose packages the table lists.
bool suite_known(const std::string& suite);

/// "bookworm-security" when the known `suite` has `package` only in its security updates, else "".
std::string security_suite_of(const std::string& suite, const std::string& package);

/// Whether the known `suite` has `package` (false for unknown suites).
bool suite_has(const std::string& suite, const std::string& package);

/// The compiler of `configure_args` in `suite` (whose default clang "clang" means).
Compiler compiler_of(const std::vector<std::string>& configure_args, const std::string& suite);

}  // namespace pymatrix::rules_detail
