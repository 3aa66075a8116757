// pymatrix/profile.hpp: the TOML model (pythons, profiles, matrix, defaults) and its loader.
// Loading throws pymatrix::ConfigError (exit 2) naming file:line:column and the key.
#pragma once

#include "pymatrix/error.hpp"
#include "pymatrix/templates.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pymatrix {

/// A python: `[pythons.KEY]` in the TOML file. Either a CPython source that pymatrix builds
/// (`version`, `source`, `sha256`), or a distribution's packaged interpreter (`package`, with
/// optional `packages` and `base_image`) that pymatrix installs into a thin image: is_packaged().
struct Python {
    std::string key;          ///< the table key, used in build names ("3.13", "3.13-debian")
    /// A source build: the full version, "3.13.5" (X.Y.Z, optionally with a pre-release suffix).
    /// A packaged one: "X.Y" taken from the package name (python3.13 -> "3.13"); the exact
    /// version is read back from the interpreter after the build (label io.pymatrix.python.version).
    std::string version;
    std::string source;       ///< as written: a path relative to the TOML file, or an http(s)/file URL
    std::filesystem::path source_path;  ///< absolute local path when `source` is a path, else empty
    std::string sha256;       ///< 64 lowercase hex digits of the tarball
    /// A Debian package that installs /usr/bin/pythonX.Y ("python3.13"; it must be named
    /// pythonX.Y), or "" for a source build.
    std::string package;
    /// More Debian packages installed beside `package`: stdlib modules Debian ships apart
    /// ("python3-gdbm" for dbm.gnu, "python3.13-venv" for ensurepip).
    std::vector<std::string> packages;
    /// FROM of a packaged python's image ("debian:trixie-slim"): the distribution release whose
    /// package is installed; "" = the profile's base_image, else defaults.base_image.
    std::string base_image;
    SourcePosition where;     ///< position of the table, for later error messages
    /// "version", "source", "sha256", "package", "packages", "base_image" -> where written
    std::map<std::string, SourcePosition> key_where;

    /// Whether this python is a distribution package (`package` given) rather than a source build.
    bool is_packaged() const { return !package.empty(); }
};

/// Build settings of one profile, after `extends` is resolved. Empty/unset means "not given".
/// Scalars of a child override its parent; `configure` and `build_packages` append to the parent's.
struct ProfileSettings {
    std::vector<std::string> configure;      ///< extra ./configure options, verbatim ("--enable-shared")
    bool pgo = false;                         ///< --enable-optimizations (profile-guided optimisation)
    std::string lto;                          ///< "" off, "yes" -> --with-lto, "full"/"thin" -> --with-lto=X
    bool bolt = false;                        ///< --enable-bolt (CPython >= 3.12)
    std::string jit;                          ///< "" off, "yes" -> --enable-experimental-jit, else =VALUE
    std::string cflags;                       ///< CFLAGS=... (also used by extensions built later)
    std::string cflags_nodist;                ///< CFLAGS_NODIST=... (CPython itself only)
    std::string ldflags;                      ///< LDFLAGS=...
    std::string ldflags_nodist;               ///< LDFLAGS_NODIST=...
    std::string march;                        ///< appended to CFLAGS_NODIST as -march=VALUE
    std::optional<std::string> profile_task;  ///< PROFILE_TASK=... (the PGO training command)
    /// "" (not given), a bundled workload ("worker-pool", "kernels"; pymatrix/templates.hpp
    /// pgo_workloads()), or "dir:<dir>" for a directory of the user's (pgo_workload_files holds
    /// it), that the PGO training run executes instead of PROFILE_TASK's default regrtest subset:
    /// PROFILE_TASK=/pymatrix-pgo/pgo_train.py ... on configure's argv. Needs pgo = true; not
    /// together with profile_task (plan/expand.cpp refuses both).
    std::string pgo_workload;
    /// `pgo_workload = { dir = "DIR", script = "FILE", args = [...] }`: the directory's files as
    /// the loader read them (DIR relative to the TOML file); empty for a bundled workload.
    std::shared_ptr<const PgoWorkload> pgo_workload_files;
    bool keep_cflags = false;                 ///< true: -march/-mtune/-flto/-I/-L stay in cflags/ldflags
    /// The C compiler: "" (not given) or "gcc" = the base image's cc (no CC= is passed); "clang"
    /// or "clang-N" = CC=clang-N on configure's argv, whose packages and LLVM tools the rules
    /// table adds (pymatrix/cpython.hpp builder_toolchain()). One of known_compilers().
    std::string compiler;
    std::string base_image;                   ///< FROM of every stage; "" = defaults.base_image
    std::vector<std::string> build_packages;  ///< extra Debian packages in the build-deps stage
    /// Where each key was last set (the child's line, or the parent's it inherits), for messages.
    std::map<std::string, SourcePosition> origin;
};

