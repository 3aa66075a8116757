// OCI tag and repository rules.
#include <doctest/doctest.h>

#include "pymatrix/plan.hpp"
#include "pymatrix/tags.hpp"

using namespace pymatrix;

TEST_CASE("valid tags are left alone") {
    auto t = sanitize_tag("3.13.5-pgo-lto");
    CHECK(t.tag == "3.13.5-pgo-lto");
    CHECK(t.changes.empty());
    CHECK(is_valid_tag(std::string(128, 'a')));
    CHECK_FALSE(is_valid_tag(std::string(129, 'a')));
    CHECK_FALSE(is_valid_tag("-x"));
    CHECK_FALSE(is_valid_tag("a+b"));
}

TEST_CASE("'+' is replaced and the change is reported") {
    auto t = sanitize_tag("3.13.5-pgo+lto");
    CHECK(t.tag == "3.13.5-pgo-lto");
    REQUIRE(t.changes.size() == 1);
    CHECK(t.changes[0] == "'+' is not allowed in a tag and was replaced by '-'");
}

TEST_CASE("over 128 characters: cut to 128, keeping the hash suffix") {
    std::string suffix = "-0123456789ab";
    auto t = sanitize_tag("3.13.5-" + std::string(150, 'p') + suffix, suffix);
    CHECK(t.tag.size() == 128);
    CHECK(t.tag.substr(115) == suffix);
    CHECK(is_valid_tag(t.tag));
    REQUIRE(t.changes.size() == 1);
    CHECK(t.changes[0] == "the tag was 170 characters long and was cut to 128 (the OCI limit)");
}

TEST_CASE("a leading '.' becomes '_'") {
    auto t = sanitize_tag(".hidden");
    CHECK(t.tag == "_hidden");
    CHECK(t.changes.size() == 1);
}

TEST_CASE("repositories: lowercase path components, optional host[:port]") {
    CHECK(repository_problem("pymatrix/cpython") == "");
    CHECK(repository_problem("127.0.0.1:5000/ci/python") == "");
    CHECK(repository_problem("localhost/x") == "");
    CHECK(repository_problem("Registry.Example.com/x") == "");  // hosts may have capitals
    CHECK(repository_problem("pymatrix/CPython") ==
          "repository path components must be lowercase (OCI distribution spec): 'CPython'");
    CHECK(repository_problem("a//b") == "'' is not a repository path component ([a-z0-9]+([._-][a-z0-9]+)*)");
    CHECK(repository_problem("a/b-") != "");
}

TEST_CASE("a profile name with '+' yields sanitised tags and a note") {
    auto f = load_matrix_string(R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles."pgo+lto"]
pgo = true
lto = true
[matrix]
python = ["3.13"]
profile = ["pgo+lto"]
)", "m.toml");
    auto b = expand(f).at(0);
    CHECK(b.name == "3.13-pgo+lto");
    CHECK(b.tags[0] == "pymatrix/cpython:3.13.5-pgo-lto");
    REQUIRE(b.notes.size() == 2);
    CHECK(b.notes[0] == "tag '3.13.5-pgo+lto' -> '3.13.5-pgo-lto': '+' is not allowed in a tag and was replaced by '-'");
}
