// Helpers shared by the webhook tests: JWT/V3/legacy signing done directly with mbedTLS (an
// independent path from the library's own HMAC code) and request plumbing.
#pragma once

#include <doctest/doctest.h>
#include <mbedtls/md.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.hpp"
#include "ringoverbot/webhook.hpp"

namespace webhook_test {

namespace wh = ringoverbot::webhook;

inline constexpr std::string_view key = "rk_test_key_0123";
inline constexpr std::string_view public_url = "https://bot.example.fr/hooks/ringover/calls";

inline std::string hmac(mbedtls_md_type_t type, std::string_view k, std::string_view msg) {
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(type);
    std::string mac(mbedtls_md_get_size(info), '\0');
    mbedtls_md_hmac(info, reinterpret_cast<const unsigned char*>(k.data()), k.size(),
                    reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                    reinterpret_cast<unsigned char*>(mac.data()));
    return mac;
}

inline std::string b64url(std::string_view s) {
    return ringoverbot::base64::encode(s, ringoverbot::base64::Alphabet::url, false);
}

// header JSON + claims JSON -> compact JWS signed with HMAC-SHA512 (whatever alg says).
inline std::string make_jwt(std::string_view header_json, std::string_view claims_json,
                            std::string_view k = key) {
    std::string signing = b64url(header_json) + "." + b64url(claims_json);
    return signing + "." + b64url(hmac(MBEDTLS_MD_SHA512, k, signing));
}

inline std::string hs512_header() {
    return R"({"alg":"HS512","typ":"JWT"})";
}

inline std::string wrapped_claims(std::string_view payload, std::string_view url = public_url,
                                  std::string_view extra = "") {
    std::string c = "{\"url\":\"" + std::string(url) + "\",\"payload\":" + std::string(payload);
    if (!extra.empty()) c += "," + std::string(extra);
    return c + "}";
}

inline std::string v3_signature(std::string_view k, std::string_view method, std::string_view url,
                                std::string_view body, std::string_view ts) {
    std::string msg = std::string(method) + std::string(url) + std::string(body) + std::string(ts);
    return ringoverbot::base64::encode(hmac(MBEDTLS_MD_SHA256, k, msg));
}

inline std::string hex(std::string_view bytes, bool upper = false) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

inline const std::string answered_body =
    R"({"resource":"call","event":"answered","timestamp":1767258061.215,"attempt":1,)"
    R"("data":{"id":"0c3e2b8e-5d1a-4f3a-9a57-2f1f6b3c8d10","call_id":8812004471932250113,)"
    R"("channel_id":55190342,"direction":"inbound","from_number":"33611223344",)"
    R"("to_number":"33182880000","user_id":402117,"is_internal":false,"status":"answered"}})";

inline constexpr double now = 1767258190;

inline wh::Config config() {
    wh::Config c;
    c.public_url = std::string(public_url);
    c.call_events_key = std::string(key);
    return c;
}

// A verifier for a test; a config the library refuses fails the test at once.
inline wh::Verifier make(wh::Config c = config()) {
    auto v = wh::Verifier::create(std::move(c));
    REQUIRE(v.ok());
    return std::move(v).value();
}

// A request with owned headers.
struct Req {
    std::vector<std::pair<std::string, std::string>> header_store;
    std::vector<wh::Header> headers;
    std::string body;
    std::string url = std::string(public_url);
    std::string method = "POST";
    double at = now;

    Req& header(std::string n, std::string v) {
        header_store.emplace_back(std::move(n), std::move(v));
        return *this;
    }
    wh::Request get() {
        headers.clear();
        for (auto& [n, v] : header_store) headers.push_back({n, v});
        wh::Request r;
        r.method = method;
        r.url = url;
        r.headers = headers;
        r.body = body;
        r.now = at;
        return r;
    }
};

inline Req jwt_request(std::string_view body, std::string token,
                       std::string header = "X-Ringover-Webhook-Signature") {
    Req r;
    r.body = std::string(body);
    r.header(std::move(header), std::move(token));
    return r;
}

inline wh::Verdict verify(wh::Verifier& v, Req& r) {
    return v.verify(r.get());
}

}  // namespace webhook_test
