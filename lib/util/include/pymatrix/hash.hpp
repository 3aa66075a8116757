// pymatrix/hash.hpp: SHA-256 digests through OpenSSL's EVP interface.
#pragma once

#include <filesystem>
#include <string>

namespace pymatrix {

/// SHA-256 of a file as 64 lowercase hex digits (OpenSSL EVP), read in 1 MiB chunks. Throws Error
/// if the file cannot be read.
std::string sha256_file(const std::filesystem::path& path);

/// SHA-256 of bytes as 64 lowercase hex digits (OpenSSL EVP). Throws Error if OpenSSL cannot
/// initialise the digest.
std::string sha256_hex(const std::string& bytes);

}  // namespace pymatrix
