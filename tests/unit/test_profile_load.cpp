// Loading matrix files: a valid file, and each class of error with its file:line:column and key.
#include <doctest/doctest.h>

#include "pymatrix/profile.hpp"

#include <string>

using namespace pymatrix;

namespace {
const std::string kHeader = R"([pythons."3.13"]
version = "3.13.5"
source = "../sources/Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
)";  // 4 lines

ConfigError load_error(const std::string& text) {
    try {
        load_matrix_string(text, "m.toml");
    } catch (const ConfigError& e) {
        return e;
    }
    FAIL("no ConfigError for:\n" << text);
    return ConfigError({}, "", "");
}
}  // namespace

TEST_CASE("a valid file loads with extends resolved and paths anchored at the file") {
    auto f = load_matrix_string(kHeader + R"(
[defaults]
repository = "registry.example:5000/team/cpython"

[profiles.pgo]
pgo = true
configure = ["--enable-shared"]
build_packages = ["libtool"]

[profiles.pgo-lto]
extends = "pgo"
lto = "thin"
configure = ["--with-computed-gotos"]
cflags_nodist = "-O3"
march = "x86-64-v3"

[matrix]
python = ["3.13"]
profile = ["pgo", "pgo-lto"]
)", "/srv/matrices/m.toml");
    CHECK(f.defaults.repository == "registry.example:5000/team/cpython");
    CHECK(f.defaults.base_image == "debian:bookworm-slim");
    CHECK(f.pythons.at("3.13").source_path == "/srv/sources/Python-3.13.5.tar.xz");
    const auto& s = f.profiles.at("pgo-lto").settings;
    CHECK(s.pgo);
    CHECK(s.lto == "thin");
    CHECK(s.configure == std::vector<std::string>{"--enable-shared", "--with-computed-gotos"});
    CHECK(s.build_packages == std::vector<std::string>{"libtool"});
    CHECK(s.march == "x86-64-v3");
    CHECK(f.profiles.at("pgo").settings.lto.empty());
}

TEST_CASE("TOML syntax error: file, line and column") {
    auto e = load_error(kHeader + "[profiles.a]\npgo = tru\n");
    CHECK(e.where().file == "m.toml");
    CHECK(e.where().line == 6);
    CHECK(std::string(e.what()).find("m.toml:6:") == 0);
    CHECK(std::string(e.what()).find("TOML syntax error") != std::string::npos);
    CHECK(e.exit_code() == 2);
}

TEST_CASE("unknown key with a did-you-mean") {
    auto e = load_error(kHeader + "[profiles.a]\ncflag_nodist = \"-O3\"\n[matrix]\npython=[\"3.13\"]\nprofile=[\"a\"]\n");
    CHECK(e.where().line == 6);
    CHECK(e.where().column == 1);
    CHECK(e.key() == "profiles.a.cflag_nodist");
    CHECK(e.reason() == "unknown key; did you mean 'cflags_nodist'?");
    auto e2 = load_error(kHeader + "[profile.a]\n");
    CHECK(e2.key() == "profile");
    CHECK(e2.reason() == "unknown key; did you mean 'profiles'?");
}

TEST_CASE("wrong value types") {
    auto e = load_error(kHeader + "[profiles.a]\npgo = \"yes\"\n");
    CHECK(e.key() == "profiles.a.pgo");
    CHECK(e.where().line == 6);
    CHECK(e.reason() == "expected a boolean (true or false), got a string");
    auto e2 = load_error(kHeader + "[profiles.a]\nconfigure = \"--enable-shared\"\n");
    CHECK(e2.key() == "profiles.a.configure");
    CHECK(e2.reason() == "expected an array of strings, got a string");
    auto e3 = load_error(kHeader + "[profiles.a]\nconfigure = [\"--enable-shared\", 3]\n");
    CHECK(e3.key() == "profiles.a.configure[1]");
    CHECK(e3.reason() == "expected a string, got an integer");
}

TEST_CASE("bad values: sha256, version, package name, control characters") {
    auto e = load_error("[pythons.x]\nversion = \"3.13\"\nsource = \"a.tar.xz\"\nsha256 = \"00\"\n");
    CHECK(e.key() == "pythons.x.version");
    CHECK(e.where().line == 2);
    auto e2 = load_error(kHeader + "[profiles.a]\nbuild_packages = [\"libfoo; rm -rf /\"]\n");
    CHECK(e2.key() == "profiles.a.build_packages");
    auto e3 = load_error(kHeader + "[profiles.a]\ncflags = \"-O2\\nRUN touch /pwned\"\n");
    CHECK(e3.key() == "profiles.a.cflags");
    CHECK(e3.reason().find("control character (0x0a)") != std::string::npos);
}

