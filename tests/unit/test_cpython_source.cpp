// cpython/: facts read from the real CPython tarballs in sources/ (version, configure options),
// the facts cache, option names and suggestions, the rules table, hostile tarballs, and
// validating builds against their sources.
#include <doctest/doctest.h>

#include "pymatrix/build.hpp"
#include "pymatrix/cpython.hpp"
#include "pymatrix/plan.hpp"
#include "pymatrix/profile.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

using namespace pymatrix;
namespace fs = std::filesystem;

namespace {

const std::string kSha313 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640";
const std::string kSha311 = "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849";

// A private PYMATRIX_CACHE for this test binary, removed (and the variable restored) at exit.
struct TempCache {
    fs::path dir;
    std::string saved;
    bool had = false;
    TempCache() {
        dir = fs::temp_directory_path() / ("pymatrix-unit-cpython-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        if (const char* old = std::getenv("PYMATRIX_CACHE")) {
            had = true;
            saved = old;
        }
        ::setenv("PYMATRIX_CACHE", dir.c_str(), 1);
    }
    ~TempCache() {
        std::error_code ec;
        fs::remove_all(dir, ec);
        if (had)
            ::setenv("PYMATRIX_CACHE", saved.c_str(), 1);
        else
            ::unsetenv("PYMATRIX_CACHE");
    }
    fs::path facts(const std::string& sha) const { return dir / "facts" / (sha + ".json"); }
    fs::path scratch(const std::string& name) const {
        fs::create_directories(dir / "scratch");
        return dir / "scratch" / name;
    }
};

TempCache& cache() {
    static TempCache c;
    return c;
}

fs::path real_tarball(const char* name) {
    fs::path p = fs::path(PYMATRIX_SOURCE_DIR) / "sources" / name;
    if (!fs::is_regular_file(p))
        FAIL(p.string() << " is missing: run scripts/setup-engine.sh (it fetches the CPython tarballs "
                           "from Debian's source packages into sources/)");
    return p;
}

// Real facts, read once per process (through the cache after the first test).
const SourceFacts& facts313() {
    cache();
    static const SourceFacts f = read_source_facts(real_tarball("Python-3.13.5.tar.xz"), kSha313);
    return f;
}
const SourceFacts& facts311() {
    cache();
    static const SourceFacts f = read_source_facts(real_tarball("Python-3.11.2.tgz"), kSha311);
    return f;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// ---- writing test tarballs with libarchive -----------------------------------------------

struct Member {
    Member(std::string p, std::string c = "", int t = AE_IFREG, std::string l = "", std::string h = "")
        : path(std::move(p)), content(std::move(c)), type(t), link(std::move(l)), hardlink(std::move(h)) {}
    std::string path;
    std::string content;
    int type;              // AE_IFREG, AE_IFDIR, AE_IFLNK
    std::string link;      // symlink target (AE_IFLNK)
    std::string hardlink;  // hard link target
};

void write_tar(const fs::path& out, const std::vector<Member>& members) {
    std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), &archive_write_free);
    archive_write_set_format_pax_restricted(a.get());
    archive_write_add_filter_gzip(a.get());
    REQUIRE(archive_write_open_filename(a.get(), out.c_str()) == ARCHIVE_OK);
    for (const auto& m : members) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), &archive_entry_free);
        archive_entry_set_pathname(e.get(), m.path.c_str());
        archive_entry_set_filetype(e.get(), static_cast<unsigned>(m.type));
        archive_entry_set_perm(e.get(), m.type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e.get(), m.type == AE_IFREG ? static_cast<la_int64_t>(m.content.size()) : 0);
        if (m.type == AE_IFLNK) archive_entry_set_symlink(e.get(), m.link.c_str());
        if (!m.hardlink.empty()) {
            archive_entry_set_hardlink(e.get(), m.hardlink.c_str());
            archive_entry_set_size(e.get(), 0);
        }
        REQUIRE(archive_write_header(a.get(), e.get()) == ARCHIVE_OK);
        if (m.type == AE_IFREG && m.hardlink.empty() && !m.content.empty())
            archive_write_data(a.get(), m.content.data(), m.content.size());
    }
    REQUIRE(archive_write_close(a.get()) == ARCHIVE_OK);
}

const char* kPatchlevel = "/* Python version identification */\n#define PY_MAJOR_VERSION 3\n"
                          "#define PY_VERSION              \"3.99.1\"\n";
