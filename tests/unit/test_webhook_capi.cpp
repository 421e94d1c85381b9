// The webhooks section of the C ABI end to end.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "ringoverbot.h"
#include "test_webhook_util.hpp"

using namespace webhook_test;

TEST_CASE("webhook: C ABI defaults, verify, fields, json, kind") {
    rob_webhook_verifier_params p;
    std::memset(&p, 0xAB, sizeof p);
    rob_webhook_verifier_params_init(&p, sizeof p);
    CHECK(p.struct_size == sizeof p);
    CHECK(p.public_url == nullptr);
    CHECK(p.call_events_key == nullptr);
    CHECK(p.body_policy == ROB_WH_BODY_REQUIRE_EQUAL);
    CHECK(p.accept_legacy_hmac == 0);
    CHECK(p.reject_replays == 1);
    CHECK(p.replay_cache_size == 4096);
    CHECK(p.replay_window_s == 600);
    CHECK(p.leeway_s == 60);
    CHECK(p.v3_window_s == 300);
    CHECK(p.max_body_bytes == 1024 * 1024);
    CHECK(rob_struct_size(ROB_STRUCT_WEBHOOK_VERIFIER_PARAMS) == sizeof p);

    rob_webhook_verifier* v = nullptr;
    CHECK(rob_webhook_verifier_create(&p, &v) == ROB_ERR_INVALID_ARGUMENT);  // no URL
    const std::string url(public_url), k(key);
    p.public_url = url.c_str();
    CHECK(rob_webhook_verifier_create(&p, &v) == ROB_ERR_INVALID_ARGUMENT);  // no key
    p.call_events_key = k.c_str();
    p.body_policy = 7;
    CHECK(rob_webhook_verifier_create(&p, &v) == ROB_ERR_INVALID_ARGUMENT);
    p.body_policy = ROB_WH_BODY_REQUIRE_EQUAL;
    REQUIRE(rob_webhook_verifier_create(&p, &v) == ROB_OK);
    REQUIRE(v != nullptr);

    const std::string token = make_jwt(hs512_header(), wrapped_claims(answered_body));
    const char* names[] = {"content-type", "x-ringover-webhook-signature"};
    const char* values[] = {"application/json", token.c_str()};
    rob_webhook_request req;
    rob_webhook_request_init(&req, sizeof req);
    CHECK(std::string(req.method) == "POST");
    req.url = "/hooks/ringover/calls";
    req.header_names = names;
    req.header_values = values;
    req.header_count = 2;
    req.body = reinterpret_cast<const uint8_t*>(answered_body.data());
    req.body_len = answered_body.size();
    req.now = now;
    rob_webhook_result* r = nullptr;
    REQUIRE(rob_webhook_verify(v, &req, &r) == ROB_OK);
    CHECK(rob_webhook_result_reason(r) == ROB_WH_OK);
    CHECK(std::string(rob_webhook_result_detail(r)).find("JWT") != std::string::npos);
    CHECK(rob_webhook_result_kind(r) == ROB_WH_EVENT_CALL_ANSWERED);
    CHECK(std::string(rob_webhook_result_field(r, "call_id")) == "8812004471932250113");
    CHECK(std::string(rob_webhook_result_field(r, "is_internal")) == "0");
    CHECK(std::string(rob_webhook_result_field(r, "resource")) == "call");
    CHECK(rob_webhook_result_field(r, "hangup_time") == nullptr);
    CHECK(rob_webhook_result_field(r, "nope") == nullptr);
    size_t len = 0;
    const char* json = rob_webhook_result_json(r, &len);
    CHECK(std::string(json, len) == answered_body);
    CHECK(json[len] == '\0');
    rob_webhook_result_destroy(r);

    // Delivered again: a duplicate, answered 200, its event still readable for the log.
    REQUIRE(rob_webhook_verify(v, &req, &r) == ROB_OK);
    CHECK(rob_webhook_result_reason(r) == ROB_WH_DUPLICATE);
    CHECK(rob_webhook_reason_http_status(rob_webhook_result_reason(r)) == 200);
    CHECK(rob_webhook_result_kind(r) == ROB_WH_EVENT_CALL_ANSWERED);
    CHECK(std::string(rob_webhook_result_field(r, "call_id")) == "8812004471932250113");
    rob_webhook_result_destroy(r);

    // Again after the replay window: replayed, and a rejected result has no event.
    req.now = now + 601;
    REQUIRE(rob_webhook_verify(v, &req, &r) == ROB_OK);
    CHECK(rob_webhook_result_reason(r) == ROB_WH_REPLAYED);
    CHECK(rob_webhook_result_kind(r) == ROB_WH_EVENT_NONE);
    CHECK(rob_webhook_result_field(r, "call_id") == nullptr);
    CHECK(rob_webhook_result_json(r, &len) == nullptr);
    CHECK(len == 0);
    rob_webhook_result_destroy(r);

    // Misuse.
    CHECK(rob_webhook_verify(nullptr, &req, &r) == ROB_ERR_INVALID_ARGUMENT);
    req.body = nullptr;
    CHECK(rob_webhook_verify(v, &req, &r) == ROB_ERR_INVALID_ARGUMENT);
    req.body_len = 0;
    req.header_count = 0;
    REQUIRE(rob_webhook_verify(v, &req, &r) == ROB_OK);
    CHECK(rob_webhook_result_reason(r) == ROB_WH_MISSING_SIGNATURE);
    rob_webhook_result_destroy(r);
    rob_webhook_verifier_destroy(v);
    rob_webhook_verifier_destroy(nullptr);
    rob_webhook_result_destroy(nullptr);
}

