// Matrix expansion: include/exclude (GitHub-Actions semantics), names, configure argv, hashes.
#include <doctest/doctest.h>

#include "pymatrix/plan.hpp"

using namespace pymatrix;

namespace {
const std::string kFile = R"([pythons."3.11"]
version = "3.11.2"
source = "Python-3.11.2.tgz"
sha256 = "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"

[pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"

[profiles.default]
[profiles.pgo]
pgo = true
[profiles.pgo-lto]
extends = "pgo"
lto = true
[profiles.jit]
jit = true
)";

std::vector<std::string> names(const std::vector<Build>& builds) {
    std::vector<std::string> n;
    for (auto& b : builds) n.push_back(b.name);
    return n;
}
}  // namespace

TEST_CASE("cartesian product minus exclude, plus include") {
    auto f = load_matrix_string(kFile + R"(
[matrix]
python = ["3.11", "3.13"]
profile = ["default", "pgo", "pgo-lto"]
march = ["x86-64-v2", "x86-64-v3"]
exclude = [ { python = "3.11", march = "x86-64-v3" }, { profile = "pgo" } ]
include = [ { python = "3.13", profile = "jit" }, { profile = "default", cflags = "-g" } ]
)", "m.toml");
    auto builds = expand(f);
    // 2 x 3 x 2 = 12; minus 3 (3.11 with v3), minus 3 remaining pgo -> 6; plus the jit combination
    CHECK(builds.size() == 7);
    CHECK(names(builds) == std::vector<std::string>{
                               "3.11-default-x86-64-v2", "3.11-pgo-lto-x86-64-v2", "3.13-default-x86-64-v2",
                               "3.13-default-x86-64-v3", "3.13-pgo-lto-x86-64-v2", "3.13-pgo-lto-x86-64-v3",
                               "3.13-jit"});
    // include {profile=default, cflags} extended every default combination, not a new build
    CHECK(builds[0].settings.cflags == "-g");
    CHECK(builds[0].name == "3.11-default-x86-64-v2");  // keys added by include do not rename
    CHECK(builds[1].settings.cflags.empty());
    CHECK(builds[5].configure_args == std::vector<std::string>{"--enable-option-checking=fatal",
                                                               "--enable-optimizations", "--with-lto",
                                                               "CFLAGS_NODIST=-march=x86-64-v3"});
    CHECK(builds[6].configure_args ==
          std::vector<std::string>{"--enable-option-checking=fatal", "--enable-experimental-jit"});
    CHECK(builds[6].tags == std::vector<std::string>{"pymatrix/cpython:3.13.5-jit",
                                                     "pymatrix/cpython:3.13.5-jit-" + builds[6].config_hash.substr(0, 12)});
}

TEST_CASE("configure argv carries flags verbatim and the config hash tracks every setting") {
    ProfileSettings s;
    s.cflags_nodist = "-O3";
    s.march = "x86-64-v3";
    s.cflags = "-fno-omit-frame-pointer";
    s.profile_task = "-m test --pgo -j2";
    CHECK(configure_arguments(s) == std::vector<std::string>{
                                        "--enable-option-checking=fatal", "CFLAGS=-fno-omit-frame-pointer",
                                        "CFLAGS_NODIST=-O3 -march=x86-64-v3", "PROFILE_TASK=-m test --pgo -j2"});
    auto base = load_matrix_string(kFile + "[matrix]\npython=[\"3.13\"]\nprofile=[\"default\",\"pgo\"]\n", "m.toml");
    auto a = expand(base);
    auto again = expand(base);
    CHECK(a[0].config_hash == again[0].config_hash);  // stable
    CHECK(a[0].config_hash.size() == 64);
    CHECK(a[0].config_hash != a[1].config_hash);
    auto other_base = load_matrix_string(kFile + "[defaults]\nbase_image=\"debian:trixie-slim\"\n"
                                                 "[matrix]\npython=[\"3.13\"]\nprofile=[\"default\"]\n", "m.toml");
    CHECK(expand(other_base)[0].config_hash != a[0].config_hash);
}

TEST_CASE("two builds with the same name are rejected") {
    auto f = load_matrix_string(kFile + R"(
[pythons."3.13-pgo"]
version = "3.13.4"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.lto]
lto = true
[matrix]
python = ["3.13", "3.13-pgo"]
profile = ["pgo-lto", "lto"]
)", "m.toml");
    try {
        expand(f);
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.reason() == "two builds are named '3.13-pgo-lto' (python '3.13-pgo' x profile 'lto'); build names "
                            "must be unique");
        CHECK(e.where().line == 26);  // the [matrix] table
        CHECK(e.exit_code() == 2);
    }
}

TEST_CASE("an include entry that matches nothing and lacks python/profile is rejected") {
    auto f = load_matrix_string(kFile + "[matrix]\npython=[\"3.13\"]\nprofile=[\"default\"]\n"
                                        "include=[{profile=\"pgo\", march=\"native\"}]\n", "m.toml");
    CHECK_THROWS_AS(expand(f), ConfigError);
}

TEST_CASE("march=native warns that the image is bound to the build host") {
    auto f = load_matrix_string(kFile + "[profiles.native]\nmarch=\"native\"\n[matrix]\npython=[\"3.13\"]\nprofile=[\"native\"]\n",
                                "m.toml");
    auto b = expand(f);
    REQUIRE(b[0].warnings.size() == 1);
    CHECK(b[0].warnings[0].find("march=native") == 0);
}

TEST_CASE("a combination left without a python is a ConfigError, not a crash (found by fuzz_profile_loader)") {
    auto f = load_matrix_string(kFile + "[matrix]\nprofile = [\"default\", \"pgo\"]\n"
                                        "include = [{ profile = \"default\", python = \"3.13\" }]\n", "m.toml");
    try {
        expand(f);
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.reason() == "the combination {profile=pgo} has no python: give a 'python' axis, or an include entry "
                            "that sets it");
        CHECK(e.exit_code() == 2);
    }
}