// The shape of an autoconf configure: the ac_user_opts block and the argument-parsing loop.
const char* kConfigure = R"(#! /bin/sh
ac_user_opts='
enable_option_checking
enable_gil
with_lto
enable_experimental_jit
'
for ac_option
do
  case $ac_option in
  -prefix | --prefix | --prefi | --pref | --pre | --pr | --p)
    ac_prev=prefix ;;
  -host=* | --host=* | --hos=* | --ho=*)
    host_alias=$ac_optarg ;;
  -*) as_fn_error $? "unrecognized option: \`$ac_option'
Try \`$0 --help' for more information"
    ;;
  esac
done
  --bindir=DIR            user executables [EPREFIX/bin]
)";

std::vector<Member> good_members(const std::string& top = "Python-3.99.1") {
    return {{top, "", AE_IFDIR},
            {top + "/Include", "", AE_IFDIR},
            {top + "/Include/patchlevel.h", kPatchlevel},
            {top + "/configure", kConfigure},
            {top + "/README.rst", "This is Python"}};
}

// Writes a tarball, reads it; returns the Error's message ("" when it was accepted).
std::string read_error(const std::string& name, std::vector<Member> members) {
    fs::path p = cache().scratch(name);
    write_tar(p, members);
    std::string sha = sha256_file(p);
    try {
        read_source_facts(p, sha);
    } catch (const Error& e) {
        CHECK(e.exit_code() == exit_config);
        CHECK_FALSE(fs::exists(cache().facts(sha)));  // nothing cached for a rejected tarball
        return e.what();
    }
    return "";
}

bool rejected(const std::vector<RuleViolation>& v, const std::string& needle) {
    for (const auto& x : v)
        if (x.message.find(needle) != std::string::npos && !x.reason.empty() && !x.citation.empty()) return true;
    return false;
}

}  // namespace

// ---- the real tarballs -------------------------------------------------------------------

TEST_CASE("cpython source: 3.13.5 facts from the real tarball, then from the cache") {
    fs::path tarball = real_tarball("Python-3.13.5.tar.xz");
    fs::path cached = cache().facts(kSha313);
    fs::remove(cached);

    auto t0 = std::chrono::steady_clock::now();
    SourceFacts f = read_source_facts(tarball, kSha313);
    double cold = seconds_since(t0);
    REQUIRE(fs::exists(cached));
    t0 = std::chrono::steady_clock::now();
    SourceFacts again = read_source_facts(tarball, kSha313);
    double warm = seconds_since(t0);
    MESSAGE("Python-3.13.5.tar.xz: cold read " << cold << " s, from cache " << warm << " s");
    CHECK(warm < cold);

    CHECK(f.version == "3.13.5");
    CHECK(f.top_directory == "Python-3.13.5");
    CHECK(f.ac_user_opts.size() == 59);
    for (const char* e : {"enable_gil", "enable_experimental_jit", "enable_bolt", "enable_optimizations", "with_lto"})
        CHECK(has(f.ac_user_opts, e));
    for (const char* o : {"--disable-gil", "--enable-gil", "--enable-experimental-jit", "--enable-bolt",
                          "--enable-optimizations", "--with-lto", "--without-readline", "--with-readline",
                          "--enable-shared", "--with-mimalloc", "--prefix", "--exec-prefix", "--bindir", "--libdir",
                          "--host", "--build", "--runstatedir", "--enable-option-checking",
                          "--disable-option-checking"})
        CHECK_MESSAGE(f.options.count(o), o);
    for (const char* o : {"--help", "--version", "--srcdir", "--no-create", "--with-cxx-main", "--with-system-ffi"})
        CHECK_MESSAGE(!f.options.count(o), o);
    // 59 entries, two spellings each, plus 34 autoconf built-ins (enable_option_checking is both)
    CHECK(f.options.size() == 59 * 2 + 34);
    CHECK(again.options == f.options);
    CHECK(again.version == f.version);
    CHECK(again.ac_user_opts == f.ac_user_opts);

    // The second read is served by the cache file: a marker put there comes back, and no
    // tarball is needed at all.
    std::string original;
    {
        std::ifstream in(cached);
        std::stringstream s;
        s << in.rdbuf();
        original = s.str();
    }
    auto j = nlohmann::json::parse(original);
    j["options"].push_back("--with-cache-marker");
    std::ofstream(cached) << j.dump();
    CHECK(read_source_facts(tarball, kSha313).options.count("--with-cache-marker"));
    CHECK(read_source_facts("", kSha313).options.count("--with-cache-marker"));
    std::ofstream(cached) << original;
    CHECK_FALSE(read_source_facts("", kSha313).options.count("--with-cache-marker"));
}

TEST_CASE("cpython source: 3.11.2 facts from the real tarball") {
    fs::path tarball = real_tarball("Python-3.11.2.tgz");
    fs::remove(cache().facts(kSha311));
    auto t0 = std::chrono::steady_clock::now();
    SourceFacts f = read_source_facts(tarball, kSha311);
    double cold = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    SourceFacts again = read_source_facts(tarball, kSha311);
    MESSAGE("Python-3.11.2.tgz: cold read " << cold << " s, from cache " << seconds_since(t0) << " s");
    CHECK(fs::exists(cache().facts(kSha311)));
    CHECK(again.options == f.options);

    CHECK(f.version == "3.11.2");
    CHECK(f.top_directory == "Python-3.11.2");
    CHECK(f.ac_user_opts.size() == 53);
    for (const char* e : {"enable_gil", "enable_experimental_jit", "enable_bolt"}) CHECK_FALSE(has(f.ac_user_opts, e));
    for (const char* o : {"--disable-gil", "--enable-experimental-jit", "--enable-bolt", "--with-tail-call-interp"})
        CHECK_MESSAGE(!f.options.count(o), o);
    for (const char* o : {"--enable-optimizations", "--with-lto", "--with-cxx-main", "--with-system-ffi", "--prefix",
                          "--host", "--runstatedir"})
        CHECK_MESSAGE(f.options.count(o), o);
    CHECK(f.options.size() == 53 * 2 + 34);
}


// ---- hostile and malformed tarballs ------------------------------------------------------

TEST_CASE("cpython source: a well-formed small tarball is read, built-ins only when configure spells them") {
    fs::path p = cache().scratch("good.tar.gz");
    write_tar(p, good_members());
    std::string sha = sha256_file(p);
    SourceFacts f = read_source_facts(p, sha);
    CHECK(f.version == "3.99.1");
    CHECK(f.ac_user_opts == std::vector<std::string>{"enable_option_checking", "enable_gil", "with_lto",
                                                     "enable_experimental_jit"});
    CHECK(f.options == std::set<std::string>{"--enable-option-checking", "--disable-option-checking", "--enable-gil",
                                             "--disable-gil", "--with-lto", "--without-lto",
                                             "--enable-experimental-jit", "--disable-experimental-jit", "--prefix",
                                             "--host"});
    CHECK(fs::exists(cache().facts(sha)));

    // A damaged cache file is ignored and rewritten from the tarball.
    std::ofstream(cache().facts(sha)) << "{not json";
    CHECK(read_source_facts(p, sha).options == f.options);
    std::ifstream in(cache().facts(sha));
    CHECK(nlohmann::json::parse(in)["version"] == "3.99.1");
}

TEST_CASE("cpython source: a tarball whose sha256 differs is refused and not cached") {
    fs::path p = cache().scratch("good-for-sha.tar.gz");
    write_tar(p, good_members());
    const std::string wrong(64, 'a');
    std::string msg;
    try {
        read_source_facts(p, wrong);
    } catch (const Error& e) {
        msg = e.what();
        CHECK(e.exit_code() == exit_config);
    }
    CHECK(msg.find("has sha256 " + sha256_file(p) + ", not the expected " + wrong) != std::string::npos);
    CHECK_FALSE(fs::exists(cache().facts(wrong)));
    // a wrong file that is also no tarball is reported as the wrong file
    fs::path junk = cache().scratch("junk-for-sha.tgz");
    std::ofstream(junk) << "junk";
    msg.clear();
    try {
        read_source_facts(junk, wrong);
    } catch (const Error& e) {
        msg = e.what();
    }
    CHECK(msg.find("has sha256") != std::string::npos);
    CHECK_THROWS_AS(read_source_facts(p, "../../etc/passwd"), Error);
    CHECK_THROWS_AS(read_source_facts(p, std::string(64, 'A')), Error);
    CHECK_THROWS_AS(read_source_facts("", std::string(64, 'b')), Error);  // nothing cached, no file
    CHECK_THROWS_AS(read_source_facts("/nonexistent/Python.tgz", std::string(64, 'b')), Error);
}

TEST_CASE("cpython source: hostile or malformed tarballs are rejected with Error") {
    auto with = [](std::vector<Member> extra) {
        auto m = good_members();
        m.insert(m.end(), extra.begin(), extra.end());
        return m;
    };
    CHECK(read_error("dotdot.tgz", with({{"../evil", "x"}})).find("'..'") != std::string::npos);
    CHECK(read_error("dotdot2.tgz", with({{"Python-3.99.1/../../evil", "x"}})).find("'..'") != std::string::npos);
    CHECK(read_error("absolute.tgz", with({{"/etc/x", "x"}})).find("absolute path") != std::string::npos);
    CHECK(read_error("symlink.tgz", with({{"Python-3.99.1/passwd", "", AE_IFLNK, "/etc/passwd"}}))
              .find("symbolic link to '/etc/passwd'") != std::string::npos);
    CHECK(read_error("symlink2.tgz", with({{"Python-3.99.1/up", "", AE_IFLNK, "../.."}}))
              .find("symbolic link") != std::string::npos);
    CHECK(read_error("hardlink.tgz", with({{"Python-3.99.1/h", "", AE_IFREG, "", "/etc/shadow"}}))
              .find("hard link") != std::string::npos);
    CHECK(read_error("twotops.tgz", with({{"Other/file", "x"}})).find("more than one top-level") != std::string::npos);
    CHECK(read_error("topfile.tgz", {{"README", "x"}}).find("outside the top-level") != std::string::npos);

    auto without = [](const std::string& suffix) {
        auto m = good_members();
        std::erase_if(m, [&](const Member& x) { return x.path.ends_with(suffix); });
        return m;
    };
    CHECK(read_error("nopatchlevel.tgz", without("Include/patchlevel.h")).find("Include/patchlevel.h") !=
          std::string::npos);
    CHECK(read_error("noconfigure.tgz", without("/configure")).find("/configure") != std::string::npos);
    CHECK(read_error("empty.tgz", {}).find("empty") != std::string::npos);
    auto bad_version = good_members();
    bad_version[2].content = "#define PY_VERSION \"three\"\n";
    CHECK(read_error("badversion.tgz", bad_version).find("not a version") != std::string::npos);
    auto no_opts = good_members();
    no_opts[3].content = "#! /bin/sh\necho hello\n";
    CHECK(read_error("noopts.tgz", no_opts).find("ac_user_opts") != std::string::npos);
    // configure named one level too deep is not <top>/configure
    auto deep = without("/configure");
    deep.push_back({"Python-3.99.1/sub/configure", kConfigure});
    CHECK(read_error("deep.tgz", deep).find("/configure") != std::string::npos);

    fs::path junk = cache().scratch("junk.tar.xz");
    std::ofstream(junk) << "this is not an archive at all, just some text that is long enough to look at\n";
    std::string msg;
    try {
        read_source_facts(junk, sha256_file(junk));
    } catch (const Error& e) {
        msg = e.what();
    }
    CHECK(msg.find("not a readable tar archive") != std::string::npos);
}

// ---- option names and suggestions --------------------------------------------------------

TEST_CASE("cpython option_name: canonical option without its value; variables are not options") {
    CHECK(option_name("--with-lto=thin") == "--with-lto");
    CHECK(option_name("--enable-optimizations") == "--enable-optimizations");
    CHECK(option_name("CFLAGS=x") == "");
    CHECK(option_name("CFLAGS_NODIST=-O3 -march=x86-64-v3") == "");
    CHECK(option_name("x86_64-linux-gnu") == "");
    CHECK(option_name("") == "");
    CHECK(option_name("-enable-shared") == "--enable-shared");
    CHECK(option_name("--enable-experimental_jit=yes-off") == "--enable-experimental-jit");
    CHECK(option_name("--with-c.locale+coercion") == "--with-c-locale-coercion");
    CHECK(option_name("--prefix=/opt/py_3") == "--prefix");
    CHECK(option_name("--exec_prefix=/x") == "--exec_prefix");  // not a feature: left as written
}

TEST_CASE("cpython suggest_option: near misses by stem, in the polarity asked for") {
    const auto& known = facts313().options;
    CHECK(suggest_option("--with-optimizations", known) == "--enable-optimizations");
    CHECK(suggest_option("--enable-optimisations", known) == "--enable-optimizations");
    CHECK(suggest_option("--disable-optimisations", known) == "--disable-optimizations");
    CHECK(suggest_option("--without-gil", known) == "--disable-gil");
    CHECK(suggest_option("--enable-lto", known) == "--with-lto");
    CHECK(suggest_option("--enable-experimental-jti", known) == "--enable-experimental-jit");
    CHECK(suggest_option("--enable-jit", known) == "--enable-experimental-jit");  // not "--enable-gil"
    CHECK(suggest_option("--disable-jit", known) == "--disable-experimental-jit");
    CHECK(suggest_option("--enable-optim", known) == "--enable-optimizations");  // not "--enable-bolt"
    CHECK(suggest_option("--with-pymaloc", known) == "--with-pymalloc");
    CHECK(suggest_option("--prefx", known) == "--prefix");
    CHECK(suggest_option("--exec-pre", known) == "--exec-prefix");
    CHECK(suggest_option("--enable-frobnicator-widget", known) == "");
    CHECK(suggest_option("--with-tail-call-interp", facts311().options) == "");
}

// ---- the rules table ---------------------------------------------------------------------

TEST_CASE("cpython rules: the table is data with reasons and citations") {
    auto rules = option_rules();
    CHECK(rules.size() == 11);  // a new row needs its allowed and rejected case below (and its toolchain case
                                // in test_cpython_toolchain.cpp)
    for (const auto& r : rules) {
        CHECK(!r.option.empty());
        CHECK(!r.reason.empty());
        CHECK(!r.citation.empty());
        CHECK(r.since.major == 3);
        CHECK(option_name(std::string(r.option)) == r.option);
    }
}

TEST_CASE("cpython rules: debian_suite from base image references") {
    CHECK(debian_suite("debian:bookworm-slim") == "bookworm");
    CHECK(debian_suite("debian:bookworm") == "bookworm");
    CHECK(debian_suite("debian:12") == "bookworm");
    CHECK(debian_suite("docker.io/library/debian:12.11-slim") == "bookworm");
    CHECK(debian_suite("debian:bookworm-20250520-slim@sha256:" + std::string(64, '0')) == "bookworm");
    CHECK(debian_suite("debian:trixie-slim") == "trixie");
    CHECK(debian_suite("debian:13") == "trixie");
    CHECK(debian_suite("python:3.13-slim-bookworm") == "bookworm");
    CHECK(debian_suite("127.0.0.1:5000/base:trixie") == "trixie");
    CHECK(debian_suite("debian") == "");
    CHECK(debian_suite("debian:latest") == "");
    CHECK(debian_suite("ubuntu:24.04") == "");
}

TEST_CASE("cpython rules: --enable-bolt from 3.12") {
    CHECK(rejected(check_rules("3.11.2", {"--enable-bolt"}, "debian:bookworm-slim"), "needs CPython 3.12 or newer"));
    CHECK(check_rules("3.12.0", {"--enable-bolt"}, "debian:bookworm-slim").empty());  // bolt-15/16/19 exist
    CHECK(check_rules("3.13.5", {"--enable-bolt"}, "debian:trixie").empty());
    CHECK(check_rules("3.13.5", {"--enable-bolt"}, "debian:bookworm-slim").empty());  // bolt-19
    // the 3.13 row wants BOLT 18+ (-reorder-functions=cdsort), whatever the compiler
    auto v = check_rules("3.13.5", {"--enable-bolt", "CC=clang-16"}, "debian:bookworm");
    CHECK(v.empty());
    for (const auto& r : option_rules())
        if (r.option == "--enable-bolt" && r.since == MinorVersion{3, 13} && r.kind == RuleKind::requires_toolchain) {
            CHECK(r.packages == "bolt-19|bolt-22|bolt-18");
            CHECK(r.reason.find("cdsort") != std::string_view::npos);
        }
}

TEST_CASE("cpython rules: --enable-experimental-jit from 3.13, LLVM 18 for 3.13 and 19 for 3.14") {
    CHECK(rejected(check_rules("3.11.2", {"--enable-experimental-jit"}, "debian:trixie"), "needs CPython 3.13"));
    CHECK(rejected(check_rules("3.12.9", {"--enable-experimental-jit=yes"}, "debian:trixie"), "needs CPython 3.13"));
    // 3.13 on bookworm: no LLVM 18 in Debian 12
    auto v = check_rules("3.13.5", {"--enable-experimental-jit"}, "debian:bookworm-slim");
    REQUIRE(v.size() == 1);
    CHECK(v[0].argument == "--enable-experimental-jit");
    CHECK(v[0].message.find("clang-18 llvm-18") != std::string::npos);
    CHECK(v[0].message.find("Debian 12 (bookworm)") != std::string::npos);
    CHECK(v[0].reason.find("no llvm-18") != std::string::npos);
    CHECK(rejected(check_rules("3.13.5", {"--enable-experimental-jit=yes-off"}, "debian:12"), "llvm-18"));
    // allowed: trixie has LLVM 18; "interpreter" and "no" build no JIT stencils; unknown images are not judged
    CHECK(check_rules("3.13.5", {"--enable-experimental-jit"}, "debian:trixie-slim").empty());
    CHECK(check_rules("3.13.5", {"--enable-experimental-jit=interpreter"}, "debian:bookworm-slim").empty());
    CHECK(check_rules("3.13.5", {"--enable-experimental-jit=no"}, "debian:bookworm-slim").empty());
    CHECK(check_rules("3.13.5", {"--enable-experimental_jit"}, "ubuntu:24.04").empty());
    CHECK(rejected(check_rules("3.13.5", {"--enable-experimental_jit"}, "debian:bookworm"), "llvm-18"));
    // 3.14 needs LLVM 19, which both bookworm and trixie have
    CHECK(check_rules("3.14.0", {"--enable-experimental-jit"}, "debian:bookworm-slim").empty());
    CHECK(check_rules("3.14.0rc1", {"--enable-experimental-jit"}, "debian:trixie").empty());
}

TEST_CASE("cpython rules: --disable-gil from 3.13") {
    auto v = check_rules("3.12.9", {"--disable-gil"}, "debian:bookworm-slim");
    REQUIRE(v.size() == 1);
    CHECK(v[0].message.find("needs CPython 3.13 or newer; this build is CPython 3.12.9") != std::string::npos);
    CHECK(v[0].reason.find("python3.13t") != std::string::npos);
    CHECK(check_rules("3.13.5", {"--disable-gil"}, "debian:bookworm-slim").empty());
}

TEST_CASE("cpython rules: --with-tail-call-interp from 3.14 with clang 19+") {
    CHECK(rejected(check_rules("3.13.5", {"--with-tail-call-interp", "CC=clang-19"}, "debian:bookworm"),
                   "needs CPython 3.14"));
    CHECK(check_rules("3.14.0", {"--with-tail-call-interp", "CC=clang-19"}, "debian:bookworm-slim").empty());
    CHECK(check_rules("3.14.0", {"CC=clang", "--with-tail-call-interp"}, "debian:trixie").empty());  // clang = 19
    CHECK(rejected(check_rules("3.14.0", {"--with-tail-call-interp"}, "debian:bookworm-slim"), "uses gcc"));
    CHECK(rejected(check_rules("3.14.0", {"--with-tail-call-interp", "CC=clang-16"}, "debian:bookworm"),
                   "is clang 16"));
    CHECK(rejected(check_rules("3.14.0", {"--with-tail-call-interp", "CC=clang"}, "debian:bookworm"),
                   "the default of bookworm"));
    CHECK(rejected(check_rules("3.14.0", {"--with-tail-call-interp", "CC=clang-20"}, "debian:trixie"),
                   "no clang-20 package"));
}

TEST_CASE("cpython rules: --with-lto=thin from 3.11 with clang; --with-lto=full from 3.11") {
    CHECK(rejected(check_rules("3.10.12", {"--with-lto=thin", "CC=clang"}, "debian:bookworm"), "needs CPython 3.11"));
    CHECK(rejected(check_rules("3.11.2", {"--with-lto=thin"}, "debian:bookworm"), "needs clang as the compiler"));
    CHECK(rejected(check_rules("3.13.5", {"--with-lto=thin", "CC=gcc-12"}, "debian:bookworm"), "uses CC=gcc-12"));
    CHECK(check_rules("3.11.2", {"--with-lto=thin", "CC=clang"}, "debian:bookworm-slim").empty());
    CHECK(check_rules("3.13.5", {"CC=ccache /usr/bin/clang-19", "--with-lto=thin"}, "debian:bookworm").empty());
    CHECK(rejected(check_rules("3.10.12", {"--with-lto=full"}, "debian:bookworm"), "needs CPython 3.11"));
    CHECK(check_rules("3.11.2", {"--with-lto=full"}, "debian:bookworm").empty());  // gcc does full LTO
    CHECK(check_rules("3.10.12", {"--with-lto"}, "debian:bookworm").empty());      // plain --with-lto: 3.6+
}

TEST_CASE("cpython rules: several violations, in argument order; bad versions throw") {
    auto v = check_rules("3.11.2", {"--disable-gil", "--enable-bolt", "CFLAGS=-O2"}, "debian:bookworm");
    REQUIRE(v.size() == 2);
    CHECK(v[0].argument == "--disable-gil");
    CHECK(v[1].argument == "--enable-bolt");
    CHECK_THROWS_AS(check_rules("three", {}, "debian:bookworm"), ConfigError);
    CHECK_THROWS_AS(check_rules("99999999999.1", {}, "debian:bookworm"), ConfigError);
    CHECK(check_rules("3.14.0", {"--with-tail-call-interp", "CC=clang-99999999999"}, "debian:trixie").size() == 1);
    CHECK(check_rules("3.11.2", {}, "debian:bookworm").empty());
}

// ---- validating builds against their sources ---------------------------------------------

namespace {
std::vector<Build> builds_of(const std::string& profiles, const std::string& matrix,
                             const std::string& version313 = "3.13.5") {
    real_tarball("Python-3.13.5.tar.xz");
    real_tarball("Python-3.11.2.tgz");
    std::string toml = R"([pythons."3.13"]
version = ")" + version313 + R"("
source = "Python-3.13.5.tar.xz"
sha256 = ")" + kSha313 + R"("

[pythons."3.11"]
version = "3.11.2"
source = "Python-3.11.2.tgz"
sha256 = ")" + kSha311 + R"("

)" + profiles + "\n[matrix]\n" + matrix + "\n";
    return expand(load_matrix_string(toml, fs::path(PYMATRIX_SOURCE_DIR) / "sources" / "unit-test.toml"));
}

ConfigError validation_error(const std::vector<Build>& builds) {
    try {
        validate_builds_against_sources(builds);
    } catch (const ConfigError& e) {
        return e;
    }
    FAIL("validate_builds_against_sources accepted the builds");
    return ConfigError({}, "", "");  // not reached: FAIL throws
}
}  // namespace

TEST_CASE("cpython validate: good builds pass") {
    facts313();
    facts311();
    auto builds = builds_of(R"([profiles.default]
[profiles.opt]
pgo = true
lto = true
configure = ["--enable-shared", "--without-ensurepip", "--with-lto=full"]
cflags_nodist = "-O3"
march = "x86-64-v3"
[profiles.ft]
configure = ["--disable-gil", "--with-lto=thin", "CC=clang"]
)",
                            R"(python = ["3.13", "3.11"]
profile = ["default", "opt"]
include = [{python = "3.13", profile = "ft"}])");
    REQUIRE(builds.size() == 5);
    CHECK_NOTHROW(validate_builds_against_sources(builds));
}

TEST_CASE("cpython validate: a misspelt option is named with a suggestion") {
    auto e = validation_error(builds_of("[profiles.typo]\nconfigure = [\"--enable-optimisations\"]\n",
                                        "python = [\"3.13\"]\nprofile = [\"typo\"]"));
    CHECK(e.key() == "profiles.typo.configure");
    CHECK(e.reason() == "'--enable-optimisations' is not a configure option of CPython 3.13.5; did you mean "
                        "'--enable-optimizations'?");
    CHECK(e.exit_code() == exit_config);
    CHECK(e.where().file.find("unit-test.toml") != std::string::npos);

    e = validation_error(builds_of("[profiles.w]\nconfigure = [\"--with-optimizations\"]\n",
                                   "python = [\"3.13\"]\nprofile = [\"w\"]"));
    CHECK(e.reason().find("did you mean '--enable-optimizations'?") != std::string::npos);

    e = validation_error(builds_of("[profiles.old]\nconfigure = [\"--with-cxx-main\"]\n",
                                   "python = [\"3.13\"]\nprofile = [\"old\"]"));
    CHECK(e.reason().find("'--with-cxx-main' is not a configure option of CPython 3.13.5") != std::string::npos);
    CHECK_NOTHROW(validate_builds_against_sources(
        builds_of("[profiles.old]\nconfigure = [\"--with-cxx-main\"]\n", "python = [\"3.11\"]\nprofile = [\"old\"]")));
}

TEST_CASE("cpython validate: declared version must be the tarball's PY_VERSION") {
    auto e = validation_error(builds_of("[profiles.default]\n", "python = [\"3.13\"]\nprofile = [\"default\"]",
                                        "3.13.4"));
    CHECK(e.key() == "pythons.3.13.version");
    CHECK(e.reason().find("declares version 3.13.4") != std::string::npos);
    CHECK(e.reason().find("is CPython 3.13.5") != std::string::npos);
}

TEST_CASE("cpython validate: rule violations carry reason and citation, keyed by the setting") {
    auto e = validation_error(builds_of("[profiles.jit]\njit = true\n", "python = [\"3.13\"]\nprofile = [\"jit\"]"));
    CHECK(e.key() == "profiles.jit.jit");
    CHECK(e.reason().find("llvm-18") != std::string::npos);
    CHECK(e.reason().find("Tools/jit/_llvm.py") != std::string::npos);

    // --enable-bolt is no option of 3.11.2: the rule says why
    e = validation_error(builds_of("[profiles.bolt]\nbolt = true\n", "python = [\"3.11\"]\nprofile = [\"bolt\"]"));
    CHECK(e.key() == "profiles.bolt.bolt");
    CHECK(e.reason().find("'--enable-bolt' needs CPython 3.12 or newer; this build is CPython 3.11.2") !=
          std::string::npos);
    CHECK(e.reason().find("What's New in Python 3.12") != std::string::npos);

    e = validation_error(builds_of("[profiles.thin]\nlto = \"thin\"\n", "python = [\"3.13\"]\nprofile = [\"thin\"]"));
    CHECK(e.key() == "profiles.thin.lto");
    CHECK(e.reason().find("thin lto is not supported under gcc") != std::string::npos);

    e = validation_error(
        builds_of("[profiles.ft]\nconfigure = [\"--disable-gil\"]\n", "python = [\"3.11\"]\nprofile = [\"ft\"]"));
    CHECK(e.key() == "profiles.ft.configure");
    CHECK(e.reason().find("needs CPython 3.13") != std::string::npos);
}

TEST_CASE("cpython validate: argv shapes configure would refuse or misread") {
    // The TOML loader admits only --enable/--disable/--with/--without and VAR=VALUE today; a
    // Build made by other code can carry anything, so these go straight into configure_args.
    const Build base = builds_of("[profiles.p]\n", "python = [\"3.13\"]\nprofile = [\"p\"]").at(0);
    auto with_args = [&](std::vector<std::string> extra) {
        Build b = base;
        b.settings.configure = extra;
        b.configure_args.insert(b.configure_args.end(), extra.begin(), extra.end());
        return std::vector<Build>{b};
    };
    auto error_for = [&](std::vector<std::string> extra) { return validation_error(with_args(extra)).reason(); };
    CHECK_NOTHROW(validate_builds_against_sources(with_args({"--prefix", "/usr/local", "--libdir=/usr/local/lib"})));
    CHECK_NOTHROW(validate_builds_against_sources(with_args({"--host=x86_64-linux-gnu", "--config-cache", "--quiet"})));
    CHECK_NOTHROW(validate_builds_against_sources(with_args({"-enable-shared", "--enable-experimental_jit=no"})));
    // short forms and abbreviations configure would take are refused: profiles spell options out
    CHECK(error_for({"-q"}).find("'-q' is not a configure option of CPython 3.13.5") != std::string::npos);
    CHECK(error_for({"--enable-optim"}).find("did you mean '--enable-optimizations'?") != std::string::npos);
    CHECK(error_for({"--disable-gil=yes"}).find("takes no value") != std::string::npos);
    CHECK(error_for({"x86_64-linux-gnu"}).find("neither a configure option") != std::string::npos);
    CHECK(error_for({"1FLAGS=x"}).find("not a valid variable name") != std::string::npos);
    CHECK(error_for({"--prefix"}).find("needs a value") != std::string::npos);
    CHECK(error_for({"--pre=/opt"}).find("did you mean '--prefix'?") != std::string::npos);
    CHECK(validation_error(with_args({"--enable-optimisations"})).key() == "profiles.p.configure");
}

TEST_CASE("verify_sources: a tarball's sha256 is remembered against its identity and recomputed when that changes") {
    cache();
    auto builds = builds_of("[profiles.default]\n", "python = [\"3.13\"]\nprofile = [\"default\"]");
    REQUIRE(builds.size() == 1);
    const fs::path dir = fs::path(std::getenv("PYMATRIX_CACHE")) / "sha256";
    fs::remove_all(dir);
    CHECK_NOTHROW(verify_sources(builds));
    REQUIRE(fs::is_directory(dir));
    std::vector<fs::path> entries(fs::directory_iterator(dir), fs::directory_iterator{});
    REQUIRE(entries.size() == 1);  // the tarball is older than 2 s: remembered
    nlohmann::json entry;
    std::ifstream(entries[0]) >> entry;
    CHECK(entry["sha256"] == kSha313);
    CHECK(entry["identity"]["path"] == (fs::path(PYMATRIX_SOURCE_DIR) / "sources" / "Python-3.13.5.tar.xz").lexically_normal().string());
    CHECK(entry["identity"]["size"] == fs::file_size(real_tarball("Python-3.13.5.tar.xz")));

    // The entry is what a second run reads: with the same identity, its digest is believed ...
    entry["sha256"] = std::string(64, '0');
    std::ofstream(entries[0]) << entry.dump();
    auto e = [&] {
        try {
            verify_sources(builds);
        } catch (const ConfigError& err) {
            return std::string(err.what());
        }
        return std::string();
    }();
    CHECK(e.find("has sha256 " + std::string(64, '0') + ", not the " + kSha313) != std::string::npos);
    // ... and with another identity (here: another size) the file is hashed again.
    entry["identity"]["size"] = entry["identity"]["size"].get<long long>() + 1;
    std::ofstream(entries[0]) << entry.dump();
    CHECK_NOTHROW(verify_sources(builds));
    std::ifstream(entries[0]) >> entry;
    CHECK(entry["sha256"] == kSha313);
}
