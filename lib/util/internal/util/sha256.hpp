// util/sha256.hpp: incremental SHA-256 over OpenSSL EVP (internal). Throws pymatrix::Error
// if OpenSSL cannot initialise the digest.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>

namespace pymatrix::util {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    /// Finishes the digest: 64 lowercase hex digits. Call once.
    std::string hex();

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace pymatrix::util
