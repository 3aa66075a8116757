// profile/validate.hpp: value rules for TOML fields (internal). Each returns "" when the value
// is acceptable, else the reason. Rules cite their source where one exists.
#pragma once

#include <string>

namespace pymatrix {

/// A ./configure argument: "--enable-X", "--disable-X", "--with-X[=V]", "--without-X" or
/// "VAR=VALUE" with VAR an uppercase identifier (autoconf's argument grammar).
std::string configure_option_problem(const std::string& option);
/// Flag-like values (cflags, ldflags, profile_task, and the values of configure's flag and tool
/// variables and --with-X=/--enable-X= options) reach make recipes, which run them through a
/// shell: they may hold only [A-Za-z0-9 _./:,+=@%~-]. Returns "" or the reason naming the character.
std::string shell_word_problem(const std::string& value);
/// shell_word_problem() for a configure argument, except VAR=VALUE with a VAR that configure only
/// records in CONFIG_ARGS (not a compiler, flag, tool or PROFILE_TASK variable): its value is
/// single-quoted by configure and carried inert, so quotes, spaces and ';' are allowed; '$', '`'
/// and '\' are still refused (make expands '$' in the config.status recipe that reuses CONFIG_ARGS).
std::string configure_value_problem(const std::string& option);
/// A Debian package name (Debian Policy 5.6.7: [a-z0-9][a-z0-9+.-]+).
std::string package_problem(const std::string& name);
/// A packaged python's `package`: a Debian package named pythonX.Y (python3.13), the name
/// Debian gives each interpreter version's package, which installs /usr/bin/pythonX.Y
/// (Debian Python Policy 1.3); Python 3 only. "python3" (the default-version metapackage) is refused: which
/// version it installs depends on the release, so the build would not know what it builds.
std::string packaged_python_problem(const std::string& name);
/// lto: yes | full | thin | no (CPython configure.ac --with-lto=[full|thin|no|yes]).
std::string lto_problem(const std::string& value);
/// jit: yes | yes-off | interpreter | no (configure.ac --enable-experimental-jit).
std::string jit_problem(const std::string& value);
/// march: a GCC -march value ([a-z0-9][a-z0-9._+-]*), e.g. x86-64-v3, znver3, native; an
/// "x86-64-vN" must be one of the x86-64 psABI's levels v2, v3, v4.
std::string march_problem(const std::string& value);
/// compiler: one the rules table knows (pymatrix/cpython.hpp known_compilers(): "gcc", "clang",
/// "clang-19", ...); names them all otherwise, with a near miss first when there is one.
std::string compiler_problem(const std::string& value);
/// An image reference [HOST[:PORT]/]PATH[:TAG][@sha256:HEX] (OCI distribution spec).
std::string image_reference_problem(const std::string& ref);
/// A python or profile name used in build names: [A-Za-z0-9][A-Za-z0-9_.+-]{0,63}.
std::string name_problem(const std::string& name);
/// A CPython version X.Y.Z with an optional pre-release suffix (a1, b2, rc1).
std::string version_problem(const std::string& version);
/// A source: a relative path without "..", an absolute path, or an http(s):// or file:// URL.
std::string source_problem(const std::string& source);
/// 64 hex digits.
std::string sha256_problem(const std::string& hex);

}  // namespace pymatrix
