// pymatrix/cpython.hpp: what a CPython source tarball accepts (its version and every
// ./configure option, read from the tarball itself) and the per-version option rules.
// Reading throws pymatrix::Error; validating builds throws pymatrix::ConfigError (exit 2).
#pragma once

#include "pymatrix/error.hpp"

#include <compare>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pymatrix {

/// What one CPython source tarball is, read from its own files.
struct SourceFacts {
    /// PY_VERSION from <top>/Include/patchlevel.h, e.g. "3.13.5".
    std::string version;
    /// Every ./configure option the source accepts, spelled as on the command line and without
    /// a value: "--enable-optimizations", "--with-lto", "--disable-gil", "--without-readline",
    /// plus autoconf's built-in options ("--prefix", "--host", "--enable-option-checking", ...).
    std::set<std::string> options;
    /// The `ac_user_opts` entries of configure, in its order: "enable_gil", "with_lto", ...
    /// (3.13.5 lists 59, 3.11.2 lists 53).
    std::vector<std::string> ac_user_opts;
    /// The single top-level directory of the tarball, e.g. "Python-3.13.5".
    std::string top_directory;
};

/// Reads the facts of a CPython source tarball (any compression libarchive reads; tar format
/// only), streaming, without unpacking anything to disk:
///  - PY_VERSION from `<top>/Include/patchlevel.h`;
///  - the options from `<top>/configure`: each `ac_user_opts` entry `enable_X` gives
///    `--enable-X` and `--disable-X`, `with_X` gives `--with-X` and `--without-X`, underscores
///    become dashes (`enable_gil` -> `--disable-gil`); plus the autoconf built-ins that the
///    argument-parsing loop of that configure accepts and that a build profile may pass
///    (installation directories, --build/--host/--target, --program-*, --cache-file,
///    --config-cache, --quiet/--silent, --x-includes/--x-libraries, --enable-option-checking);
///    --help, --version, --srcdir, --no-create and --no-recursion are left out on purpose.
/// The tarball's sha256 is computed while it is read and must equal `sha256`.
/// The result is cached as JSON in `$PYMATRIX_CACHE/facts/<sha256>.json` (else
/// `$XDG_CACHE_HOME/pymatrix/facts`, else `~/.cache/pymatrix/facts`); a later call with the same
/// sha256 is answered from that file without opening the tarball (so `tarball` may then be
/// empty). An unreadable or unwritable cache is ignored: the tarball is read instead.
/// Throws Error (exit code 2) when `sha256` is not 64 lowercase hex digits, the file cannot be
/// read, is not a tar archive, has another sha256, has a member whose path is absolute or
/// contains `..`, has a member that is neither a regular file nor a directory (symlink,
/// hard link, device: CPython release tarballs have none), has members outside one common
/// top-level directory, lacks `<top>/Include/patchlevel.h` (or its PY_VERSION) or
/// `<top>/configure` (or its `ac_user_opts` block).
SourceFacts read_source_facts(const std::filesystem::path& tarball, const std::string& sha256);

/// The option an argv element of ./configure names, canonical and without its value:
/// "--with-lto=thin" -> "--with-lto"; "-enable-shared" -> "--enable-shared" (configure accepts
/// one dash); in a feature name `_`, `+` and `.` become `-`, as configure maps them to the same
/// shell variable ("--enable-experimental_jit" -> "--enable-experimental-jit").
/// Returns "" for anything not starting with '-': "CFLAGS=x" (a variable, not an option) or a
/// bare word. Never throws.
std::string option_name(const std::string& arg);

/// The autoconf feature prefix of a canonical option: "--enable-", "--disable-", "--without-"
/// (tried before "--with-") or "--with-"; "" for any other option. Throws nothing.
std::string_view feature_prefix(const std::string& option);

/// Whether an autoconf built-in written without '=' takes the next argv element as its value
/// ("--prefix" "/opt/python"); feature options and the flag-like built-ins do not. Throws nothing.
bool takes_separate_value(const std::string& option);

/// A near-miss suggestion for an option that `known` lacks, or "" when nothing is close.
/// For --enable-/--disable-/--with-/--without- options, compares only the stems: by edit
/// distance (pymatrix::util::closest, at most max(1, len/3) edits), else the one stem the
/// unknown one begins ("optim"), else the one stem it is the last word of ("jit" ->
/// "experimental-jit"); and answers in the polarity asked for (enable/with vs. disable/without):
/// "--with-optimizations" and "--enable-optimisations" both give "--enable-optimizations",
/// "--without-gil" gives "--disable-gil", "--enable-lto" gives "--with-lto". Other options are
/// compared whole, then by unique prefix ("--pre" -> "--prefix"). Never throws.
std::string suggest_option(const std::string& unknown, const std::set<std::string>& known);

