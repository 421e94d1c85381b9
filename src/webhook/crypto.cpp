#include "webhook/crypto.hpp"

#include <mbedtls/md.h>

#include <memory>

namespace ringoverbot::webhook::detail {

namespace {

struct MdContextFree {
    void operator()(mbedtls_md_context_t* c) const {
        mbedtls_md_free(c);
        delete c;
    }
};

bool hmac(mbedtls_md_type_t type, std::string_view key,
          std::initializer_list<std::string_view> parts, std::uint8_t* out) {
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(type);
    if (info == nullptr) return false;
    std::unique_ptr<mbedtls_md_context_t, MdContextFree> ctx(new mbedtls_md_context_t);
    mbedtls_md_init(ctx.get());
    if (mbedtls_md_setup(ctx.get(), info, 1) != 0) return false;
    if (mbedtls_md_hmac_starts(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                               key.size()) != 0)
        return false;
    for (std::string_view p : parts)
        if (!p.empty() &&
            mbedtls_md_hmac_update(ctx.get(), reinterpret_cast<const unsigned char*>(p.data()),
                                   p.size()) != 0)
            return false;
    return mbedtls_md_hmac_finish(ctx.get(), out) == 0;
}

}  // namespace

bool hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts,
                 std::uint8_t* out) {
    return hmac(MBEDTLS_MD_SHA256, key, parts, out);
}

bool hmac_sha512(std::string_view key, std::initializer_list<std::string_view> parts,
                 std::uint8_t* out) {
    return hmac(MBEDTLS_MD_SHA512, key, parts, out);
}

}  // namespace ringoverbot::webhook::detail
