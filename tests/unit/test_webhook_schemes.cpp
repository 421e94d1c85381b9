// Per-section keys, replays, V3, legacy hex HMAC, the IVR URL token, size limits and hostile
// inputs.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>

#include "test_webhook_util.hpp"
#include "webhook/replay_cache.hpp"

using namespace webhook_test;
using wh::Reason;

namespace {

// `instant` tells events of one kind apart (their timestamps); `attempt` is the delivery.
std::string envelope(std::string_view resource, std::string_view event, int attempt = 1,
                     int instant = 0) {
    return R"({"resource":")" + std::string(resource) + R"(","event":")" + std::string(event) +
           R"(","timestamp":17672600)" + std::to_string(10 + instant) + R"(.3,"attempt":)" +
           std::to_string(attempt) +
           R"(,"data":{"query_search":"morel","user_id":402117,"call_id":"42"}})";
}

Req signed_request(std::string_view body, std::string_view k) {
    return jwt_request(body, make_jwt(hs512_header(), wrapped_claims(body), k));
}

Req v3_request(std::string_view body, std::string_view k, double ts,
               std::string_view signed_url = public_url) {
    Req r;
    r.body = std::string(body);
    const std::string ts_text = std::to_string(static_cast<long long>(ts));
    r.header("X-Ringover-Webhook-Signature-V3", v3_signature(k, "POST", signed_url, body, ts_text));
    r.header("X-Ringover-Request-Signature-V3-Timestamp", ts_text);
    return r;
}

}  // namespace

TEST_CASE("webhook: each dashboard section is verified with its own key") {
    wh::Config c = config();
    c.contact_search_key = "search-key";
    c.contact_call_key = "contact-key";
    c.routing_key = "routing-key";
    auto v = make(c);
    const std::string search = envelope("search", "contact");
    Req ok = signed_request(search, "search-key");
    auto verdict = verify(v, ok);
    CHECK(verdict.reason == Reason::ok);
    CHECK(verdict.event.kind() == wh::Kind::search_contact);
    CHECK(verdict.event.field("query_search") == "morel");
    Req wrong = signed_request(search, key);  // the call-events key
    CHECK(verify(v, wrong).reason == Reason::bad_signature);
    Req contact = signed_request(envelope("call", "contact"), "contact-key");
    CHECK(verify(v, contact).reason == Reason::ok);
    Req routing = signed_request(envelope("call", "routing"), "routing-key");
    CHECK(verify(v, routing).reason == Reason::ok);
    Req routing_wrong = signed_request(envelope("call", "routing", 2), "contact-key");
    CHECK(verify(v, routing_wrong).reason == Reason::bad_signature);
    Req hangup = signed_request(envelope("call", "hangup"), key);
    CHECK(verify(v, hangup).reason == Reason::ok);
    // The section comes from the signed claims, also for V3 from the body.
    Req v3 = v3_request(search, "search-key", now);
    CHECK(verify(v, v3).reason == Reason::ok);

    // Unconfigured sections fall back to the call-events key.
    auto fallback = make(config());
    Req fb = signed_request(search, key);
    CHECK(verify(fallback, fb).reason == Reason::ok);

    // No key at all for the section: no_key.
    wh::Config ivr_only;
    ivr_only.public_url = std::string(public_url);
    ivr_only.ivr_token = "t";
    auto none = make(ivr_only);
    Req nk = signed_request(envelope("call", "hangup"), key);
    const auto nv = verify(none, nk);
    CHECK(nv.reason == Reason::no_key);
    CHECK(wh::http_status(nv.reason) == 401);
    CHECK(wh::section_of("search", "contact") == wh::Section::contact_search);
    CHECK(wh::section_of("call", "ivr_response_code") == wh::Section::routing);
    CHECK(wh::section_of("sms", "sent") == wh::Section::call_events);
}

