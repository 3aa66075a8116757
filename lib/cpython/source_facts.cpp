// cpython/source_facts.cpp: a CPython tarball's version and ./configure options, read with
// libarchive while streaming (nothing is unpacked), checked against its sha256 and cached per
// sha256 as JSON. Throws pymatrix::Error (exit 2) on a bad tarball.
#include "pymatrix/cpython.hpp"
#include "util/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace pymatrix {
namespace {

constexpr int kCacheFormat = 1;                  // bump when SourceFacts or the parsing changes
constexpr std::size_t kMaxPatchlevel = 1 << 20;  // real: 1299 bytes (3.11.2 and 3.13.5)
constexpr std::size_t kMaxConfigure = 32 << 20;  // real: 729 kB (3.11.2), 888 kB (3.13.5)

// autoconf's built-in options (_AC_INIT_PARSE_ARGS, the `for ac_option` loop of every configure)
// that a build profile may pass. Each is kept only when that configure's loop spells it; --help,
// --version, --srcdir (pymatrix owns the layout), --no-create and --no-recursion are left out.
constexpr std::string_view kAutoconfBuiltins[] = {
    "--prefix", "--exec-prefix", "--bindir", "--sbindir", "--libexecdir", "--sysconfdir",
    "--sharedstatedir", "--localstatedir", "--runstatedir", "--libdir", "--includedir",
    "--oldincludedir", "--datarootdir", "--datadir", "--infodir", "--localedir", "--mandir",
    "--docdir", "--htmldir", "--dvidir", "--pdfdir", "--psdir", "--build", "--host", "--target",
    "--program-prefix", "--program-suffix", "--program-transform-name", "--cache-file",
    "--config-cache", "--quiet", "--silent", "--x-includes", "--x-libraries",
};

[[noreturn]] void fail(const fs::path& tarball, const std::string& why) {
    throw Error(fmt::format("{}: {}", tarball.string(), why), exit_config);
}

bool is_sha256(const std::string& s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

fs::path facts_dir() {
    if (const char* d = std::getenv("PYMATRIX_CACHE"); d && *d) return fs::path(d) / "facts";
    if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "pymatrix" / "facts";
    const char* home = std::getenv("HOME");
    return fs::path(home ? home : "/tmp") / ".cache" / "pymatrix" / "facts";
}

// ---- cache -------------------------------------------------------------------------------

std::optional<SourceFacts> load_cached(const fs::path& file, const std::string& sha256) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    try {
        auto j = nlohmann::json::parse(in);
        if (j.at("format").get<int>() != kCacheFormat || j.at("sha256").get<std::string>() != sha256)
            return std::nullopt;
        SourceFacts f;
        f.version = j.at("version").get<std::string>();
        f.top_directory = j.at("top_directory").get<std::string>();
        f.ac_user_opts = j.at("ac_user_opts").get<std::vector<std::string>>();
        for (auto& o : j.at("options")) f.options.insert(o.get<std::string>());
        if (f.version.empty() || f.options.empty() || f.ac_user_opts.empty()) return std::nullopt;
        return f;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;  // damaged or foreign file: read the tarball again
    }
}

void store_cached(const fs::path& file, const std::string& sha256, const SourceFacts& f) {
    nlohmann::json j = {{"format", kCacheFormat}, {"sha256", sha256},      {"version", f.version},
                        {"top_directory", f.top_directory}, {"ac_user_opts", f.ac_user_opts},
                        {"options", f.options}};
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec) return;  // the cache is an optimisation: never fail a read because of it
    fs::path tmp = file.string() + fmt::format(".tmp-{}", ::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << j.dump(1) << '\n';
        out.close();
        if (!out) {
            fs::remove(tmp, ec);
            return;
        }
    }
    fs::rename(tmp, file, ec);
    if (ec) fs::remove(tmp, ec);
}

// ---- parsing -----------------------------------------------------------------------------

