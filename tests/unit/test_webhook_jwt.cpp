// JWT (V1) verification: tokens built and signed here with mbedTLS.
#include <doctest/doctest.h>

#include <string>

#include "test_webhook_util.hpp"

using namespace webhook_test;
using wh::Reason;

namespace {

Reason check_token(const std::string& token, const std::string& body = answered_body,
                   std::string header = "X-Ringover-Webhook-Signature", wh::Config c = config()) {
    auto v = make(std::move(c));
    Req r = jwt_request(body, token, std::move(header));
    return verify(v, r).reason;
}

std::string number_text(double d) {
    std::string s = std::to_string(d);
    return s;
}

}  // namespace

TEST_CASE("webhook: JWT HS512 wrapped claims accepted, fields parsed") {
    auto v = make();
    Req r = jwt_request(answered_body, make_jwt(hs512_header(), wrapped_claims(answered_body)));
    const auto verdict = verify(v, r);
    CHECK(verdict.reason == Reason::ok);
    CHECK(verdict.scheme == wh::Scheme::jwt);
    CHECK(verdict.event.kind() == wh::Kind::call_answered);
    CHECK(verdict.event.call_id() == 8812004471932250113ull);
    CHECK(verdict.event.field(wh::Field::is_internal) == "0");
    CHECK(verdict.event.raw_json() == answered_body);
    CHECK(wh::http_status(verdict.reason) == 200);
}

TEST_CASE("webhook: JWT exp and nbf honour the leeway") {
    const auto claims_with = [](const std::string& extra) {
        return make_jwt(hs512_header(), wrapped_claims(answered_body, public_url, extra));
    };
    CHECK(check_token(claims_with("\"exp\":" + number_text(now - 30))) == Reason::ok);
    CHECK(check_token(claims_with("\"exp\":" + number_text(now - 61))) == Reason::expired);
    CHECK(check_token(claims_with("\"exp\":" + number_text(now + 3600))) == Reason::ok);
    CHECK(check_token(claims_with("\"nbf\":" + number_text(now + 30))) == Reason::ok);
    CHECK(check_token(claims_with("\"nbf\":" + number_text(now + 61))) == Reason::expired);
    CHECK(check_token(claims_with("\"exp\":null")) == Reason::ok);
    CHECK(check_token(claims_with("\"exp\":\"soon\"")) == Reason::malformed_token);
    wh::Config strict = config();
    strict.leeway_s = 0;
    CHECK(check_token(claims_with("\"exp\":" + number_text(now - 1)), answered_body,
                      "X-Ringover-Webhook-Signature", strict) == Reason::expired);
    CHECK(http_status(Reason::expired) == 401);
}

TEST_CASE("webhook: JWT alg must be exactly HS512") {
    const std::string claims = wrapped_claims(answered_body);
    CHECK(check_token(make_jwt(R"({"alg":"HS256","typ":"JWT"})", claims)) == Reason::bad_alg);
    CHECK(check_token(make_jwt(R"({"typ":"JWT"})", claims)) == Reason::bad_alg);
    CHECK(check_token(make_jwt(R"({"alg":"hs512"})", claims)) == Reason::bad_alg);
    CHECK(check_token(make_jwt(R"({"alg":"none"})", claims)) == Reason::bad_alg);
    CHECK(check_token(make_jwt(R"({"alg":512})", claims)) == Reason::bad_alg);
    CHECK(check_token(make_jwt(R"({"alg":"HS512"})", claims)) == Reason::ok);
    // HS256 really signed with HMAC-SHA256 is refused too.
    const std::string signing = b64url(R"({"alg":"HS256"})") + "." + b64url(claims);
    CHECK(check_token(signing + "." + b64url(hmac(MBEDTLS_MD_SHA256, key, signing))) ==
          Reason::bad_alg);
}

TEST_CASE("webhook: JWT in Authorization, with or without Bearer, any header case") {
    const std::string token = make_jwt(hs512_header(), wrapped_claims(answered_body));
    CHECK(check_token(token, answered_body, "Authorization") == Reason::ok);
    CHECK(check_token("Bearer " + token, answered_body, "Authorization") == Reason::ok);
    CHECK(check_token("bearer  " + token, answered_body, "authorization") == Reason::ok);
    CHECK(check_token("BEARER " + token, answered_body, "AUTHORIZATION") == Reason::ok);
    CHECK(check_token(token, answered_body, "x-ringover-webhook-signature") == Reason::ok);
    CHECK(check_token(token, answered_body, "X-RINGOVER-WEBHOOK-SIGNATURE") == Reason::ok);
    CHECK(check_token("  " + token + " ", answered_body) == Reason::ok);
    // Another Authorization scheme is not a Ringover signature.
    CHECK(check_token("Basic dXNlcjpwYXNz", answered_body, "Authorization") ==
          Reason::missing_signature);
    // An empty header counts as absent.
    CHECK(check_token("", answered_body) == Reason::missing_signature);
    CHECK(check_token("Bearer ", answered_body, "Authorization") == Reason::missing_signature);
}

TEST_CASE("webhook: JWT flat claims (the envelope itself), registered claims left out") {
    CHECK(check_token(make_jwt(hs512_header(), answered_body)) == Reason::ok);
    std::string flat = answered_body;
    flat.insert(1, "\"exp\":" + number_text(now + 100) + ",\"iat\":1,");
    CHECK(check_token(make_jwt(hs512_header(), flat)) == Reason::ok);
    flat = answered_body;
    flat.insert(1, "\"url\":\"https://evil.example/x\",");
    CHECK(check_token(make_jwt(hs512_header(), flat)) == Reason::url_mismatch);
}