/// A `[profiles.NAME]` table.
struct Profile {
    std::string name;
    std::string description;
    std::string extends;       ///< parent profile name or ""
    ProfileSettings settings;  ///< resolved (parents applied) after load
    SourcePosition where;
};

/// `[defaults]`: image repository and base image.
struct Defaults {
    std::string repository = "pymatrix/cpython";   ///< [HOST[:PORT]/]PATH, lowercase path components
    std::string base_image = "debian:bookworm-slim";
    SourcePosition repository_where;
    SourcePosition base_image_where;  ///< where base_image was written (file only when left at its default)
    /// `docker buildx build --network` of the builds' RUN steps: "default", "none" or "host"
    /// (BuildKit's modes); "" = not given (the --network flag, else $PYMATRIX_NETWORK, else the
    /// builder's default). "host" needs the network.host entitlement on a remote BuildKit.
    std::string network;
    SourcePosition network_where;
};

/// One matrix combination before resolution: axis name -> value (as a string, or a TOML
/// scalar rendered as a string). Always holds "python" and "profile".
struct Combination {
    std::map<std::string, std::string> values;
    std::vector<std::string> order;   ///< axis names in display order: python, profile, extras
    SourcePosition where;             ///< the [matrix] table or the include entry
};

/// `[matrix]`: axes, include and exclude, GitHub-Actions semantics (see expand()).
struct MatrixSpec {
    std::vector<std::pair<std::string, std::vector<std::string>>> axes;  ///< python, profile, extras
    std::vector<std::map<std::string, std::string>> include;
    std::vector<std::map<std::string, std::string>> exclude;
    std::vector<SourcePosition> include_where;
    SourcePosition where;
};

/// A whole loaded file.
struct MatrixFile {
    std::filesystem::path path;      ///< absolute path of the TOML file
    Defaults defaults;
    std::map<std::string, Python> pythons;
    std::map<std::string, Profile> profiles;
    MatrixSpec matrix;
};

/// Loads and validates a matrix file (toml++). Resolves `extends` and relative source paths.
/// A python table holds either version + source + sha256 or package (+ packages, base_image):
/// a mix, or a package not named pythonX.Y, is a ConfigError at the offending key.
/// Throws ConfigError (exit 2) for: TOML syntax errors, unknown keys (with "did you mean"),
/// wrong value types, invalid values (sha256, version, package names, image references,
/// values with control characters), unknown profile or python in the matrix, extends cycles.
MatrixFile load_matrix_file(const std::filesystem::path& path);

/// Same, from TOML text; `display_path` names the file in messages and anchors relative paths.
MatrixFile load_matrix_string(const std::string& toml_text, const std::filesystem::path& display_path);

/// The workload a build's PGO training runs: settings.pgo_workload_files when set, else the bundled
/// workload named settings.pgo_workload, else nullptr.
const PgoWorkload* pgo_workload_of(const ProfileSettings& settings);

/// Profile keys that a matrix axis or include entry may override (march, pgo, lto, ...).
const std::vector<std::string>& profile_setting_keys();

}  // namespace pymatrix