TEST_CASE("march: an x86-64 level the psABI does not define is refused at load, not in the build") {
    auto e = load_error(kHeader + "[profiles.a]\nmarch = \"x86-64-v9\"\n[matrix]\npython = [\"3.13\"]\nprofile = [\"a\"]\n");
    CHECK(e.key() == "profiles.a.march");
    CHECK(e.where().line == 6);
    CHECK(e.reason() == "'x86-64-v9' is not an x86-64 level (the psABI's: x86-64, x86-64-v2, x86-64-v3, x86-64-v4)");
    for (const char* ok : {"x86-64", "x86-64-v2", "x86-64-v4", "znver3", "native"})
        CHECK_NOTHROW(load_matrix_string(
            kHeader + "[profiles.a]\nmarch = \"" + ok + "\"\n[matrix]\npython = [\"3.13\"]\nprofile = [\"a\"]\n", "m.toml"));
}

TEST_CASE("a reference to an unknown profile or python") {
    auto e = load_error(kHeader + "[profiles.default]\n[matrix]\npython = [\"3.13\"]\nprofile = [\"defualt\"]\n");
    CHECK(e.key() == "matrix.profile[0]");
    CHECK(e.where().line == 8);
    CHECK(e.reason() == "unknown profile 'defualt'; did you mean 'default'?");
    auto e2 = load_error(kHeader + "[profiles.default]\n[matrix]\npython = [\"3.12\"]\nprofile = [\"default\"]\n");
    CHECK(e2.key() == "matrix.python[0]");
    CHECK(e2.where().line == 7);
    CHECK(e2.reason() == "unknown python '3.12'; did you mean '3.13'?");
    auto e3 = load_error(kHeader + "[profiles.a]\nextends = \"nope\"\n");
    CHECK(e3.key() == "profiles.a.extends");
    CHECK(e3.reason() == "unknown profile 'nope'");
}

TEST_CASE("an extends cycle names the chain") {
    auto e = load_error(kHeader + "[profiles.a]\nextends = \"b\"\n[profiles.b]\nextends = \"c\"\n[profiles.c]\nextends = \"a\"\n");
    CHECK(e.key() == "profiles.a.extends");
    CHECK(e.where().line == 6);
    CHECK(e.reason() == "extends cycle: a -> b -> c -> a");
}

TEST_CASE("an uppercase repository is rejected") {
    auto e = load_error("[defaults]\nrepository = \"Team/CPython\"\n");
    CHECK(e.key() == "defaults.repository");
    CHECK(e.where().line == 2);
    CHECK(e.reason() == "repository path components must be lowercase (OCI distribution spec): 'Team'");
}

TEST_CASE("[defaults] network: BuildKit's modes, else file:line and key") {
    const std::string rest = kHeader + "[profiles.a]\n[matrix]\npython = [\"3.13\"]\nprofile = [\"a\"]\n";
    auto f = load_matrix_string("[defaults]\nnetwork = \"none\"\n" + rest, "m.toml");
    CHECK(f.defaults.network == "none");
    CHECK(f.defaults.network_where.line == 2);
    CHECK(load_matrix_string(rest, "m.toml").defaults.network.empty());  // not given: the builder's default
    auto e = load_error("[defaults]\nnetwork = \"bridge\"\n" + rest);
    CHECK(e.key() == "defaults.network");
    CHECK(e.where().line == 2);
    CHECK(e.reason() == "'bridge' is not a network mode of docker buildx build (default, none or host)");
}

TEST_CASE("compiler: the rules table's compilers load; anything else names file:line and the key") {
    auto f = load_matrix_string(kHeader + R"(
[profiles.gcc]
compiler = "gcc"
[profiles.clang]
compiler = "clang-19"
[profiles.clang22]
extends = "clang"
compiler = "clang-22"
[matrix]
python = ["3.13"]
profile = ["gcc", "clang", "clang22"]
compiler = ["gcc", "clang-19"]
)", "m.toml");
    CHECK(f.profiles.at("gcc").settings.compiler == "gcc");
    CHECK(f.profiles.at("clang").settings.compiler == "clang-19");
    CHECK(f.profiles.at("clang22").settings.compiler == "clang-22");  // a child's scalar wins
    CHECK(f.profiles.at("clang22").settings.origin.at("compiler").line == 12);

    auto compiler_error = [](const std::string& value) {  // value as TOML writes it
        return load_error(kHeader + "\n[profiles.p]\ncompiler = " + value +
                          "\n[matrix]\npython = [\"3.13\"]\nprofile = [\"p\"]\n");
    };
    auto e = compiler_error("\"clang-99\"");
    CHECK(e.where().line == 7);
    CHECK(e.key() == "profiles.p.compiler");
    CHECK(e.reason() == "'clang-99' is not a compiler pymatrix knows; did you mean 'clang-19'? (known: gcc, clang, "
                        "clang-13, clang-14, clang-15, clang-16, clang-17, clang-18, clang-19, clang-22; clang-N needs "
                        "a Debian suite that packages it)");
    e = compiler_error("\"icc\"");
    CHECK(e.reason().find("'icc' is not a compiler pymatrix knows; did you mean 'gcc'? (known: gcc, clang,") == 0);
    e = compiler_error("19");
    CHECK(e.reason() == "expected a string, got an integer");
    e = load_error(kHeader + R"(
[profiles.p]
[matrix]
python = ["3.13"]
profile = ["p"]
compiler = ["gcc", "msvc"]
)");
    CHECK(e.where().line == 10);
    CHECK(e.key() == "matrix.compiler[1]");
}
