#include <doctest/doctest.h>

#include <string>

#include "net/server/routing.hpp"

using namespace ringoverbot;
using namespace ringoverbot::net;

TEST_CASE("net: plain HTTP routes, methods and unknown paths") {
    ServerConfig c;
    c.webhook_path = "/hooks/ringover";
    CHECK(route_http(Method::get, "/health", c).route == Route::health);
    CHECK(route_http(Method::head, "/health", c).route == Route::health);
    CHECK(route_http(Method::get, "/metrics", c).route == Route::metrics);
    CHECK(route_http(Method::post, "/hooks/ringover", c).route == Route::webhook);

    const auto get_hook = route_http(Method::get, "/hooks/ringover", c);
    CHECK(get_hook.route == Route::error);
    CHECK(get_hook.status == 405);
    CHECK(get_hook.allow == "POST");
    CHECK(route_http(Method::post, "/health", c).status == 405);
    // The old default path is not served once another is configured.
    CHECK(route_http(Method::post, "/webhooks/ringover", c).status == 404);
    CHECK(route_http(Method::get, "/", c).status == 404);
    CHECK(route_http(Method::get, "/health/", c).status == 404);
    const auto plain_ws = route_http(Method::get, "/ws", c);
    CHECK(plain_ws.status == 426);
    CHECK(plain_ws.error == "upgrade_required");
}

TEST_CASE("net: streamer upgrade checks path, token, draining and the call limit in order") {
    ServerConfig c;
    c.max_calls = 2;
    CHECK(decide_upgrade("/ws", "", "", 0, false, c).accept);
    CHECK(decide_upgrade("/other", "", "", 0, false, c).status == 404);
    CHECK(decide_upgrade("/ws", "", "", 2, false, c).error == "max_calls");
    CHECK(decide_upgrade("/ws", "", "", 2, false, c).status == 503);
    CHECK(decide_upgrade("/ws", "", "", 0, true, c).error == "draining");

    c.stream_token = "s3cret";
    CHECK(decide_upgrade("/ws", "", "", 0, false, c).status == 401);
    CHECK(decide_upgrade("/ws", "s3cret", "", 0, false, c).accept);
    CHECK(decide_upgrade("/ws", "", "Bearer s3cret", 0, false, c).accept);
    CHECK(decide_upgrade("/ws", "", "bearer   s3cret  ", 0, false, c).accept);
    CHECK(decide_upgrade("/ws", "wrong", "", 0, false, c).error == "bad_token");
    CHECK(decide_upgrade("/ws", "s3cre", "", 0, false, c).error == "bad_token");
    CHECK(decide_upgrade("/ws", "", "Basic s3cret", 0, false, c).error == "bad_token");
    CHECK(decide_upgrade("/ws", "", "Bearers3cret", 0, false, c).error == "bad_token");
    // A refused token is refused before the limit is revealed.
    CHECK(decide_upgrade("/ws", "wrong", "", 2, false, c).error == "bad_token");
}

TEST_CASE("net: bodies and URLs the server writes") {
    CHECK(error_body("bad_token") == R"({"error":"bad_token"})");
    ServerStats s;
    s.calls_active = 3;
    s.calls_total = 7;
    const std::string h = health_body(s, true, 40, 12.34);
    CHECK(h.find(R"("status":"ok")") != std::string::npos);
    CHECK(h.find(R"("calls":3)") != std::string::npos);
    CHECK(h.find(R"("max_calls":40)") != std::string::npos);
    CHECK(h.find(R"("calls_total":7)") != std::string::npos);
    CHECK(health_body(s, false, 40, 1).find(R"("status":"starting")") != std::string::npos);
    s.draining = true;
    CHECK(health_body(s, true, 40, 1).find(R"("status":"draining")") != std::string::npos);
    CHECK(health_body(s, false, 40, 1).find(R"("status":"draining")") != std::string::npos);

    CHECK(base_url("127.0.0.1", 8765) == "http://127.0.0.1:8765");
    CHECK(base_url("::1", 80) == "http://[::1]:80");
    CHECK(webhook_public_url("", "http://127.0.0.1:1", "/webhooks/ringover") ==
          "http://127.0.0.1:1/webhooks/ringover");
    CHECK(webhook_public_url("https://bot.example.fr/", "x", "/hooks/ringover/calls") ==
          "https://bot.example.fr/hooks/ringover/calls");
}

TEST_CASE("net: server settings are validated with the setting's name") {
    ServerConfig c;
    CHECK(validate(c).empty());
    c.ws_path = "ws";
    CHECK(validate(c).rfind("ws_path", 0) == 0);
    c = {};
    c.webhook_path = "/health";
    CHECK(validate(c).rfind("webhook_path", 0) == 0);
    c = {};
    c.webhook_path = c.ws_path;
    CHECK(validate(c).rfind("webhook_path", 0) == 0);
    c = {};
    c.max_calls = 0;
    CHECK(validate(c).rfind("max_calls", 0) == 0);
    c = {};
    c.idle_timeout_s = c.ping_interval_s;
    CHECK(validate(c).rfind("idle_timeout_s", 0) == 0);
    c = {};
    c.public_url = "bot.example.fr";
    CHECK(validate(c).rfind("public_url", 0) == 0);
    c = {};
    c.drain_timeout_s = -1;
    CHECK(validate(c).rfind("drain_timeout_s", 0) == 0);
}

TEST_CASE("net: validate_config is the check Server::create makes, as a Status") {
    ServerConfig c;
    CHECK(validate_config(c));
    c.ws_path = "/metrics";
    const Status s = validate_config(c);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == Errc::invalid_argument);
    CHECK(s.error().message == validate(c));
}