TEST_CASE(
    "webhook: a redelivery is a duplicate (2xx, no effect), tampered and late replays are "
    "refused") {
    auto v = make();
    Req first = signed_request(envelope("call", "hangup", 1), key);
    CHECK(verify(v, first).reason == Reason::ok);
    CHECK(v.replay_entries() == 1);
    // The same signed request again (our 200 was lost): acknowledged, not processed again.
    const auto again = verify(v, first);
    CHECK(again.reason == Reason::duplicate);
    CHECK(again.duplicate());
    CHECK_FALSE(again.ok());
    CHECK(wh::http_status(again.reason) == 200);
    CHECK(again.event.kind() == wh::Kind::call_hangup);   // readable, for the log
    CHECK(verify(v, first).reason == Reason::duplicate);  // and as often as it comes
    // Ringover's retry: the same event re-signed with a higher attempt.
    Req retry = signed_request(envelope("call", "hangup", 2), key);
    const auto retried = verify(v, retry);
    CHECK(retried.reason == Reason::duplicate);
    CHECK(retried.event.field(wh::Field::attempt) == "2");
    CHECK(verify(v, retry).reason == Reason::duplicate);
    // Another event of the same kind (another timestamp) is new, retry or not.
    Req other = signed_request(envelope("call", "hangup", 2, 1), key);
    CHECK(verify(v, other).reason == Reason::ok);
    // An attempt-1 event equal to an earlier one is not called a retry: it goes through.
    Req lookalike = signed_request(envelope("call", "hangup", 1, 5), key);
    CHECK(verify(v, lookalike).reason == Reason::ok);
    // A rejected request is not recorded: its valid twin still passes, and a tampered copy
    // of an accepted request stays refused.
    Req good = signed_request(envelope("call", "missed"), key);
    Req tampered = good;
    tampered.body = envelope("call", "ringing");
    CHECK(verify(v, tampered).reason == Reason::body_mismatch);
    CHECK(verify(v, good).reason == Reason::ok);
    CHECK(verify(v, tampered).reason == Reason::body_mismatch);
    // The same signature after the window (while still remembered) is a replay: refused.
    first.at = now + 601;
    const auto late = verify(v, first);
    CHECK(late.reason == Reason::replayed);
    CHECK(wh::http_status(late.reason) == 401);
    CHECK(late.event.kind() == wh::Kind::none);
    // V3: a redelivery inside its 300 s window is a duplicate, the same request later stale.
    Req v3 = v3_request(envelope("call", "answered"), key, now);
    CHECK(verify(v, v3).reason == Reason::ok);
    CHECK(verify(v, v3).reason == Reason::duplicate);
    v3.at = now + 301;
    CHECK(verify(v, v3).reason == Reason::stale_timestamp);
    Req v3_tampered = v3_request(envelope("call", "answered"), key, now);
    v3_tampered.body = envelope("call", "hangup");
    CHECK(verify(v, v3_tampered).reason == Reason::bad_signature);

    wh::Config off = config();
    off.reject_replays = false;
    auto lax = make(off);
    first.at = now;
    CHECK(verify(lax, first).reason == Reason::ok);
    CHECK(verify(lax, first).reason == Reason::ok);
    CHECK(verify(lax, retry).reason == Reason::ok);
}

TEST_CASE("webhook: the replay cache is bounded and evicts the oldest") {
    wh::Config c = config();
    c.replay_cache_size = 8;
    auto v = make(c);
    const std::size_t memory = v.replay_memory_bytes();
    CHECK(v.replay_capacity() == 8);
    std::vector<Req> sent;
    for (int i = 0; i < 20; ++i) {
        sent.push_back(signed_request(envelope("call", "hangup", 1, i), key));
        CHECK(verify(v, sent.back()).reason == Reason::ok);
        CHECK(v.replay_entries() == std::min<std::size_t>(i + 1, 8));
    }
    CHECK(v.replay_memory_bytes() == memory);
    CHECK(verify(v, sent[19]).reason == Reason::duplicate);  // newest: kept
    CHECK(verify(v, sent[12]).reason == Reason::duplicate);  // 8th newest: kept
    CHECK(verify(v, sent[11]).reason == Reason::ok);         // evicted
    CHECK(verify(v, sent[0]).reason == Reason::ok);          // evicted
    CHECK(v.replay_entries() == 8);
}

TEST_CASE("webhook: replay cache index survives collisions and evictions") {
    using ringoverbot::webhook::detail::ReplayCache;
    ReplayCache cache(100, 600);
    std::mt19937_64 rng(7);
    std::vector<ReplayCache::Digest> all;
    for (int i = 0; i < 1000; ++i) {
        ReplayCache::Digest d{};
        // Few distinct hash values: long probe chains that evictions must keep intact.
        const std::uint64_t bucket = rng() % 13;
        for (int b = 0; b < 8; ++b) d[b] = static_cast<std::uint8_t>(bucket >> (8 * b));
        for (std::size_t b = 8; b < d.size(); ++b) d[b] = static_cast<std::uint8_t>(rng());
        all.push_back(d);
        cache.record(d, 1000.0 + i);
        CHECK(cache.size() == std::min<std::size_t>(i + 1, 100));
    }
    for (int i = 0; i < 1000; ++i) CHECK(cache.seen(all[i], 2000.0) == (i >= 900));
    CHECK_FALSE(cache.seen(all[999], 2000.0 + 1000.0));  // outside the window
    // Re-recording a known digest keeps the count.
    cache.record(all[950], 2100.0);
    CHECK(cache.size() == 100);
    CHECK(cache.seen(all[950], 2100.0));
}

