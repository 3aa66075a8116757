// A packaged python (`package = "python3.13"`): loading and its errors, the build settings it
// refuses, its tags and config hash, its Dockerfile and context, the plan JSON, build-info and
// the io.pymatrix.package label.
#include <doctest/doctest.h>

#include "config_error_of.hpp"

#include "pymatrix/labels.hpp"
#include "pymatrix/render.hpp"

#include <sstream>
#include <string>

using namespace pymatrix;

namespace {
const std::string kFile = R"([pythons."3.13-debian"]
package = "python3.13"
packages = ["python3-gdbm"]
base_image = "debian:trixie-slim"
[pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.distro]
description = "as the distribution built it"
[profiles.pgo]
pgo = true
)";  // 12 lines

std::vector<Build> builds_of(const std::string& more) { return expand(load_matrix_string(kFile + more, "m.toml")); }

const std::string kDistro = "[matrix]\npython = [\"3.13-debian\"]\nprofile = [\"distro\"]\n";
}  // namespace

TEST_CASE("a packaged python loads with its version from the package name") {
    auto f = load_matrix_string(kFile + kDistro, "m.toml");
    const Python& p = f.pythons.at("3.13-debian");
    CHECK(p.is_packaged());
    CHECK(p.package == "python3.13");
    CHECK(p.version == "3.13");
    CHECK(p.packages == std::vector<std::string>{"python3-gdbm"});
    CHECK(p.base_image == "debian:trixie-slim");
    CHECK(p.source.empty());
    CHECK_FALSE(f.pythons.at("3.13").is_packaged());
}

TEST_CASE("packaged python errors name the file, line and key") {
    auto py = [](const std::string& body) {
        return config_error_of([&] { load_matrix_string("[pythons.d]\n" + body, "m.toml"); });
    };
    SUBCASE("a source key beside package") {
        auto e = py("package = \"python3.13\"\nsha256 = \"93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640\"\n");
        CHECK(e.key() == "pythons.d.sha256");
        CHECK(e.where().line == 3);
        CHECK(e.reason().find("'sha256' belongs to a source build") != std::string::npos);
    }
    SUBCASE("the default-version metapackage") {
        auto e = py("package = \"python3\"\n");
        CHECK(e.key() == "pythons.d.package");
        CHECK(e.where().line == 2);
        CHECK(e.reason() == "'python3' installs whichever version the release makes its default; name the version's "
                            "own package, e.g. \"python3.13\"");
    }
    SUBCASE("not an interpreter package") {
        for (const char* name : {"python3-numpy", "python2.7", "python3.13-venv"}) {
            auto e = py(std::string("package = \"") + name + "\"\n");
            CHECK(e.key() == "pythons.d.package");
            CHECK(e.reason().find("is not a Debian interpreter package") != std::string::npos);
        }
    }
    SUBCASE("a bad extra package") {
        auto e = py("package = \"python3.13\"\npackages = [\"Python3-GDBM\"]\n");
        CHECK(e.key() == "pythons.d.packages");
        CHECK(e.where().line == 3);
    }
    SUBCASE("packages on a source build") {
        auto e = py("version = \"3.13.5\"\nsource = \"a.tar.xz\"\nsha256 = "
                    "\"93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640\"\npackages = [\"x1\"]\n");
        CHECK(e.key() == "pythons.d.packages");
        CHECK(e.where().line == 5);
    }
}

TEST_CASE("a packaged python refuses every build setting, each at its own line") {
    SUBCASE("a profile setting") {
        auto e = config_error_of([] { builds_of("[matrix]\npython = [\"3.13-debian\"]\nprofile = [\"pgo\"]\n"); });
        CHECK(e.key() == "profiles.pgo.pgo");
        CHECK(e.where().line == 12);
        CHECK(e.reason() == "python '3.13-debian' is the distribution's package python3.13, compiled by the "
                            "distribution: pgo does not apply to it; pair it with a profile that sets no build "
                            "settings, or exclude the combination");
    }
    SUBCASE("an axis") {
        auto e = config_error_of([] { builds_of(kDistro + "march = [\"x86-64-v3\"]\n"); });
        CHECK(e.key() == "matrix");
        CHECK(e.reason().find("march = x86-64-v3 does not apply to it") != std::string::npos);
    }
    SUBCASE("another base image") {
        auto e = config_error_of([] {
            builds_of("[profiles.sid]\nbase_image = \"debian:sid-slim\"\n[matrix]\npython = [\"3.13-debian\"]\n"
                      "profile = [\"sid\"]\n");
        });
        CHECK(e.key() == "profiles.sid.base_image");
        CHECK(e.where().line == 14);
    }
    SUBCASE("excluded, the source build keeps its pgo") {
        auto b = builds_of("[matrix]\npython = [\"3.13-debian\", \"3.13\"]\nprofile = [\"distro\", \"pgo\"]\n"
                           "exclude = [{python = \"3.13-debian\", profile = \"pgo\"}]\n");
        REQUIRE(b.size() == 3);
        CHECK(b[2].name == "3.13-pgo");
    }
}

