// Ringover's REST API through the C ABI: params defaults, refusals, the region helper. (The
// requests themselves run against the loopback fixture in the Python tests.)
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "ringoverbot.h"
#include "ringoverbot/ringover_api.hpp"

TEST_CASE("rest capi: params defaults are the C++ ones; the struct size is published") {
    CHECK(rob_struct_size(ROB_STRUCT_RINGOVER_API_PARAMS) == sizeof(rob_ringover_api_params));
    rob_ringover_api_params p;
    std::memset(&p, 0xAB, sizeof p);
    rob_ringover_api_params_init(&p, sizeof p);
    const ringoverbot::ringover::RestConfig d;
    CHECK(p.struct_size == sizeof p);
    CHECK(p.api_key == nullptr);
    CHECK(p.base_url == nullptr);
    CHECK(p.hangup_path == nullptr);
    CHECK(p.requests_per_second == d.requests_per_second);
    CHECK(p.burst == d.burst);
    CHECK(p.max_rate_limited_retries == d.max_rate_limited_retries);
    CHECK(p.backoff_ms == d.backoff_ms);
    CHECK(p.max_backoff_ms == d.max_backoff_ms);
    CHECK(p.timeout_ms == d.timeout_ms);

    rob_server_params s;
    rob_server_params_init(&s, sizeof s);
    CHECK(s.ringover_api == nullptr);
    CHECK(s.rest_transfer_fallback_ms == 4000);
    CHECK(s.rest_call_context == 1);
}

TEST_CASE("rest capi: create refuses a missing key or client, and a bad rate") {
    rob_cloud_client* client = nullptr;
    REQUIRE(rob_cloud_client_create(nullptr, &client) == ROB_OK);
    rob_ringover_api_params p;
    rob_ringover_api_params_init(&p, sizeof p);
    rob_ringover_api* api = nullptr;
    CHECK(rob_ringover_api_create(&p, client, &api) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("api_key") != std::string::npos);
    p.api_key = "k";
    CHECK(rob_ringover_api_create(&p, nullptr, &api) == ROB_ERR_INVALID_ARGUMENT);
    p.requests_per_second = -1;
    CHECK(rob_ringover_api_create(&p, client, &api) == ROB_ERR_INVALID_ARGUMENT);
    p.requests_per_second = 2;
    p.base_url = "http://127.0.0.1:9/v2";
    REQUIRE(rob_ringover_api_create(&p, client, &api) == ROB_OK);
    int32_t status = -1;
    // Refused before sending (no channel): answered at once, status 0.
    CHECK(rob_ringover_api_request(api, ROB_RINGOVER_TRANSFER, nullptr, "101", &status, nullptr,
                                   nullptr) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(status == 0);
    CHECK(rob_ringover_api_request(api, 99, "1", nullptr, &status, nullptr, nullptr) ==
          ROB_ERR_INVALID_ARGUMENT);
    uint64_t sent = 9, limited = 9;
    CHECK(rob_ringover_api_counters(api, &sent, &limited) == ROB_OK);
    CHECK(sent == 0);
    CHECK(limited == 0);
    rob_ringover_api_destroy(api);
    rob_cloud_client_destroy(client);
}

TEST_CASE("rest capi: the base URL by region") {
    char* url = nullptr;
    REQUIRE(rob_ringover_base_url("US_key", nullptr, &url) == ROB_OK);
    CHECK(std::string(url) == "https://public-api-us.ringover.com/v2");
    rob_free(url);
    REQUIRE(rob_ringover_base_url("key", "", &url) == ROB_OK);
    CHECK(std::string(url) == "https://public-api.ringover.com/v2");
    rob_free(url);
    CHECK(rob_ringover_base_url(nullptr, nullptr, &url) == ROB_ERR_INVALID_ARGUMENT);
}