TEST_CASE("webhook: a delivery answered 5xx is forgotten, so its retry is taken") {
    auto v = make();
    Req first = signed_request(envelope("call", "hangup", 1), key);
    const auto accepted = verify(v, first);
    REQUIRE(accepted.reason == Reason::ok);
    CHECK(accepted.receipt.held);
    // The receiver could not act on it (it answered 503): both records are taken back.
    v.forget(accepted.receipt);
    CHECK(v.replay_entries() == 0);
    Req retry = signed_request(envelope("call", "hangup", 2), key);
    const auto retried = verify(v, retry);
    CHECK(retried.reason == Reason::ok);  // before forget(): a duplicate
    CHECK(verify(v, retry).reason == Reason::duplicate);
    CHECK(verify(v, first).reason == Reason::ok);  // the exact redelivery is new again too
    // A duplicate or a refusal holds no receipt: forgetting it changes nothing.
    const auto dup = verify(v, retry);
    CHECK_FALSE(dup.receipt.held);
    v.forget(dup.receipt);
    CHECK(verify(v, retry).reason == Reason::duplicate);
    // Without replay protection nothing is recorded.
    wh::Config off = config();
    off.reject_replays = false;
    auto lax = make(off);
    CHECK_FALSE(verify(lax, first).receipt.held);
}

TEST_CASE("webhook: replay cache forget keeps the index and the eviction order whole") {
    using ringoverbot::webhook::detail::ReplayCache;
    ReplayCache cache(50, 600);
    std::mt19937_64 rng(11);
    std::vector<ReplayCache::Digest> all;
    for (int i = 0; i < 400; ++i) {
        ReplayCache::Digest d{};
        const std::uint64_t bucket = rng() % 5;  // long probe chains
        for (int b = 0; b < 8; ++b) d[b] = static_cast<std::uint8_t>(bucket >> (8 * b));
        for (std::size_t b = 8; b < d.size(); ++b) d[b] = static_cast<std::uint8_t>(rng());
        all.push_back(d);
    }
    std::vector<bool> held(all.size(), false);
    for (int i = 0; i < 400; ++i) {
        cache.record(all[i], 1000.0 + i);
        held[i] = true;
        if (i >= 50) held[i - 50] = false;  // the entry 50 places back is evicted (or was freed)
        if (i % 3 == 0) {                   // forget one of the live ones now and then
            const int victim = i - static_cast<int>(rng() % std::min(i + 1, 50));
            cache.forget(all[victim]);
            held[victim] = false;
        }
        std::size_t live = 0;
        for (int j = std::max(0, i - 60); j <= i; ++j) {
            CHECK(cache.seen(all[j], 1000.0 + i) == held[j]);
            live += held[j] ? 1 : 0;
        }
        CHECK(cache.size() == live);
    }
    cache.forget(all[0]);  // not held: nothing happens
    CHECK(cache.size() <= 50);
}

TEST_CASE("webhook: V3 signature, timestamp window and the signed URL") {
    auto v = make();
    const std::string body = envelope("call", "answered");
    Req ok = v3_request(body, key, now - 299);
    const auto verdict = verify(v, ok);
    CHECK(verdict.reason == Reason::ok);
    CHECK(verdict.scheme == wh::Scheme::v3);
    Req future = v3_request(body, key, now + 301);
    CHECK(verify(v, future).reason == Reason::stale_timestamp);
    CHECK(wh::http_status(Reason::stale_timestamp) == 401);
    Req wrong_key = v3_request(body, "other", now);
    CHECK(verify(v, wrong_key).reason == Reason::bad_signature);
    // With a query: public_url?query, or public_url alone.
    Req q1 = v3_request(body, key, now - 1, std::string(public_url) + "?a=b");
    q1.url = "/hooks/ringover/calls?a=b";
    CHECK(verify(v, q1).reason == Reason::ok);
    Req q2 = v3_request(body, key, now - 2);
    q2.url = "https://bot.example.fr/hooks/ringover/calls?a=b";
    CHECK(verify(v, q2).reason == Reason::ok);
    // Method is signed (upper-cased).
    Req lower = v3_request(body, key, now - 3);
    lower.method = "post";
    CHECK(verify(v, lower).reason == Reason::ok);
    Req put = v3_request(body, key, now - 4);
    put.method = "PUT";
    CHECK(verify(v, put).reason == Reason::bad_signature);
    // Timestamp header missing or not a number.
    Req no_ts;
    no_ts.body = body;
    no_ts.header("X-Ringover-Webhook-Signature-V3", "AAAA");
    CHECK(verify(v, no_ts).reason == Reason::malformed_token);
    no_ts.header("x-ringover-request-signature-v3-timestamp", "soon");
    CHECK(verify(v, no_ts).reason == Reason::malformed_token);
    // A signed body that is not JSON.
    Req bad = v3_request("{\"resource\":", key, now);
    CHECK(verify(v, bad).reason == Reason::bad_json);
}

