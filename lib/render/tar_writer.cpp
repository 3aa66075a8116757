#include "tar_writer.hpp"

#include "pymatrix/error.hpp"
#include "util/sha256.hpp"

#include <archive_entry.h>
#include <fmt/format.h>

#include <fstream>
#include <vector>

namespace pymatrix::render {

TarWriter::TarWriter(Sink sink) : sink_(std::move(sink)), a_(archive_write_new(), &archive_write_free) {
    archive_write_set_format_pax_restricted(a_.get());
    archive_write_set_bytes_in_last_block(a_.get(), 1);
    auto write_cb = [](archive*, void* self, const void* buf, size_t n) -> la_ssize_t {
        static_cast<TarWriter*>(self)->sink_(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
    };
    if (archive_write_open(a_.get(), this, nullptr, write_cb, nullptr) != ARCHIVE_OK)
        throw Error(fmt::format("libarchive: {}", archive_error_string(a_.get())));
}

void TarWriter::header(const std::string& path, std::uintmax_t size, int mode) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), &archive_entry_free);
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), mode);
    archive_entry_set_mtime(e.get(), 0, 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK)
        throw Error(fmt::format("libarchive: {}", archive_error_string(a_.get())));
}

void TarWriter::add(const std::string& path, const std::string& content, int mode) {
    header(path, content.size(), mode);
    if (archive_write_data(a_.get(), content.data(), content.size()) < 0)
        throw Error(fmt::format("libarchive: {}", archive_error_string(a_.get())));
}

void TarWriter::add_file(const std::string& path, const std::filesystem::path& source, const std::string& sha256) {
    std::ifstream src(source, std::ios::binary);
    if (!src) throw Error(fmt::format("cannot read {}", source.string()));
    std::uintmax_t size = std::filesystem::file_size(source);
    header(path, size, 0644);
    util::Sha256 md;
    std::vector<char> buf(1 << 20);
    std::uintmax_t sent = 0;
    while (src && sent < size) {
        src.read(buf.data(), static_cast<std::streamsize>(std::min<std::uintmax_t>(buf.size(), size - sent)));
        auto n = static_cast<std::size_t>(src.gcount());
        md.update(buf.data(), n);
        if (archive_write_data(a_.get(), buf.data(), n) < 0)
            throw Error(fmt::format("libarchive: {}", archive_error_string(a_.get())));
        sent += n;
    }
    std::string hex = md.hex();
    if (sent != size || hex != sha256)
        throw Error(fmt::format("{} changed while streaming (sha256 {}, expected {})", source.string(), hex, sha256));
}

void TarWriter::finish() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK)
        throw Error(fmt::format("libarchive: {}", archive_error_string(a_.get())));
}

}  // namespace pymatrix::render
