// Build contexts: an atomic directory per build (`generate`), and a tar stream (`build`).
#include "pymatrix/build.hpp"
#include "pymatrix/render.hpp"
#include "util/sha256.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <memory>

namespace fs = std::filesystem;

namespace pymatrix {

std::vector<fs::path> write_build_dirs(const std::vector<Build>& builds, const fs::path& out_dir) {
    std::vector<std::pair<std::string, std::vector<ContextFile>>> rendered;
    for (auto& b : builds) rendered.emplace_back(b.name, render_context_files(b));  // render all first

    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot create directory: {}", out_dir.string(), ec.message()), exit_config);
    fs::path tmp = out_dir / fmt::format(".pymatrix-tmp-{}", ::getpid());
    fs::remove_all(tmp, ec);
    auto cleanup = [&] { fs::remove_all(tmp, ec); };
    try {
        for (auto& [name, files] : rendered)
            for (auto& f : files) {
                fs::path p = tmp / name / f.path;
                fs::create_directories(p.parent_path());
                std::ofstream o(p, std::ios::binary | std::ios::trunc);
                o.write(f.content.data(), static_cast<std::streamsize>(f.content.size()));
                o.close();
                if (!o) throw Error(fmt::format("{}: write failed", p.string()));
            }
        std::vector<fs::path> out;
        for (auto& [name, _] : rendered) {
            fs::path dest = out_dir / name;
            fs::remove_all(dest);
            fs::rename(tmp / name, dest);
            out.push_back(dest / "Dockerfile");
        }
        cleanup();
        return out;
    } catch (const fs::filesystem_error& e) {
        cleanup();
        throw Error(fmt::format("writing {}: {}", out_dir.string(), e.what()));
    } catch (...) {
        cleanup();
        throw;
    }
}

void write_build_context(const Build& b, const std::function<void(const char*, std::size_t)>& sink) {
    if (b.python.source_path.empty())
        throw Error(fmt::format("{}: source '{}' is a URL; fetch it first", b.name, b.python.source));
    std::ifstream src(b.python.source_path, std::ios::binary);
    if (!src) throw Error(fmt::format("{}: cannot read {}", b.name, b.python.source_path.string()));
    std::uintmax_t src_size = fs::file_size(b.python.source_path);

    std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), &archive_write_free);
    archive_write_set_format_pax_restricted(a.get());
    archive_write_set_bytes_in_last_block(a.get(), 1);
    using Sink = std::function<void(const char*, std::size_t)>;
    auto write_cb = [](archive*, void* data, const void* buf, size_t n) -> la_ssize_t {
        (*static_cast<const Sink*>(data))(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
    };
    if (archive_write_open(a.get(), const_cast<Sink*>(&sink), nullptr, write_cb, nullptr) != ARCHIVE_OK)
        throw Error(fmt::format("libarchive: {}", archive_error_string(a.get())));
    auto header = [&](const std::string& path, std::uintmax_t size, int mode) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), &archive_entry_free);
        archive_entry_set_pathname(e.get(), path.c_str());
        archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), mode);
        archive_entry_set_mtime(e.get(), 0, 0);  // reproducible context: the cache keys on content
        if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK)
            throw Error(fmt::format("libarchive: {}", archive_error_string(a.get())));
    };
    for (auto& f : render_context_files(b)) {
        header(f.path, f.content.size(), f.mode);
        archive_write_data(a.get(), f.content.data(), f.content.size());
    }
    header(context_source_name(b), src_size, 0644);
    util::Sha256 md;
    std::vector<char> buf(1 << 20);
    std::uintmax_t sent = 0;
    while (src && sent < src_size) {
        src.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        auto n = static_cast<std::size_t>(src.gcount());
        md.update(buf.data(), n);
        if (archive_write_data(a.get(), buf.data(), n) < 0)
            throw Error(fmt::format("libarchive: {}", archive_error_string(a.get())));
        sent += n;
    }
    std::string hex = md.hex();
    if (sent != src_size || hex != b.python.sha256)
        throw Error(fmt::format("{}: {} changed while streaming (sha256 {}, expected {})", b.name,
                                b.python.source_path.string(), hex, b.python.sha256));
    archive_write_close(a.get());
}

}  // namespace pymatrix
