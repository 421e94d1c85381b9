// Reply bodies, byte for byte, in C++ and through the C ABI.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "ringoverbot.h"
#include "ringoverbot/webhook.hpp"

namespace wh = ringoverbot::webhook;

TEST_CASE("webhook: contact reply is byte-exact") {
    wh::Contact c;
    c.uuid = "c0ffee00-0000-4000-8000-000000000001";
    c.firstname = "Claire";
    c.lastname = "Morel";
    c.company = "Acme \"FR\"";
    c.url = "https://crm.example.fr/c/1";
    c.data = {{"plan", "gold"}, {"note", "rappel\n\xc3\xa0 10h"}};
    c.is_shared = true;
    const auto r = wh::build_contact_reply(c);
    REQUIRE(r.ok());
    CHECK(r.value() ==
          R"({"uuid":"c0ffee00-0000-4000-8000-000000000001","firstname":"Claire",)"
          R"("lastname":"Morel","company":"Acme \"FR\"","url":"https://crm.example.fr/c/1",)"
          "\"data\":{\"plan\":\"gold\",\"note\":\"rappel\\n\xc3\xa0 10h\"},\"is_shared\":true}");
    wh::Contact minimal;
    minimal.firstname = "A";
    CHECK(wh::build_contact_reply(minimal).value() ==
          R"({"firstname":"A","data":{},"is_shared":false})");
    wh::Contact bad;
    bad.lastname = "\xff";
    CHECK(wh::build_contact_reply(bad).code() == ringoverbot::Errc::invalid_argument);
}

TEST_CASE("webhook: search reply is byte-exact, numbers as integers") {
    wh::SearchHit h;
    h.firstname = "Claire";
    h.lastname = "Morel";
    h.company = "Acme";
    h.url = "https://crm.example.fr/c/1";
    h.numbers = {{"+33611223344", "mobile"}, {"33182880000", "fix"}};
    wh::SearchHit h2;
    h2.lastname = "Durand";
    const wh::SearchHit hits[] = {h, h2};
    const auto r = wh::build_search_reply(hits);
    REQUIRE(r.ok());
    CHECK(r.value() ==
          R"([{"firstname":"Claire","lastname":"Morel","company":"Acme",)"
          R"("url":"https://crm.example.fr/c/1","numbers":[{"number":33611223344,"type":"mobile"},)"
          R"({"number":33182880000,"type":"fix"}]},{"lastname":"Durand","numbers":[]}])");
    CHECK(wh::build_search_reply({}).value() == "[]");
    for (const char* bad : {"", "+", "06 12", "0612345678", "33a", "12345678901234567890"}) {
        wh::SearchHit b;
        b.numbers = {{bad, "mobile"}};
        const wh::SearchHit one[] = {b};
        CHECK_MESSAGE(wh::build_search_reply(one).code() == ringoverbot::Errc::invalid_argument,
                      bad);
    }
}

TEST_CASE("webhook: routing reply is byte-exact") {
    wh::RoutingAgent a;
    a.number = "+33612345678";
    wh::RoutingAgent b;
    b.number = "33187654321";
    b.ring_duration_s = 15;
    b.ring_delay_s = 5;
    b.is_caller_id = false;
    const wh::RoutingAgent agents[] = {a, b};
    const auto r = wh::build_routing_reply(agents);
    REQUIRE(r.ok());
    CHECK(r.value() ==
          R"({"name":"redirections","dispatch":"ringall","max_attempts":1,"start_delay":0,)"
          R"("is_stay_not_connected":1,"is_stay_in_call":0,"is_stay_planned_snoozed":1,)"
          R"("is_stay_snoozed":0,"ring_overlap":0,"agents":[)"
          R"({"agent_type":"agent_external","ring_duration":25,"ring_delay":0,"order":1,)"
          R"("number":33612345678,"is_pre_answer":0,"is_caller_id":1,"is_head_line":0},)"
          R"({"agent_type":"agent_external","ring_duration":15,"ring_delay":5,"order":2,)"
          R"("number":33187654321,"is_pre_answer":0,"is_caller_id":0,"is_head_line":0}]})");
    CHECK(
        wh::build_routing_reply(agents, "sequential").value().find(R"("dispatch":"sequential")") !=
        std::string::npos);
    CHECK(wh::build_routing_reply(agents, "random").code() == ringoverbot::Errc::invalid_argument);
    CHECK(wh::build_routing_reply({}).code() == ringoverbot::Errc::invalid_argument);
    wh::RoutingAgent bad;
    bad.number = "33-6";
    const wh::RoutingAgent one[] = {bad};
    CHECK(wh::build_routing_reply(one).code() == ringoverbot::Errc::invalid_argument);
    a.ring_duration_s = 0;  // 0 = default 25
    const wh::RoutingAgent zero[] = {a};
    CHECK(wh::build_routing_reply(zero).value().find(R"("ring_duration":25)") != std::string::npos);
}

TEST_CASE("webhook: reply builders through the C ABI") {
    const char* keys[] = {"plan"};
    const char* values[] = {"gold"};
    rob_webhook_contact c{};
    c.firstname = "Claire";
    c.data_keys = keys;
    c.data_values = values;
    c.data_count = 1;
    c.is_shared = 1;
    char* out = nullptr;
    size_t len = 0;
    REQUIRE(rob_webhook_build_contact_reply(&c, &out, &len) == ROB_OK);
    CHECK(std::string(out, len) ==
          R"({"firstname":"Claire","data":{"plan":"gold"},"is_shared":true})");
    CHECK(out[len] == '\0');
    rob_free(out);

    const rob_webhook_contact_number nums[] = {{"+33611223344", "mobile"}};
    rob_webhook_search_hit hit{};
    hit.lastname = "Morel";
    hit.numbers = nums;
    hit.number_count = 1;
    REQUIRE(rob_webhook_build_search_reply(&hit, 1, &out, &len) == ROB_OK);
    CHECK(std::string(out, len) ==
          R"([{"lastname":"Morel","numbers":[{"number":33611223344,"type":"mobile"}]}])");
    rob_free(out);

    rob_webhook_routing_agent agent{"33612345678", 0, 0, 1};
    REQUIRE(rob_webhook_build_routing_reply(nullptr, &agent, 1, &out, &len) == ROB_OK);
    CHECK(std::string(out, len).find(R"("dispatch":"ringall")") != std::string::npos);
    rob_free(out);
    agent.number = "abc";
    out = nullptr;
    CHECK(rob_webhook_build_routing_reply("ringall", &agent, 1, &out, &len) ==
          ROB_ERR_INVALID_ARGUMENT);
    CHECK(out == nullptr);
    CHECK(rob_webhook_build_contact_reply(nullptr, &out, &len) == ROB_ERR_INVALID_ARGUMENT);
    c.data_keys = nullptr;
    CHECK(rob_webhook_build_contact_reply(&c, &out, &len) == ROB_ERR_INVALID_ARGUMENT);
}
