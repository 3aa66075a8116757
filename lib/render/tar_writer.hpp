// render/tar_writer.hpp: an uncompressed tar stream written with libarchive (internal).
// Throws pymatrix::Error on libarchive failures or when a file on disk does not match its sha256.
#pragma once

#include <archive.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace pymatrix::render {

class TarWriter {
public:
    using Sink = std::function<void(const char*, std::size_t)>;
    /// Every chunk of the archive goes to `sink` as it is produced.
    explicit TarWriter(Sink sink);
    /// A regular file with `content`, mode `mode`, mtime 0 (contexts are reproducible).
    void add(const std::string& path, const std::string& content, int mode = 0644);
    /// A regular file copied from `source` in 1 MiB chunks; its sha256 must equal `sha256`.
    void add_file(const std::string& path, const std::filesystem::path& source, const std::string& sha256);
    /// Writes the end-of-archive blocks.
    void finish();

private:
    void header(const std::string& path, std::uintmax_t size, int mode);
    Sink sink_;
    std::unique_ptr<archive, decltype(&archive_write_free)> a_;
};

}  // namespace pymatrix::render
