// Flags where they belong: tuning flags given for CPython move to the _NODIST variables.
#include <doctest/doctest.h>

#include "pymatrix/plan.hpp"

using namespace pymatrix;

namespace {
Build one(const std::string& profile_body) {
    auto f = load_matrix_string(R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.p]
)" + profile_body + R"(
[matrix]
python = ["3.13"]
profile = ["p"]
)", "m.toml");
    return expand(f).at(0);
}
}  // namespace

TEST_CASE("-march, -mtune, -flto and -I in cflags move to CFLAGS_NODIST, -L in ldflags to LDFLAGS_NODIST") {
    auto b = one("cflags = \"-g -march=x86-64-v3 -mtune=znver3 -flto=auto -I /opt/x/include -fno-plt\"\n"
                 "ldflags = \"-L/opt/x/lib -Wl,-z,now\"\ncflags_nodist = \"-O3\"\n");
    CHECK(b.settings.cflags == "-g -fno-plt");
    CHECK(b.settings.cflags_nodist == "-O3 -march=x86-64-v3 -mtune=znver3 -flto=auto -I /opt/x/include");
    CHECK(b.settings.ldflags == "-Wl,-z,now");
    CHECK(b.settings.ldflags_nodist == "-L/opt/x/lib");
    CHECK(b.configure_args == std::vector<std::string>{
                                  "--enable-option-checking=fatal", "CFLAGS=-g -fno-plt",
                                  "CFLAGS_NODIST=-O3 -march=x86-64-v3 -mtune=znver3 -flto=auto -I /opt/x/include",
                                  "LDFLAGS=-Wl,-z,now", "LDFLAGS_NODIST=-L/opt/x/lib"});
    REQUIRE(b.notes.size() == 2);
    CHECK(b.notes[0] == "moved '-march=x86-64-v3 -mtune=znver3 -flto=auto -I /opt/x/include' from cflags to "
                        "cflags_nodist: CFLAGS is recorded in sysconfig and reused for every extension built later "
                        "(keep_cflags = true keeps it)");
}

TEST_CASE("keep_cflags = true leaves cflags as written") {
    auto b = one("cflags = \"-march=x86-64-v3\"\nkeep_cflags = true\n");
    CHECK(b.settings.cflags == "-march=x86-64-v3");
    CHECK(b.settings.cflags_nodist.empty());
    CHECK(b.notes.empty());
}

TEST_CASE("an -O level that overrides CPython's -O3 warns; -O0 with PGO warns twice") {
    auto b = one("cflags = \"-O2 -fstack-protector-strong\"\n");
    REQUIRE(b.warnings.size() == 1);
    CHECK(b.warnings[0] == "-O2 in cflags comes after CPython's own -O3 (configure's OPT) and overrides it");
    CHECK(one("cflags_nodist = \"-O3\"\n").warnings.empty());
    auto p = one("pgo = true\ncflags_nodist = \"-O0\"\n");
    REQUIRE(p.warnings.size() == 2);
    CHECK(p.warnings[1] == "-O0 with pgo: the profile is gathered and applied to unoptimised code");
}

TEST_CASE("an empty profile_task is rejected: it would silently disable PGO") {
    try {
        one("pgo = true\nprofile_task = \" \"\n");
        FAIL("expected ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.key() == "profiles.p.profile_task");
        CHECK(e.where().line == 7);
        CHECK(e.reason().find("silently disables PGO") != std::string::npos);
    }
    CHECK(one("pgo = true\nprofile_task = \"-m test --pgo -x test_ssl\"\n").configure_args.back() ==
          "PROFILE_TASK=-m test --pgo -x test_ssl");
}
