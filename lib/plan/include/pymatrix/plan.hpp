// pymatrix/plan.hpp: expanding a MatrixFile into concrete Builds (name, configure argv,
// tags, config hash). Throws pymatrix::ConfigError (exit 2) on duplicate names or bad tags.
#pragma once

#include "pymatrix/profile.hpp"
#include "pymatrix/templates.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace pymatrix {

/// One concrete build: a python crossed with a profile (and any extra axis values).
struct Build {
    std::string name;                 ///< "<python key>-<profile>[-<extra axis values>]", e.g. "3.13-opt-v3"
    std::string profile;              ///< profile name
    Python python;                    ///< the CPython source, or the packaged interpreter
    ProfileSettings settings;         ///< the profile's settings with axis overrides applied
    std::map<std::string, std::string> axes;  ///< the matrix combination that produced it
    std::vector<std::string> configure_args;  ///< exact argv after ./configure (no shell): configure_arguments()
                                              ///< then builder_toolchain()'s assignments (LLVM_BOLT=...)
    std::string base_image;           ///< FROM of every stage
    std::vector<std::string> build_packages;  ///< the profile's extra Debian packages
    std::vector<std::string> toolchain_packages;  ///< what the rules table adds (builder_toolchain(): "bolt-19")
    std::string repository;           ///< image repository, from [defaults]
    std::string config_hash;          ///< 64 hex: sha256 over source sha256, base image, canonical profile, template version
    std::vector<std::string> tags;    ///< full references "<repository>:<tag>": readable tag, then config-hash tag
    std::vector<std::string> notes;   ///< messages about tag sanitising (what changed and why)
    std::vector<std::string> warnings;///< e.g. march=native binds the image to the build host CPU
    SourcePosition where;             ///< where the combination came from
};

/// The most builds one matrix may expand to. A few lines of TOML can ask for billions of
/// combinations (ten axes of ten values); expand() refuses more than this before allocating
/// them. 100,000 is ten times the largest matrix benchmarked (bench/README.md: 10,000 builds
/// plan in well under a second) and far beyond what any CI fans out (GitHub: 256 jobs per matrix).
inline constexpr std::size_t max_builds = 100000;

/// Expands the matrix (GitHub-Actions semantics): the cartesian product of the axes in order
/// (python, profile, then extra axes), minus every combination that matches an `exclude`
/// entry on all of that entry's keys; then each `include` entry either extends the matching
/// combinations with its extra keys or, when it matches none, adds a new combination.
/// Extra axes override the profile setting of the same name. A packaged python's build has no
/// configure argv and takes no build setting (plan/packaged.hpp, tag "<python key>-<profile>").
/// Each source build's configure_args get
/// builder_toolchain()'s assignments appended, its toolchain_packages that function's packages
/// (and its warnings the function's notes); the config hash covers both, and equals the hash
/// without them when there are none.
/// Throws ConfigError when two builds get the same name or the same tag, or a tag cannot be
/// made valid, or a build's `compiler` setting meets a CC= in its `configure` (key
/// "profiles.<profile>.compiler": both choose the compiler), or a `pgo_workload` is set with
/// pgo = false or together with `profile_task` (key "profiles.<profile>.pgo_workload"), or when the axes' product plus the include entries exceeds max_builds (named
/// file:line of [matrix], key "matrix", with the product and each axis' size).
std::vector<Build> expand(const MatrixFile& file);

/// The argument vector passed to ./configure for `settings` (CPython's configure.ac option
/// names): --enable-option-checking=fatal, --enable-optimizations, --with-lto[=X],
/// --enable-bolt, --enable-experimental-jit[=X], CC=<compiler> (a `compiler` other than "gcc"),
/// the profile's `configure` list, then
/// CFLAGS=, CFLAGS_NODIST= (with -march=), LDFLAGS=, LDFLAGS_NODIST=, PROFILE_TASK= when set;
/// for a `pgo_workload`, PROFILE_TASK=/pymatrix-pgo/pgo_train.py pymatrix-pgo-trained
/// /pymatrix-pgo/<file> <args> (CPython's Makefile runs `./python $(PROFILE_TASK)`: the training
/// driver and the workload, bind-mounted read-only at pgo_workload_mount by the Dockerfile).
std::vector<std::string> configure_arguments(const ProfileSettings& settings);

/// Where a build's Dockerfile mounts its PGO workload (read-only, for the make step).
inline constexpr const char* pgo_workload_mount = "/pymatrix-pgo";
/// The file pgo_train.py writes in the build directory when the training workload exited 0;
/// the Dockerfile fails the build without it (make ignores a failing training run).
inline constexpr const char* pgo_workload_stamp = "pymatrix-pgo-trained";

/// The plan as JSON: {"file":..., "builds":[{name, python (python_json()),
/// profile, axes, configure_args, cflags, cflags_nodist, ldflags, ldflags_nodist, base_image,
/// build_packages, toolchain_packages, tags, config_hash, notes, warnings}]}.
nlohmann::json plan_to_json(const MatrixFile& file, const std::vector<Build>& builds);

/// Writes plan_to_json(file, builds).dump(2) followed by a newline to `out`, byte for byte, one
/// build at a time (memory stays that of one build's JSON; used by `plan --format json`).
/// Throws nothing itself; the stream's state reports write errors.
void write_plan_json(std::ostream& out, const MatrixFile& file, const std::vector<Build>& builds);

/// A python as in a build's "python" member: {key, version, source, sha256} for a source build,
/// {key, version, package, packages, base_image} for a packaged one.
nlohmann::json python_json(const Python& python);

/// One build as in plan_to_json()'s "builds" array.
nlohmann::json build_to_json(const Build& build);

/// Checks every source build against its own source, before anything is built (a packaged
/// python's build has none and is skipped): reads the facts of
/// build.python.source_path (read_source_facts of pymatrix/cpython.hpp, cached by sha256), then
///  - the declared version must equal PY_VERSION
///    (else ConfigError at build.python.where, key "pythons.<key>.version");
///  - every configure argument must be an option of that source (option_name() in
///    facts.options), a VAR=value assignment with a valid shell name, or the value of the
///    preceding built-in option that takes one ("--prefix" "/opt"); --disable-X and
///    --without-X take no value; short forms and abbreviations that configure would also take
///    ("-q", "--pre") are refused: a profile spells options out (else ConfigError at build.where, key
///    "profiles.<profile>.configure": "'--enable-optimisations' is not a configure option of
///    CPython 3.13.5; did you mean '--enable-optimizations'?");
///  - check_rules() must find nothing (else ConfigError at build.where, key
///    "profiles.<profile>.<setting>" naming the profile setting the argument came from
///    (pgo, lto, bolt, jit) or "configure", message with the row's reason and citation).
/// When an unknown option is also outside an `available` rule's range, the rule's message is
/// given (it says why). Throws the first problem as ConfigError (exit 2); a tarball that cannot
/// be read is reported as ConfigError at build.python.where, key "pythons.<key>.source".
void validate_builds_against_sources(const std::vector<Build>& builds);

/// --repository: makes every build use `repository` instead of [defaults].repository
/// (Build::repository and the repository part of every tag; tags themselves and the config
/// hash do not change). Validated as the TOML value is (repository_problem() of
/// pymatrix/tags.hpp): throws ConfigError (exit 2) naming the flag `option` ("--repository")
/// otherwise.
void override_repository(std::vector<Build>& builds, const std::string& repository,
                         const std::string& option = "--repository");

}  // namespace pymatrix
