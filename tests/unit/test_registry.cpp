// Registry helpers of build --push: hosts, repositories, --repository (lib/src/build/registry_lookup.cpp,
// lib/src/plan/repository_override.cpp). The registry round trip itself is tests/e2e/test_registry.sh.
#include <doctest/doctest.h>

#include "pymatrix/registry.hpp"

#include <filesystem>

using namespace pymatrix;

TEST_CASE("registry_host: the first component when it names a host, else docker.io") {
    CHECK(registry_host("127.0.0.1:5000/team/cpython") == "127.0.0.1:5000");
    CHECK(registry_host("registry.example.com/cpython:3.13.5-default") == "registry.example.com");
    CHECK(registry_host("localhost/x") == "localhost");
    CHECK(registry_host("pymatrix/cpython") == "docker.io");
    CHECK(registry_host("cpython") == "docker.io");
}

TEST_CASE("names_registry_host: what check and inspect read from a registry") {
    CHECK(names_registry_host("127.0.0.1:5000/pymatrix-e2e:3.13.5-default"));
    CHECK(names_registry_host("docker.io/library/python:3.13"));  // named, though docker.io is also the default
    CHECK(names_registry_host("localhost/x:y"));
    CHECK_FALSE(names_registry_host("pymatrix/cpython:3.13.5-default"));
    CHECK_FALSE(names_registry_host("python:3.13"));
    CHECK_FALSE(names_registry_host("localhost:5000"));  // no '/': an image named localhost, tag 5000
}

TEST_CASE("repository_of keeps the host's port and drops the tag or digest") {
    CHECK(repository_of("127.0.0.1:5000/x:3.13.5-default") == "127.0.0.1:5000/x");
    CHECK(repository_of("127.0.0.1:5000/x") == "127.0.0.1:5000/x");
    CHECK(repository_of("pymatrix/cpython:3.13.5-opt-v3-0123456789ab") == "pymatrix/cpython");
    CHECK(repository_of("h:1/a/b@sha256:abc") == "h:1/a/b");
}

TEST_CASE("--repository replaces the repository of every tag, not the tags or the hash") {
    auto builds = expand(load_matrix_file(std::filesystem::path(PYMATRIX_SOURCE_DIR) / "matrices" / "quickstart.toml"));
    auto before = builds;
    override_repository(builds, "127.0.0.1:5123/pymatrix-e2e");
    for (std::size_t i = 0; i < builds.size(); ++i) {
        CHECK(builds[i].repository == "127.0.0.1:5123/pymatrix-e2e");
        CHECK(builds[i].config_hash == before[i].config_hash);
        REQUIRE(builds[i].tags.size() == 2);
        for (std::size_t t = 0; t < 2; ++t)
            CHECK(builds[i].tags[t] == "127.0.0.1:5123/pymatrix-e2e" + before[i].tags[t].substr(std::string("pymatrix/cpython").size()));
    }
    CHECK(builds[0].tags[0] == "127.0.0.1:5123/pymatrix-e2e:3.13.5-default");
}

TEST_CASE("a bad --repository is a ConfigError naming the flag") {
    auto builds = expand(load_matrix_file(std::filesystem::path(PYMATRIX_SOURCE_DIR) / "matrices" / "quickstart.toml"));
    try {
        override_repository(builds, "127.0.0.1:5123/Team/cpython");
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.key() == "--repository");
        CHECK(e.reason() == "'127.0.0.1:5123/Team/cpython': repository path components must be lowercase (OCI "
                            "distribution spec): 'Team'");
    }
    CHECK_THROWS_AS(override_repository(builds, "bad host!:5/x"), ConfigError);
    CHECK(builds[0].tags[0] == "pymatrix/cpython:3.13.5-default");  // nothing half-changed
}