std::string parse_py_version(const fs::path& tarball, const std::string& text) {
    static const std::regex define(R"re(\s*#\s*define\s+PY_VERSION\s+"([^"]*)".*)re");
    static const std::regex valid(R"(\d+\.\d+(\.\d+)?[A-Za-z0-9.+]*)");
    std::istringstream in(text);
    std::smatch m;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (std::regex_match(line, m, define)) {
            std::string v = m[1];
            if (!std::regex_match(v, valid))
                fail(tarball, fmt::format("Include/patchlevel.h: PY_VERSION \"{}\" is not a version", v));
            return v;
        }
    }
    fail(tarball, "Include/patchlevel.h has no #define PY_VERSION");
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The entries of `ac_user_opts='...'` (autoconf lists every AC_ARG_ENABLE/AC_ARG_WITH there).
std::vector<std::string> parse_ac_user_opts(const fs::path& tarball, const std::vector<std::string>& lines) {
    static const std::regex entry(R"((enable|with)_[A-Za-z0-9_]+)");
    const std::string start = "ac_user_opts='";
    std::string body;
    bool in_block = false, closed = false;
    for (const auto& line : lines) {
        std::string rest;
        if (!in_block) {
            if (line.rfind(start, 0) != 0) continue;
            in_block = true;
            rest = line.substr(start.size());
        } else {
            rest = line;
        }
        if (auto q = rest.find('\''); q != std::string::npos) {
            body += rest.substr(0, q);
            closed = true;
            break;
        }
        body += rest + "\n";
    }
    if (!in_block) fail(tarball, "configure has no ac_user_opts='...' block (not an autoconf configure script?)");
    if (!closed) fail(tarball, "configure: the ac_user_opts block is not closed");
    std::vector<std::string> out;
    std::istringstream in(body);
    for (std::string word; in >> word;) {
        if (!std::regex_match(word, entry))
            fail(tarball, fmt::format("configure: ac_user_opts entry '{}' is not enable_X or with_X", word));
        out.push_back(word);
    }
    if (out.empty()) fail(tarball, "configure: the ac_user_opts block is empty");
    return out;
}

// The built-ins spelled in the argument-parsing loop: from `for ac_option` to its
// "unrecognized option" catch-all.
std::vector<std::string> parse_builtins(const fs::path& tarball, const std::vector<std::string>& lines) {
    std::size_t i = 0;
    while (i < lines.size() && lines[i] != "for ac_option") ++i;
    std::string loop;
    for (; i < lines.size(); ++i) {
        loop += lines[i] + "\n";
        if (lines[i].find("unrecognized option:") != std::string::npos) break;
    }
    if (i == lines.size()) fail(tarball, "configure has no autoconf argument-parsing loop");
    std::vector<std::string> out;
    for (std::string_view name : kAutoconfBuiltins) {
        for (std::size_t pos = loop.find(name); pos != std::string::npos; pos = loop.find(name, pos + 1)) {
            char after = pos + name.size() < loop.size() ? loop[pos + name.size()] : '\n';
            if (std::strchr(" \t\n|)=\\", after)) {
                out.emplace_back(name);
                break;
            }
        }
    }
    return out;
}

std::string dashed(std::string s) {
    for (char& c : s)
        if (c == '_') c = '-';
    return s;
}

// ---- reading the tarball -----------------------------------------------------------------

struct Stream {
    std::FILE* file = nullptr;
    util::Sha256 sha;
    std::vector<char> buf = std::vector<char>(1 << 16);

    la_ssize_t next(const void** out) {  // every byte passes here once: the hash sees the file
        std::size_t n = std::fread(buf.data(), 1, buf.size(), file);
        if (n == 0 && std::ferror(file)) return -1;
        sha.update(buf.data(), n);
        *out = buf.data();
        return static_cast<la_ssize_t>(n);
    }
    void drain() {  // the bytes libarchive did not need (tar padding, or after an error)
        for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), file)) > 0;) sha.update(buf.data(), n);
    }
};

struct Members {
    std::string top, patchlevel, configure;
    bool have_patchlevel = false, have_configure = false;
};

std::string read_member(const fs::path& tarball, archive* a, archive_entry* e, const std::string& name,
                        std::size_t limit) {
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > static_cast<la_int64_t>(limit))
        fail(tarball, fmt::format("member '{}' is larger than {} bytes", name, limit));
    std::string data;
    char chunk[1 << 15];
    for (;;) {
        la_ssize_t n = archive_read_data(a, chunk, sizeof chunk);
        if (n < 0) fail(tarball, fmt::format("reading '{}': {}", name, archive_error_string(a)));
        if (n == 0) break;
        data.append(chunk, static_cast<std::size_t>(n));
        if (data.size() > limit) fail(tarball, fmt::format("member '{}' is larger than {} bytes", name, limit));
    }
    return data;
}