TEST_CASE("webhook: body JSON-equality is semantic") {
    const std::string payload = R"({"resource":"call","event":"hangup","attempt":1,)"
                                R"("data":{"call_id":9007199254740993,"x":1.0,"s":"caf\u00e9"}})";
    const std::string token = make_jwt(hs512_header(), wrapped_claims(payload));
    // Key order, whitespace, number spelling and string escapes differ: still equal.
    const std::string reordered =
        " {\n \"data\" : {\"s\":\"caf\xc3\xa9\", \"x\": 1, \"call_id\": 9007199254740993},"
        "\t\"attempt\":1e0, \"event\":\"hangup\", \"resource\":\"call\"}\n";
    CHECK(check_token(token, reordered) == Reason::ok);
    // An extra field, a changed value, a big integer off by one: mismatch.
    CHECK(check_token(token, R"({"resource":"call","event":"hangup","attempt":1,"extra":0,)"
                             R"("data":{"call_id":9007199254740993,"x":1.0,"s":"café"}})") ==
          Reason::body_mismatch);
    CHECK(check_token(token, R"({"resource":"call","event":"hangup","attempt":1,)"
                             R"("data":{"call_id":9007199254740992,"x":1.0,"s":"café"}})") ==
          Reason::body_mismatch);
    CHECK(check_token(token, R"({"resource":"call","event":"hangup","attempt":1,)"
                             R"("data":{"call_id":"9007199254740993","x":1.0,"s":"café"}})") ==
          Reason::body_mismatch);
    CHECK(check_token(token, "") == Reason::bad_json);
    CHECK(check_token(token, R"({"resource":"call"} trailing)") == Reason::bad_json);
    CHECK(http_status(Reason::body_mismatch) == 401);
}

TEST_CASE("webhook: use_signed takes the payload as the event") {
    wh::Config c = config();
    c.body_policy = wh::BodyPolicy::use_signed;
    auto v = make(c);
    Req r = jwt_request("not even json", make_jwt(hs512_header(), wrapped_claims(answered_body)));
    const auto verdict = verify(v, r);
    CHECK(verdict.reason == Reason::ok);
    CHECK(verdict.event.raw_json() == answered_body);
    CHECK(verdict.event.field("to_number") == "33182880000");
}

TEST_CASE("webhook: JWT url claim is normalized, then compared exactly") {
    const auto with_url = [](std::string_view url) {
        return make_jwt(hs512_header(), wrapped_claims(answered_body, url));
    };
    CHECK(check_token(with_url("https://bot.example.fr/hooks/ringover/calls/")) == Reason::ok);
    CHECK(check_token(with_url("HTTPS://BOT.Example.FR:443/hooks/ringover/calls")) == Reason::ok);
    CHECK(check_token(with_url("https://bot.example.fr/hooks/ringover/calls?x=1")) == Reason::ok);
    CHECK(check_token(with_url("https://bot.example.fr/hooks/ringover/CALLS")) ==
          Reason::url_mismatch);
    CHECK(check_token(with_url("http://bot.example.fr/hooks/ringover/calls")) ==
          Reason::url_mismatch);
    CHECK(check_token(with_url("https://bot.example.fr:8443/hooks/ringover/calls")) ==
          Reason::url_mismatch);
    CHECK(check_token(with_url("https://bot.example.fr.evil/hooks/ringover/calls")) ==
          Reason::url_mismatch);
    // A wrapped payload without url claim is refused.
    CHECK(check_token(make_jwt(hs512_header(), "{\"payload\":" + answered_body + "}")) ==
          Reason::url_mismatch);
}

TEST_CASE("webhook: malformed and truncated tokens are rejected, never crash") {
    const std::string good = make_jwt(hs512_header(), wrapped_claims(answered_body));
    CHECK(check_token("a.b") == Reason::malformed_token);
    CHECK(check_token("a.b.c.d") == Reason::malformed_token);
    CHECK(check_token("....") == Reason::malformed_token);
    CHECK(check_token("!!!." + b64url("{}") + ".xx") == Reason::malformed_token);
    CHECK(check_token(b64url("not json") + "." + b64url("{}") + ".") == Reason::malformed_token);
    CHECK(check_token(b64url(hs512_header()) + "." + b64url("[1,2]") + ".") ==
          Reason::malformed_token);
    CHECK(check_token(b64url(hs512_header()) + "." + b64url("{\"payload\":{\"a\":}}") + ".") ==
          Reason::malformed_token);
    // Signature of the wrong size, or altered.
    const std::string signing = good.substr(0, good.rfind('.') + 1);
    CHECK(check_token(signing + b64url(std::string(32, 'x'))) == Reason::bad_signature);
    CHECK(check_token(signing) == Reason::bad_signature);
    std::string altered = good;
    altered.back() = altered.back() == 'A' ? 'Q' : 'A';
    CHECK(check_token(altered) != Reason::ok);
    // Every truncation of a good token.
    auto v = make();
    for (std::size_t n = 0; n < good.size(); ++n) {
        Req r = jwt_request(answered_body, good.substr(0, n));
        const auto verdict = verify(v, r);
        CHECK(verdict.reason != Reason::ok);
        CHECK(verdict.event.kind() == wh::Kind::none);
    }
    // A huge header is refused without decoding it all.
    wh::Config small = config();
    small.max_body_bytes = 4096;
    CHECK(check_token(std::string(1 << 20, 'a') + ".b.c", answered_body,
                      "X-Ringover-Webhook-Signature", small) == Reason::malformed_token);
}