TEST_CASE("webhook: legacy hex HMAC only when enabled") {
    const std::string body = envelope("call", "hangup");
    const std::string mac = hmac(MBEDTLS_MD_SHA256, key, body);
    Req r;
    r.body = body;
    r.header("X-Ringover-Signature", "sha256=" + hex(mac));
    auto off = make();
    const auto refused = verify(off, r);
    CHECK(refused.reason == Reason::missing_signature);

    wh::Config c = config();
    c.accept_legacy_hmac = true;
    c.reject_replays = false;
    auto on = make(c);
    const auto accepted = verify(on, r);
    CHECK(accepted.reason == Reason::ok);
    CHECK(accepted.scheme == wh::Scheme::legacy_hmac);
    Req bare;
    bare.body = body;
    bare.header("x-ringover-signature", hex(mac, true));
    CHECK(verify(on, bare).reason == Reason::ok);
    Req wrong;
    wrong.body = body + " ";
    wrong.header("X-Ringover-Signature", hex(mac));
    CHECK(verify(on, wrong).reason == Reason::bad_signature);
    Req junk;
    junk.body = body;
    junk.header("X-Ringover-Signature", "sha256=zz" + hex(mac).substr(2));
    CHECK(verify(on, junk).reason == Reason::malformed_token);
    Req short_sig;
    short_sig.body = body;
    short_sig.header("X-Ringover-Signature", "abcd");
    CHECK(verify(on, short_sig).reason == Reason::malformed_token);
}

TEST_CASE("webhook: unsigned ivr_response_code needs the URL token") {
    const std::string body =
        R"({"resource":"call","event":"ivr_response_code","timestamp":1767258070.0,)"
        R"("data":{"call_id":8812004471932250113,"direction":"inbound",)"
        R"("from_number":"33611223344","to_number":"33182880000","code":4521}})";
    wh::Config c = config();
    c.ivr_token = "s3cr3t-ivr";
    auto v = make(c);
    auto at = [&](std::string url, std::string b) {
        Req r;
        r.url = std::move(url);
        r.body = std::move(b);
        return verify(v, r);
    };
    const auto ok = at(std::string(public_url) + "?token=s3cr3t-ivr", body);
    CHECK(ok.reason == Reason::ok);
    CHECK(ok.scheme == wh::Scheme::ivr_token);
    CHECK(ok.event.kind() == wh::Kind::call_ivr_response_code);
    CHECK(ok.event.field("code") == "4521");
    CHECK(at("/hooks/ringover/calls?x=1&token=s3cr3t%2Divr", body).reason == Reason::ok);
    CHECK(at(std::string(public_url) + "?token=s3cr3t-ivX", body).reason ==
          Reason::missing_signature);
    CHECK(at(std::string(public_url) + "?token=", body).reason == Reason::missing_signature);
    CHECK(at(std::string(public_url) + "?token=s3cr3t-ivr-longer", body).reason ==
          Reason::missing_signature);
    CHECK(at(std::string(public_url), body).reason == Reason::missing_signature);
    CHECK(at(std::string(public_url) + "?token=%zz", body).reason == Reason::missing_signature);
    // Only ivr_response_code may come unsigned.
    CHECK(at(std::string(public_url) + "?token=s3cr3t-ivr", envelope("call", "hangup")).reason ==
          Reason::missing_signature);
    CHECK(at(std::string(public_url) + "?token=s3cr3t-ivr", "{bad").reason == Reason::bad_json);
    // No token configured: refused.
    auto no_token = make();
    Req r;
    r.url = std::string(public_url) + "?token=s3cr3t-ivr";
    r.body = body;
    CHECK(verify(no_token, r).reason == Reason::missing_signature);
}