/// A CPython feature release, major.minor ("3.13"); {0, 0} means "none".
struct MinorVersion {
    int major = 0;
    int minor = 0;
    auto operator<=>(const MinorVersion&) const = default;
    bool none() const { return major == 0 && minor == 0; }
};

/// How a rule row applies.
enum class RuleKind {
    /// CPython accepts the option only from `since` (through `until` when set): using it with
    /// another version is a violation. Within the range the compiler and package checks apply.
    available,
    /// The option needs `compiler`/`packages` when the version is in [since, until]; outside
    /// the range the row says nothing.
    requires_toolchain,
    /// A combination seen to crash: the option, with the compiler `compiler` (exactly, e.g.
    /// "clang-19") and the tool of the Debian package `packages` (e.g. "bolt-19", as the tool
    /// path configure is given shows it: LLVM_BOLT=/usr/lib/llvm-19/bin/llvm-bolt), for a
    /// version in [since, until]. check_rules() refuses it and names the row's `way_out`.
    known_crash,
};

/// One row of the per-version option rules (data: see option_rules()).
struct OptionRule {
    RuleKind kind;
    std::string_view option;    ///< as option_name() returns it: "--enable-bolt"
    std::string_view values;    ///< "" = any value; else space-separated values the row applies to
                                ///< (a bare --enable-X/--with-X counts as "yes")
    MinorVersion since;         ///< first CPython release the row applies to
    MinorVersion until;         ///< last release it applies to; {0, 0} = no maximum
    std::string_view compiler;  ///< "" any; "clang" any clang; "clang>=19" clang 19 or newer;
                                ///< "clang-19" exactly clang 19 (known_crash rows)
                                ///< (the compiler is CC= from the configure args, else gcc)
    std::string_view packages;  ///< Debian packages the builder needs: space-separated groups of
                                ///< '|' alternatives; checked against the base image's suite
                                ///< (known_crash rows: the one package whose tool crashes)
    std::string_view tools;     ///< what the build runs, for humans
    std::string_view reason;    ///< why, for humans
    std::string_view citation;  ///< where the rule comes from
    std::string_view way_out = {};  ///< known_crash rows: what to change instead, for humans
};

/// The rules table: --enable-bolt (3.12+, llvm-bolt and merge-fdata; known to crash as bolt-19
/// on a clang-19 build of 3.13), --enable-experimental-jit (3.13+; LLVM 18 exactly for 3.13,
/// 19 for 3.14), --disable-gil (3.13+), --with-tail-call-interp (3.14+, clang 19+),
/// --with-lto=thin (3.11+, clang only, llvm-ar), --with-lto=full (3.11+). Static data; never throws.
std::span<const OptionRule> option_rules();

/// The Debian suite a base image reference is built on, from its name and tag:
/// "debian:bookworm-slim", "debian:12", "docker.io/library/debian:12.11" -> "bookworm";
/// "debian:trixie", "debian:13-slim" -> "trixie"; any image whose tag has "bookworm" or
/// "trixie" as a dash-separated word ("python:3.13-slim-bookworm") -> that suite;
/// "" when unknown (then no package checks are made). Never throws.
std::string debian_suite(const std::string& base_image);

/// The compilers a profile's `compiler` key may name, as the rules table knows them: "gcc"
/// (the base image's cc, the default: no CC= is passed), "clang" (the Debian suite's default
/// clang) and "clang-N" for every N some known Debian suite packages (Debian 12: 13, 14, 15,
/// 16, 19 and, from bookworm-security, 22; Debian 13: 17, 18, 19, 22), in that order, N rising.
/// Static data; never throws.
std::vector<std::string> known_compilers();

/// One broken rule.
struct RuleViolation {
    std::string argument;  ///< the configure argument as given: "--enable-experimental-jit=yes-off"
    std::string message;   ///< what is wrong for this build, one sentence
    std::string reason;    ///< the row's reason
    std::string citation;  ///< the row's citation
};