TEST_CASE("a packaged python's build: no configure, its key in the tag, a hash of what is installed") {
    auto b = builds_of(kDistro);
    REQUIRE(b.size() == 1);
    CHECK(b[0].name == "3.13-debian-distro");
    CHECK(b[0].configure_args.empty());
    CHECK(b[0].base_image == "debian:trixie-slim");
    CHECK(b[0].tags.front() == "pymatrix/cpython:3.13-debian-distro");
    CHECK(b[0].tags.back() == "pymatrix/cpython:3.13-debian-distro-" + b[0].config_hash.substr(0, 12));
    std::string other = kFile;
    other.replace(other.find("[\"python3-gdbm\"]"), 16, "[\"python3-gdbm\", \"python3.13-venv\"]");
    auto more = expand(load_matrix_string(other + kDistro, "m.toml"));
    CHECK(more[0].config_hash != b[0].config_hash);
    // another profile without settings is the same build under another name: the same hash
    auto two = builds_of("[profiles.plain]\n[matrix]\npython = [\"3.13-debian\"]\nprofile = [\"distro\", \"plain\"]\n");
    CHECK(two[1].tags.front() == "pymatrix/cpython:3.13-debian-plain");
    CHECK(two[1].config_hash == two[0].config_hash);
}

TEST_CASE("a packaged python's Dockerfile installs the packages by exec form and has no source") {
    auto b = builds_of(kDistro);
    std::string d = render_dockerfile(b[0]);
    CHECK(d.find("FROM debian:trixie-slim AS inspect\n") != std::string::npos);
    CHECK(d.find("FROM debian:trixie-slim AS runtime\n") != std::string::npos);
    CHECK(d.find("RUN [\"/bin/sh\",\"-c\",\"apt-get update && apt-get install -y --no-install-recommends \\\"$@\\\" "
                 "&& rm -rf /var/lib/apt/lists/*\",\"install-runtime\",\"python3.13\",\"python3-gdbm\","
                 "\"ca-certificates\"]\n") != std::string::npos);
    CHECK(d.find("\"install-inspect\",\"python3.13\",\"python3-gdbm\",\"gcc\",\"libc6-dev\",\"binutils\"]") !=
          std::string::npos);
    CHECK(d.find("readlink -f /usr/bin/python3.13") != std::string::npos);
    CHECK(d.find("buildinfo.json --packaged") == std::string::npos);
    CHECK(d.find("build-info.json --packaged\n") != std::string::npos);
    CHECK(d.find("./configure") == std::string::npos);
    for (const char* placeholder : {"@BASE_IMAGE@", "@PACKAGE@", "@PACKAGE_WORDS@", "@PYTHON_VERSION@", "@INSTALL_"})
        CHECK(d.find(placeholder) == std::string::npos);
    CHECK(context_source_name(b[0]).empty());
    // the context streams without any tarball
    std::string tar;
    write_build_context(b[0], [&](const char* p, std::size_t n) { tar.append(p, n); });
    CHECK(tar.find("pymatrix/buildinfo.py") != std::string::npos);
    CHECK(tar.find("Python-3.13") == std::string::npos);
}

TEST_CASE("plan JSON of a packaged python: the streamed form equals the document") {
    auto f = load_matrix_string(kFile + kDistro, "m.toml");
    auto b = expand(f);
    std::ostringstream out;
    write_plan_json(out, f, b);
    CHECK(out.str() == plan_to_json(f, b).dump(2) + "\n");
    auto j = build_to_json(b[0]);
    CHECK(j["python"] == nlohmann::json{{"key", "3.13-debian"}, {"version", "3.13"}, {"package", "python3.13"},
                                        {"packages", {"python3-gdbm"}}, {"base_image", "debian:trixie-slim"}});
}

TEST_CASE("build-info of a packaged python: packages label, and an ELF note above the flags is refused") {
    // trixie's python3.13 as buildinfo.py read it (features from gcc 14's macros for -O2: baseline)
    nlohmann::json doc = {{"python_version", "3.13.5"}, {"config_args", "'--enable-shared'"}, {"cflags", "-O2"},
                          {"cflags_nodist", ""}, {"arch", "x86_64"}, {"march_requested", ""},
                          {"march_resolved", "x86-64"}, {"build_host_cpu", "AuthenticAMD AMD EPYC"},
                          {"missing_modules", nlohmann::json::array()},
                          {"cc_macros", "#define __SSE__ 1\n#define __SSE2__ 1\n#define __MMX__ 1\n#define __x86_64__ 1\n"},
                          {"elf_isa_needed", {"x86-64-baseline"}},
                          {"packages", {"python3-gdbm=3.13.5-1", "python3.13=3.13.5-2+deb13u5"}}};
    BuildInfo info = parse_build_info(doc);
    CHECK(info.level == "x86-64");
    auto b = builds_of(kDistro);
    auto labels = labels_for(b[0], info, "2026-12-06T00:00:00Z");
    CHECK(labels.at(label::package) == "python3-gdbm=3.13.5-1 python3.13=3.13.5-2+deb13u5");
    CHECK(labels.at(label::python_version) == "3.13.5");
    doc["elf_isa_needed"] = {"x86-64-baseline", "x86-64-v3"};
    CHECK_THROWS_WITH_AS(parse_build_info(doc),
                         "the interpreter's ELF note says it needs x86-64-v3 (x86 ISA needed), more than x86-64 that "
                         "its compiler flags imply: its ISA labels would understate what it needs",
                         Error);
    // a source build's build-info has neither field, and no package label
    doc.erase("elf_isa_needed");
    doc.erase("packages");
    auto source = builds_of("[matrix]\npython = [\"3.13\"]\nprofile = [\"pgo\"]\n");
    CHECK_FALSE(labels_for(source[0], parse_build_info(doc), "2026-12-06T00:00:00Z").count(label::package));
}