TEST_CASE("webhook: body size limit comes first") {
    wh::Config c = config();
    c.max_body_bytes = 100;
    auto v = make(c);
    Req big;
    big.body = std::string(101, ' ');
    const auto verdict = verify(v, big);
    CHECK(verdict.reason == Reason::body_too_large);
    CHECK(wh::http_status(verdict.reason) == 413);
    Req at_limit;
    at_limit.body = std::string(100, ' ');
    CHECK(verify(v, at_limit).reason == Reason::missing_signature);
}

TEST_CASE("webhook: hostile inputs give verdicts, never crashes") {
    auto v = make();
    // Signed (V3) bodies that are not acceptable JSON.
    const std::string nested_deep = std::string(100000, '[') + std::string(100000, ']');
    const std::string nested_obj = [] {
        std::string s;
        for (int i = 0; i < 70; ++i) s += "{\"a\":";
        s += "1";
        for (int i = 0; i < 70; ++i) s += "}";
        return s;
    }();
    for (const std::string& body :
         {std::string(), std::string("\xff\xfe{}"), std::string("{\"a\":\"\xc3\x28\"}"),
          std::string("{\"data\":") + nested_deep + "}", nested_obj, std::string("[1,2]"),
          std::string("{\"a\":01}"), std::string("{\"a\":1.}"), std::string("{\"a\":tru}"),
          std::string("{\"a\":nul}"), std::string("{\"a\":\"\\x\"}"), std::string("\"str\""),
          std::string("{\"a\":1}{")}) {
        CAPTURE(body.substr(0, 40));
        Req r = v3_request(body, key, now);
        CHECK(verify(v, r).reason == Reason::bad_json);
        CHECK(http_status(Reason::bad_json) == 400);
    }
    // Non-finite clock readings are refused rather than trusted.
    Req r = signed_request(envelope("call", "hangup"), key);
    r.at = std::nan("");
    CHECK(verify(v, r).reason != Reason::ok);
    // Random header values for every scheme.
    std::mt19937 rng(3);
    const char* names[] = {"X-Ringover-Webhook-Signature", "Authorization",
                           "X-Ringover-Webhook-Signature-V3",
                           "X-Ringover-Request-Signature-V3-Timestamp", "X-Ringover-Signature"};
    for (int i = 0; i < 500; ++i) {
        Req h;
        h.body = envelope("call", "hangup");
        std::string value(rng() % 200, '\0');
        constexpr std::string_view alphabet(
            "ab.-_=+/ \x01\xff"
            "0");
        for (char& ch : value) ch = alphabet[rng() % alphabet.size()];
        h.header(names[rng() % 5], value);
        h.header(names[rng() % 5], value.substr(0, value.size() / 2));
        CHECK(verify(v, h).reason != Reason::ok);
    }
}

TEST_CASE("webhook: verifier creation validates its config") {
    wh::Config c = config();
    c.public_url.clear();
    CHECK(wh::Verifier::create(c).code() == ringoverbot::Errc::invalid_argument);
    wh::Config no_key;
    no_key.public_url = std::string(public_url);
    CHECK(wh::Verifier::create(no_key).code() == ringoverbot::Errc::invalid_argument);
    c = config();
    c.replay_cache_size = 0;
    CHECK(wh::Verifier::create(c).code() == ringoverbot::Errc::invalid_argument);
    c.reject_replays = false;
    CHECK(wh::Verifier::create(c).ok());
    c = config();
    c.leeway_s = -1;
    CHECK(wh::Verifier::create(c).code() == ringoverbot::Errc::invalid_argument);
    const wh::Config defaults;
    CHECK(defaults.replay_cache_size == 4096);
    CHECK(defaults.replay_window_s == 600);
    CHECK(defaults.leeway_s == 60);
    CHECK(defaults.v3_window_s == 300);
    CHECK(defaults.max_body_bytes == 1024 * 1024);
    CHECK(defaults.reject_replays);
    CHECK_FALSE(defaults.accept_legacy_hmac);
    CHECK(defaults.body_policy == wh::BodyPolicy::require_equal);
    CHECK(wh::reason_name(Reason::no_key) == "no_key");
    CHECK(wh::reason_name(static_cast<Reason>(99)) == "unknown");
}