// Checks one member's path and type; keeps patchlevel.h and configure.
void visit(const fs::path& tarball, archive* a, archive_entry* e, Members& m) {
    const char* raw = archive_entry_pathname(e);
    std::string path = raw ? raw : "";
    if (path.empty()) fail(tarball, "a member has no name");
    if (path[0] == '/') fail(tarball, fmt::format("member '{}' has an absolute path", path));
    std::vector<std::string> parts;
    std::istringstream in(path);
    for (std::string part; std::getline(in, part, '/');) {
        if (part.empty() || part == ".") continue;
        if (part == "..") fail(tarball, fmt::format("member '{}' has '..' in its path", path));
        parts.push_back(part);
    }
    if (const char* link = archive_entry_hardlink(e))
        fail(tarball, fmt::format("member '{}' is a hard link to '{}'", path, link));
    auto type = archive_entry_filetype(e);
    if (type == AE_IFLNK) {
        const char* target = archive_entry_symlink(e);
        fail(tarball, fmt::format("member '{}' is a symbolic link to '{}'", path, target ? target : ""));
    }
    if (type != AE_IFREG && type != AE_IFDIR)
        fail(tarball, fmt::format("member '{}' is neither a regular file nor a directory", path));
    if (parts.empty()) return;  // "./"
    if (m.top.empty()) m.top = parts[0];
    if (parts[0] != m.top)
        fail(tarball, fmt::format("members under more than one top-level directory ('{}' and '{}')", m.top, parts[0]));
    if (parts.size() == 1 && type != AE_IFDIR)
        fail(tarball, fmt::format("member '{}' is a file outside the top-level directory", path));
    if (type != AE_IFREG) return;
    if (parts.size() == 3 && parts[1] == "Include" && parts[2] == "patchlevel.h") {
        m.patchlevel = read_member(tarball, a, e, path, kMaxPatchlevel);
        m.have_patchlevel = true;  // a later duplicate wins, as when tar extracts it
    } else if (parts.size() == 2 && parts[1] == "configure") {
        m.configure = read_member(tarball, a, e, path, kMaxConfigure);
        m.have_configure = true;
    }
}

Members scan(const fs::path& tarball, Stream& stream) {
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), &archive_read_free);
    if (!a) throw Error("libarchive: out of memory");
    // the compressions CPython has been released with and GNU tar detects; no filter_all, so no
    // external decompressor program is ever started on an untrusted file
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_xz(a.get());
    archive_read_support_filter_lzma(a.get());
    archive_read_support_filter_bzip2(a.get());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_format_tar(a.get());  // tar only (ustar, pax, GNU): what `tar -xf` unpacks
    auto read_cb = [](archive*, void* data, const void** out) -> la_ssize_t {
        return static_cast<Stream*>(data)->next(out);
    };
    if (archive_read_open(a.get(), &stream, nullptr, read_cb, nullptr) != ARCHIVE_OK)
        fail(tarball, fmt::format("not a readable tar archive: {}", archive_error_string(a.get())));
    Members m;
    archive_entry* e = nullptr;
    for (;;) {
        int r = archive_read_next_header(a.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            fail(tarball, fmt::format("not a readable tar archive: {}", archive_error_string(a.get())));
        visit(tarball, a.get(), e, m);
    }
    return m;
}

SourceFacts facts_from(const fs::path& tarball, const Members& m) {
    if (m.top.empty()) fail(tarball, "the archive is empty");
    if (!m.have_patchlevel)
        fail(tarball, fmt::format("no {}/Include/patchlevel.h: not a CPython source tarball", m.top));
    if (!m.have_configure) fail(tarball, fmt::format("no {}/configure: not a CPython source tarball", m.top));
    SourceFacts f;
    f.top_directory = m.top;
    f.version = parse_py_version(tarball, m.patchlevel);
    auto lines = split_lines(m.configure);
    f.ac_user_opts = parse_ac_user_opts(tarball, lines);
    for (const auto& entry : f.ac_user_opts) {
        bool enable = entry.rfind("enable_", 0) == 0;
        std::string stem = dashed(entry.substr(enable ? 7 : 5));
        f.options.insert((enable ? "--enable-" : "--with-") + stem);
        f.options.insert((enable ? "--disable-" : "--without-") + stem);
    }
    for (auto& b : parse_builtins(tarball, lines)) f.options.insert(b);
    f.options.insert("--enable-option-checking");  // autoconf's own, in every ac_user_opts anyway
    f.options.insert("--disable-option-checking");
    return f;
}

}  // namespace

SourceFacts read_source_facts(const fs::path& tarball, const std::string& sha256) {
    if (!is_sha256(sha256))
        throw Error(fmt::format("'{}' is not a sha256 (64 lowercase hex digits)", sha256), exit_config);
    const fs::path cache_file = facts_dir() / (sha256 + ".json");
    if (auto cached = load_cached(cache_file, sha256)) return *cached;
    if (tarball.empty())
        throw Error(fmt::format("no tarball given and no facts cached for sha256 {}", sha256), exit_config);

    std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(tarball.c_str(), "rb"), &std::fclose);
    if (!file) fail(tarball, fmt::format("cannot open: {}", std::strerror(errno)));
    Stream stream;
    stream.file = file.get();
    auto check_sha = [&] {
        stream.drain();
        if (std::ferror(file.get())) fail(tarball, "read error");
        std::string got = stream.sha.hex();
        if (got != sha256) fail(tarball, fmt::format("has sha256 {}, not the expected {}", got, sha256));
    };
    SourceFacts facts;
    try {
        facts = facts_from(tarball, scan(tarball, stream));
    } catch (const Error&) {
        check_sha();  // a wrong file is best reported as such
        throw;
    }
    check_sha();
    store_cached(cache_file, sha256, facts);
    return facts;
}

}  // namespace pymatrix
