// Hostile profiles: every value either gets a clear ConfigError naming its key, or is carried
// inert: in the Dockerfile it appears only inside a JSON exec-form RUN array (no shell parses it).
#include <doctest/doctest.h>

#include "pymatrix/build.hpp"
#include "pymatrix/render.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>

using namespace pymatrix;

namespace {
const std::string kPython = R"([pythons."3.13"]
version = "3.13.5"
source = "Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
)";
const std::string kMatrix = "\n[matrix]\npython = [\"3.13\"]\nprofile = [\"p\"]\n";

struct Case {
    const char* what;
    std::string toml;       // the whole file
    const char* rejected_key;  // "" when the value must be carried inert
};

std::string profile(const std::string& body) { return kPython + "[profiles.p]\n" + body + kMatrix; }

std::vector<Case> cases() {
    std::string huge(70000, 'A');
    return {
        {"command substitution in cflags", profile(R"t(cflags = "-O2 $(touch /tmp/pwned)")t"), "profiles.p.cflags"},
        {"backticks in cflags_nodist", profile("cflags_nodist = \"`touch /tmp/pwned`\""), "profiles.p.cflags_nodist"},
        {"newline then RUN in cflags", profile(R"t(cflags = "-O2\nRUN touch /tmp/pwned")t"), "profiles.p.cflags"},
        {"carriage return in ldflags", profile(R"t(ldflags = "-s\rRUN touch /tmp/pwned")t"), "profiles.p.ldflags"},
        {"quote breaking in ldflags", profile(R"t(ldflags = "' ; touch /tmp/pwned ; '")t"), "profiles.p.ldflags"},
        {"semicolon in ldflags_nodist", profile(R"t(ldflags_nodist = "-s; touch /tmp/pwned")t"), "profiles.p.ldflags_nodist"},
        {"NUL in cflags", profile(R"t(cflags = "-O2\u0000touch")t"), "profiles.p.cflags"},
        {"huge cflags", profile("cflags = \"" + huge + "\""), "profiles.p.cflags"},
        {"pipe in profile_task", profile(R"t(profile_task = "-m test | sh")t"), "profiles.p.profile_task"},
        {"command in a configure option", profile(R"t(configure = ["--enable-shared; touch /tmp/pwned"])t"), "profiles.p.configure"},
        {"bare command as configure", profile(R"t(configure = ["$(touch /tmp/pwned)"])t"), "profiles.p.configure"},
        {"substitution in a --with value", profile(R"t(configure = ["--with-openssl=$(touch /tmp/pwned)"])t"), "profiles.p.configure"},
        {"substitution in CFLAGS= assignment", profile(R"t(configure = ["CFLAGS=`id`"])t"), "profiles.p.configure"},
        {"substitution in CC= assignment", profile(R"t(configure = ["CC=gcc;touch /tmp/pwned"])t"), "profiles.p.configure"},
        {"newline in configure", profile(R"t(configure = ["--enable-shared\nRUN touch /tmp/pwned"])t"), "profiles.p.configure"},
        {"march with a command", profile(R"t(march = "native; touch /tmp/pwned")t"), "profiles.p.march"},
        {"march with newline", profile(R"t(march = "x86-64-v3\nRUN touch /tmp/pwned")t"), "profiles.p.march"},
        {"package with a command", profile(R"t(build_packages = ["gcc; touch /tmp/pwned"])t"), "profiles.p.build_packages"},
        {"apt option as package", profile(R"t(build_packages = ["-oAPT::Update::Pre-Invoke::=touch"])t"), "profiles.p.build_packages"},
        {"base image with newline", profile(R"t(base_image = "debian:bookworm-slim\nRUN touch /tmp/pwned")t"), "profiles.p.base_image"},
        {"base image with AS", profile(R"t(base_image = "debian AS x")t"), "profiles.p.base_image"},
        {"jit value with a command", profile(R"t(jit = "yes; touch /tmp/pwned")t"), "profiles.p.jit"},
        {"lto value with substitution", profile(R"t(lto = "thin$(id)")t"), "profiles.p.lto"},
        {"profile name with a command", kPython + "[profiles.\"p;touch\"]\n" + kMatrix, "profiles.p;touch"},
        {"python key with substitution",
         "[pythons.\"$(id)\"]\nversion = \"3.13.5\"\nsource = \"a.tar.xz\"\nsha256 = \"" + std::string(64, 'a') + "\"\n",
         "pythons.$(id)"},
        {"version with a command", "[pythons.x]\nversion = \"3.13.5; id\"\nsource = \"a.tar.xz\"\nsha256 = \"" +
                                       std::string(64, 'a') + "\"\n", "pythons.x.version"},
        {"sha256 breaking the RUN line", "[pythons.x]\nversion = \"3.13.5\"\nsource = \"a.tar.xz\"\nsha256 = \"x\\\" ; id\"\n",
         "pythons.x.sha256"},
        {"source that is not a tarball", "[pythons.x]\nversion = \"3.13.5\"\nsource = \"/etc/shadow\"\nsha256 = \"" +
                                             std::string(64, 'a') + "\"\n", "pythons.x.source"},
        {"source with a shell URL scheme", "[pythons.x]\nversion = \"3.13.5\"\nsource = \"ssh://h/$(id).tar.xz\"\nsha256 = \"" +
                                               std::string(64, 'a') + "\"\n", "pythons.x.source"},
        {"repository with a command", "[defaults]\nrepository = \"evil/repo;touch\"\n", "defaults.repository"},
        {"matrix axis with a command", kPython + "[profiles.p]\n[matrix]\npython = [\"3.13\"]\nprofile = [\"p\"]\n"
                                                 "march = [\"x86-64-v3 && touch /tmp/pwned\"]\n", "matrix.march[0]"},
        {"invalid UTF-8", profile("cflags = \"-O2 \xff\xfe\""), ""},  // toml++ refuses the file itself
        // carried inert
        {"substitution in a free-form note", profile(R"t(configure = ["PYMATRIX_NOTE=$(touch /tmp/pwned)"])t"), "profiles.p.configure"},
        {"backticks in a free-form note", profile(R"t(configure = ["PYMATRIX_NOTE=`touch /tmp/pwned`"])t"), "profiles.p.configure"},
        {"quote breaking in a free-form note", profile(R"t(configure = ["PYMATRIX_NOTE=it's '; touch /tmp/pwned; ' \"; RUN touch /tmp/pwned\""])t"), nullptr},
        {"include entry with a note", kPython + "[profiles.p]\n[matrix]\npython = [\"3.13\"]\nprofile = [\"p\"]\n"
                                               "include = [{profile = \"p\", cflags = \"-g -DPWNED=1\"}]\n", nullptr},
        {"relative source with ..", "[pythons.x]\nversion = \"3.13.5\"\nsource = \"../../../pwned/Python.tar.xz\"\nsha256 = \"" +
                                        std::string(64, 'a') + "\"\n[profiles.p]\n[matrix]\npython=[\"x\"]\nprofile=[\"p\"]\n",
         nullptr},
    };
}

void check_inert(const Build& b) {
    std::istringstream in(render_dockerfile(b));
    std::string line;
    while (std::getline(in, line)) {
        bool carries = line.find("pwned") != std::string::npos || line.find("PWNED") != std::string::npos ||
                       line.find("PYMATRIX_NOTE") != std::string::npos;
        if (!carries) continue;
        REQUIRE_MESSAGE(line.rfind("RUN [", 0) == 0, line);
        auto argv = nlohmann::json::parse(line.substr(4));  // a JSON array: exec form, no shell
        CHECK(argv.is_array());
        for (auto& a : argv) CHECK(a.is_string());
    }
}
}  // namespace

TEST_CASE("at least 30 hostile profiles: each refused with its key, or carried inert") {
    auto all = cases();
    CHECK(all.size() >= 30);
    int refused = 0, inert = 0;
    for (auto& c : all) {
        std::string what = c.what;
        CAPTURE(what);
        try {
            auto file = load_matrix_string(c.toml, "hostile.toml");
            REQUIRE_MESSAGE(c.rejected_key == nullptr, "not refused: " << c.what);
            for (auto& b : expand(file)) check_inert(b);
            ++inert;
        } catch (const ConfigError& e) {
            REQUIRE_MESSAGE(c.rejected_key != nullptr, "refused but meant to be inert: " << e.what());
            if (*c.rejected_key) CHECK(e.key().rfind(c.rejected_key, 0) == 0);  // "x.configure" or "x.configure[0]"
            CHECK(e.where().file == "hostile.toml");
            CHECK(e.where().line > 0);
            CHECK(e.exit_code() == exit_config);
            ++refused;
        }
    }
    CHECK(refused == 34);
    CHECK(inert == 3);
}

namespace {
/// Every distinct `@NAME@` placeholder of dockerfiles/cpython.Dockerfile.in, in order of first use.
std::vector<std::string> template_placeholders() {
    std::ifstream in(std::filesystem::path(PYMATRIX_SOURCE_DIR) / "dockerfiles" / "cpython.Dockerfile.in");
    std::string t((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> out;
    std::set<std::string> seen;
    static const std::regex placeholder("@[A-Z0-9_]+@");
    for (auto it = std::sregex_iterator(t.begin(), t.end(), placeholder); it != std::sregex_iterator(); ++it)
        if (seen.insert(it->str()).second) out.push_back(it->str());
    return out;
}
}  // namespace

TEST_CASE("a profile value naming every template placeholder is rendered verbatim, never substituted") {
    auto names = template_placeholders();
    for (const char* n : {"@TEMPLATE_VERSION@", "@BUILD_NAME@", "@PYTHON_VERSION@", "@PROFILE@", "@CONFIG_HASH@",
                          "@BASE_IMAGE@", "@SOURCE_FILE@", "@SOURCE_SHA256@", "@CONFIGURE_EXEC@",
                          "@EXTRA_PACKAGES_RUN@"})
        CHECK_MESSAGE(std::find(names.begin(), names.end(), n) != names.end(), n);
    std::string spaced, packed;  // "@A@ @B@ ..." and "@A@@B@..." (each closing '@' next to an opening one)
    for (auto& n : names) {
        spaced += (spaced.empty() ? "" : " ") + n;
        packed += n;
    }
    // the loader accepts '@' in a free-form assignment and in flags (shell_word_problem allows it)
    auto file = load_matrix_string(kPython + "[profiles.p]\nbuild_packages = [\"libtool\"]\nconfigure = [\"PYMATRIX_NOTE=" +
                                       spaced + "\"]\ncflags_nodist = \"-DPM=" + packed + "\"\n" + kMatrix,
                                   "hostile.toml");
    auto builds = expand(file);
    REQUIRE(builds.size() == 1);
    const Build& b = builds[0];
    const std::string note = "PYMATRIX_NOTE=" + spaced, flags = "CFLAGS_NODIST=-DPM=" + packed;
    REQUIRE(std::find(b.configure_args.begin(), b.configure_args.end(), note) != b.configure_args.end());
    REQUIRE(std::find(b.configure_args.begin(), b.configure_args.end(), flags) != b.configure_args.end());

    std::string d = render_dockerfile(b);
    for (auto& v : {note, flags}) {
        CAPTURE(v);
        CHECK(d.find("," + nlohmann::json(v).dump()) != std::string::npos);  // an element of the exec-form array
    }
    // the configure RUN is exactly the plan's argv; no other line carries a placeholder
    std::istringstream in(d);
    std::string line;
    int configure_lines = 0;
    static const std::regex placeholder("@[A-Z0-9_]+@");
    while (std::getline(in, line)) {
        if (line.rfind("RUN [\"./configure\"", 0) == 0) {
            ++configure_lines;
            std::vector<std::string> argv = nlohmann::json::parse(line.substr(4));
            std::vector<std::string> expected = {"./configure"};
            expected.insert(expected.end(), b.configure_args.begin(), b.configure_args.end());
            CHECK(argv == expected);
            CHECK(build_to_json(b)["configure_args"] == nlohmann::json(b.configure_args));
        } else {
            CHECK_MESSAGE(!std::regex_search(line, placeholder), line);
        }
    }
    CHECK(configure_lines == 1);
    // the template's own placeholders were all filled in as for any build
    CHECK(d.find("FROM debian:bookworm-slim AS build-deps\n") != std::string::npos);
    CHECK(d.find("\"install-build-packages\",\"libtool\"]\n# --- source") != std::string::npos);
    CHECK(d.find("# Build: 3.13-p -- CPython 3.13.5, profile p, config hash " + b.config_hash + "\n") !=
          std::string::npos);
    CHECK(d.find("COPY Python-3.13.5.tar.xz /usr/src/\n") != std::string::npos);
}