TEST_CASE("webhook: C ABI reason names and HTTP statuses") {
    const char* expected[] = {
        "ok",           "missing_signature", "malformed_token", "bad_alg",         "bad_signature",
        "url_mismatch", "body_mismatch",     "expired",         "stale_timestamp", "body_too_large",
        "bad_json",     "replayed",          "no_key",          "duplicate"};
    for (int i = 0; i <= ROB_WH_DUPLICATE; ++i)
        CHECK(std::string(rob_webhook_reason_name(i)) == expected[i]);
    CHECK(std::string(rob_webhook_reason_name(-1)) == "unknown");
    CHECK(rob_webhook_reason_http_status(ROB_WH_OK) == 200);
    CHECK(rob_webhook_reason_http_status(ROB_WH_DUPLICATE) == 200);
    CHECK(rob_webhook_reason_http_status(ROB_WH_BAD_JSON) == 400);
    CHECK(rob_webhook_reason_http_status(ROB_WH_BODY_TOO_LARGE) == 413);
    for (int i : {ROB_WH_MISSING_SIGNATURE, ROB_WH_MALFORMED_TOKEN, ROB_WH_BAD_ALG,
                  ROB_WH_BAD_SIGNATURE, ROB_WH_URL_MISMATCH, ROB_WH_BODY_MISMATCH, ROB_WH_EXPIRED,
                  ROB_WH_STALE_TIMESTAMP, ROB_WH_REPLAYED, ROB_WH_NO_KEY})
        CHECK(rob_webhook_reason_http_status(i) == 401);
}

TEST_CASE("webhook: C ABI accepts a shorter (older) params struct") {
    rob_webhook_verifier_params p;
    rob_webhook_verifier_params_init(&p, sizeof p);
    const std::string url(public_url), k(key);
    p.public_url = url.c_str();
    p.call_events_key = k.c_str();
    p.struct_size = offsetof(rob_webhook_verifier_params, body_policy);  // an older caller
    p.replay_cache_size = 0;  // beyond its size: ignored, default used
    rob_webhook_verifier* v = nullptr;
    REQUIRE(rob_webhook_verifier_create(&p, &v) == ROB_OK);
    rob_webhook_verifier_destroy(v);
}