/// Checks `configure_args` (the exact argv of ./configure) of a build of CPython
/// `python_version` ("3.13.5") FROM `base_image` against option_rules(), in argument order:
/// version outside an `available` row's range; a compiler requirement not met by CC= (the last
/// CC= argument; none means the base image's gcc; an unversioned "clang" is the suite's
/// default: 14 in bookworm, 19 in trixie); a clang CC= whose package the base image's known
/// Debian suite lacks (argument: the CC= one; configure would find no C compiler); a package
/// group none of whose alternatives the base image's Debian suite has (known suites: bookworm,
/// trixie; others are not checked); a `known_crash` row's combination (the message names the
/// row's way out).
/// Returns every violation (empty when the build is fine).
/// Throws ConfigError (no position) when `python_version` is not "MAJOR.MINOR[...]".
std::vector<RuleViolation> check_rules(const std::string& python_version,
                                       const std::vector<std::string>& configure_args,
                                       const std::string& base_image);

/// What the builder stage of one build needs beyond the shared apt layer of the Dockerfile
/// template, as the rules table implies it (builder_toolchain()).
struct BuilderToolchain {
    /// Debian packages to install in the build-deps stage, in rule order, without duplicates
    /// and without packages the profile's build_packages already installs: "bolt-19", "clang-19",
    /// "llvm-19", "python3".
    std::vector<std::string> packages;
    /// VAR=value arguments to append to ./configure for tools whose names carry a version
    /// suffix or live outside PATH: "LLVM_BOLT=/usr/lib/llvm-19/bin/llvm-bolt".
    std::vector<std::string> assignments;
    /// What could not be provided and why, one sentence each (e.g. a CC= clang the suite lacks).
    std::vector<std::string> notes;
};

/// The toolchain a build of CPython `python_version` ("3.13.5") with `configure_args` (the
/// exact argv of ./configure) FROM `base_image` needs, whose profile already installs
/// `build_packages`:
///  - for each configure argument and each option_rules() row that applies to it (option,
///    value, version in the row's range; a value of "no" needs nothing), each '|' group of the
///    row's `packages` gives one package: an alternative already in `build_packages` (then
///    nothing is added); else the alternative whose LLVM major is that of a clang CC= (CPython
///    3.12 with CC=clang-16 picks bolt-16 of "bolt-19|...|bolt-15"); else the first alternative the base image's Debian
///    suite has (groups list them in order of preference, newest first: --enable-bolt gets
///    bolt-19 on Debian 12 (with gcc; clang-22 gets bolt-22), because CPython 3.13's BOLT_APPLY_FLAGS
///    need BOLT 18+ and bolt-15/16 lack -reorder-functions=cdsort); for a suite debian_suite() does not know, the first
///    alternative, unchecked. A group the known suite cannot provide is skipped: check_rules()
///    reports it;
///  - a CC= that names clang gives its package ("clang-19", or "clang" for CC=clang) when the
///    suite has it (else a note: configure would find no compiler);
///  - tools configure looks up by unversioned name (configure.ac AC_PATH_TOOL, searching PATH
///    and, only for CC=clang, clang's LLVM directory), which Debian installs in
///    /usr/lib/llvm-N/bin and on PATH only as name-N:
///      --enable-bolt: LLVM_BOLT=/usr/lib/llvm-N/bin/llvm-bolt and
///                     MERGE_FDATA=/usr/lib/llvm-N/bin/merge-fdata (N of the chosen bolt-N);
///      --with-lto (any value but no) with a clang CC: LLVM_AR=/usr/lib/llvm-N/bin/llvm-ar;
///      --enable-optimizations with a clang CC: LLVM_PROFDATA=/usr/lib/llvm-N/bin/llvm-profdata;
///    for the clang ones N is the clang's major and the package llvm-N is added (clang-N does
///    not depend on it); when N is unknown (CC=clang on an unknown suite) a note says so;
///  - --enable-optimizations with a clang CC also gets libclang-rt-N-dev, when the suite has it:
///    the profile runtime libclang_rt.profile.a of the instrumented link (-fprofile-instr-generate),
///    which clang-N only recommends (its libclang-common-N-dev does), so a --no-install-recommends
///    install lacks it and the link stops with "ld: cannot find .../libclang_rt.profile-x86_64.a";
///  - a variable the arguments already assign (a profile's own "LLVM_BOLT=/opt/bolt/bin/llvm-bolt")
///    keeps its value: no assignment is added for it (its package is still installed).
/// A package the suite has only in its security updates (bookworm: clang-22, llvm-22, bolt-22,
/// libclang-rt-22-dev, from bookworm-security) gets a note each: the base image must list that suite.
/// A build that needs none of this gets an empty result. Throws ConfigError (no position) when
/// `python_version` is not "MAJOR.MINOR[...]"; never anything else.
BuilderToolchain builder_toolchain(const std::string& python_version,
                                   const std::vector<std::string>& configure_args,
                                   const std::string& base_image,
                                   const std::vector<std::string>& build_packages = {});

}  // namespace pymatrix
