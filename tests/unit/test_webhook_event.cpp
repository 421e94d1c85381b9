// Event parsing: the field traps of src/webhook/README.md, one check each, and canonical JSON.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "ringoverbot/webhook.hpp"
#include "webhook/json_engine.hpp"

namespace wh = ringoverbot::webhook;
using wh::Field;

namespace {

wh::Event parse(const std::string& data, const std::string& envelope_extra = "") {
    const std::string json = R"({"resource":"call","event":"hangup","timestamp":1767258184.6)" +
                             envelope_extra + R"(,"data":)" + data + "}";
    wh::Event e;
    const auto st = wh::parse_event(json, e);
    REQUIRE_MESSAGE(st.ok(), json);
    return e;
}

std::optional<std::string> field(const std::string& data, Field f) {
    const wh::Event e = parse(data);
    const auto v = e.field(f);
    if (!v) return std::nullopt;
    return std::string(*v);
}

}  // namespace

TEST_CASE("webhook: call_id is an exact uint64, number or string, never via double") {
    auto e = parse(R"({"call_id":18446744073709551615})");
    CHECK(e.call_id() == UINT64_C(18446744073709551615));
    CHECK(e.field(Field::call_id) == "18446744073709551615");
    e = parse(R"({"call_id":"18446744073709551615"})");
    CHECK(e.call_id() == UINT64_C(18446744073709551615));
    // 2^53 + 1 is not representable as a double.
    e = parse(R"({"call_id":9007199254740993})");
    CHECK(e.call_id() == UINT64_C(9007199254740993));
    CHECK(e.field(Field::call_id) == "9007199254740993");
    e = parse(R"({"call_id":"9007199254740993"})");
    CHECK(e.call_id() == UINT64_C(9007199254740993));
    // String and number give the same text.
    CHECK(field(R"({"call_id":8812004471932250113})", Field::call_id) ==
          field(R"({"call_id":"8812004471932250113"})", Field::call_id));
    // Beyond uint64, fractions, junk: the text is kept, call_id() is empty.
    e = parse(R"({"call_id":18446744073709551616})");
    CHECK_FALSE(e.call_id().has_value());
    CHECK(e.field(Field::call_id) == "18446744073709551616");
    e = parse(R"({"call_id":"18446744073709551616"})");
    CHECK_FALSE(e.call_id().has_value());
    CHECK(e.field(Field::call_id) == "18446744073709551616");
    e = parse(R"({"call_id":12.5})");
    CHECK_FALSE(e.call_id().has_value());
    CHECK(e.field(Field::call_id) == "12.5");
    e = parse(R"({"call_id":"abc"})");
    CHECK_FALSE(e.call_id().has_value());
    CHECK(e.field(Field::call_id) == "abc");
    CHECK_FALSE(parse(R"({"call_id":null})").field(Field::call_id).has_value());
    CHECK_FALSE(parse(R"({"call_id":-5})").call_id().has_value());
}

TEST_CASE("webhook: channel_id and user_id as number or string") {
    CHECK(field(R"({"channel_id":55190342})", Field::channel_id) == "55190342");
    CHECK(field(R"({"channel_id":"55190342"})", Field::channel_id) == "55190342");
    CHECK(field(R"({"user_id":402117})", Field::user_id) == "402117");
    CHECK(field(R"({"user_id":"402117"})", Field::user_id) == "402117");
    CHECK(field(R"({"userId":402117})", Field::user_id) == "402117");
}

TEST_CASE("webhook: phone numbers as string or number, '+' stripped") {
    CHECK(field(R"({"from_number":"33611223344"})", Field::from_number) == "33611223344");
    CHECK(field(R"({"from_number":33611223344})", Field::from_number) == "33611223344");
    CHECK(field(R"({"to_number":"+33182880000"})", Field::to_number) == "33182880000");
    CHECK(field(R"({"to_number":null})", Field::to_number) == std::nullopt);
}

TEST_CASE("webhook: booleans true/false, 0/1 and their strings") {
    CHECK(field(R"({"is_ivr":true})", Field::is_ivr) == "1");
    CHECK(field(R"({"is_ivr":false})", Field::is_ivr) == "0");
    CHECK(field(R"({"is_ivr":1})", Field::is_ivr) == "1");
    CHECK(field(R"({"is_ivr":0})", Field::is_ivr) == "0");
    CHECK(field(R"({"is_internal":"1"})", Field::is_internal) == "1");
    CHECK(field(R"({"is_internal":"true"})", Field::is_internal) == "1");
    CHECK(field(R"({"is_anonymous":"0"})", Field::is_anonymous) == "0");
    CHECK(field(R"({"is_anonymous":"maybe"})", Field::is_anonymous) == std::nullopt);
    CHECK(field(R"({"is_anonymous":null})", Field::is_anonymous) == std::nullopt);
}

TEST_CASE("webhook: ivr_data and user keys in snake_case or camelCase") {
    auto e = parse(R"({"ivr_data":{"number":"33182880000","scenario_name":"Ouvert",)"
                   R"("ivr_name":"Standard"},"user":{"user_id":7,"firstname":"Claire",)"
                   R"("lastname":"Morel","email":"c@example.fr"}})");
    CHECK(e.field(Field::ivr_number) == "33182880000");
    CHECK(e.field(Field::ivr_scenario_name) == "Ouvert");
    CHECK(e.field(Field::ivr_name) == "Standard");
    CHECK(e.field(Field::user_firstname) == "Claire");
    CHECK(e.field(Field::user_lastname) == "Morel");
    CHECK(e.field(Field::user_email) == "c@example.fr");
    CHECK(e.field(Field::user_id) == "7");
    e = parse(R"({"ivr_data":{"number":33182880000,"scenarioName":"Ferme","ivrName":"Nuit"},)"
              R"("user":{"userId":"8","firstname":null}})");
    CHECK(e.field(Field::ivr_number) == "33182880000");
    CHECK(e.field(Field::ivr_scenario_name) == "Ferme");
    CHECK(e.field(Field::ivr_name) == "Nuit");
    CHECK(e.field(Field::user_id) == "8");
    CHECK_FALSE(e.field(Field::user_firstname).has_value());
    // data.user_id wins over user.user_id, whatever the order.
    CHECK(field(R"({"user":{"user_id":1},"user_id":2})", Field::user_id) == "2");
    CHECK(field(R"({"ivr_data":null})", Field::ivr_name) == std::nullopt);
}

TEST_CASE("webhook: timestamp as float or ISO string, attempt optional") {
    auto e = parse("{}");
    CHECK(e.timestamp().has_value());
    CHECK(*e.timestamp() == doctest::Approx(1767258184.6));
    CHECK(e.field(Field::timestamp) == "1767258184.6");
    CHECK_FALSE(e.field(Field::attempt).has_value());
    wh::Event iso;
    REQUIRE(wh::parse_event(R"({"resource":"call","event":"ringing",)"
                            R"("timestamp":"2026-01-01T10:00:52+01:00","attempt":3,"data":{}})",
                            iso)
                .ok());
    CHECK_FALSE(iso.timestamp().has_value());
    CHECK(iso.field(Field::timestamp) == "2026-01-01T10:00:52+01:00");
    CHECK(iso.field(Field::attempt) == "3");
    CHECK(iso.kind() == wh::Kind::call_ringing);
}

TEST_CASE("webhook: null anywhere optional, missing fields absent") {
    auto e = parse(R"({"id":null,"direction":null,"record":null,"summary":null,"tags":null,)"
                   R"("answering_machine_detection":null})");
    for (std::size_t i = static_cast<std::size_t>(Field::id); i < wh::field_count; ++i)
        CHECK_FALSE(e.field(static_cast<Field>(i)).has_value());
    CHECK(e.tags().empty());
    CHECK(e.field("no_such_field") == std::nullopt);
    wh::Event bare;
    REQUIRE(wh::parse_event(R"({"resource":"call","event":"ringing"})", bare).ok());
    CHECK(bare.kind() == wh::Kind::call_ringing);
    CHECK_FALSE(bare.field(Field::call_id).has_value());
    CHECK_FALSE(bare.timestamp().has_value());
    CHECK(bare.field_c_str(Field::call_id) == nullptr);
}

TEST_CASE("webhook: aftercall tags, summary object, sms fields") {
    wh::Event e;
    REQUIRE(wh::parse_event(R"({"resource":"aftercall","event":"tags_updated","data":{)"
                            R"("call_id":"1","channel_id":2,"tags":["vip","rappel",7,null]}})",
                            e)
                .ok());
    CHECK(e.kind() == wh::Kind::aftercall_tags_updated);
    REQUIRE(e.tags().size() == 3);
    CHECK(e.tags()[0] == "vip");
    CHECK(e.tags()[1] == "rappel");
    CHECK(e.tags()[2] == "7");
    REQUIRE(wh::parse_event(R"({"resource":"aftercall","event":"summary_available",)"
                            R"("data":{"summary":{"text":"ok", "n":[1]}}})",
                            e)
                .ok());
    CHECK(e.kind() == wh::Kind::aftercall_summary_available);
    CHECK(e.field(Field::summary) == R"({"text":"ok", "n":[1]})");
    REQUIRE(wh::parse_event(R"({"resource":"sms","event":"received","data":{"id":"u1",)"
                            R"("message_id":123,"conversation_id":"9","body":"Bonjour \u00e9",)"
                            R"("from_number":33611223344,"direction":"inbound"}})",
                            e)
                .ok());
    CHECK(e.kind() == wh::Kind::sms_received);
    CHECK(e.field(Field::body) == "Bonjour \xc3\xa9");
    CHECK(e.field(Field::message_id) == "123");
    CHECK(e.field(Field::from_number) == "33611223344");
}

TEST_CASE("webhook: unknown resource/event is accepted as unknown, raw kept") {
    const std::string json = R"({"resource":"fax","event":"sent","data":{"x":[1,{"y":2}]}})";
    wh::Event e;
    REQUIRE(wh::parse_event(json, e).ok());
    CHECK(e.kind() == wh::Kind::unknown);
    CHECK(e.resource() == "fax");
    CHECK(e.raw_json() == json);
    CHECK(wh::kind_of("call", "transfer") == wh::Kind::unknown);
    CHECK(wh::kind_name(wh::Kind::unknown) == "unknown");
}

TEST_CASE("webhook: every known resource/event maps to its kind") {
    const std::pair<const char*, wh::Kind> table[] = {
        {"call/ringing", wh::Kind::call_ringing},
        {"call/answered", wh::Kind::call_answered},
        {"call/hangup", wh::Kind::call_hangup},
        {"call/missed", wh::Kind::call_missed},
        {"call/voicemail", wh::Kind::call_voicemail},
        {"call/contact", wh::Kind::call_contact},
        {"call/routing", wh::Kind::call_routing},
        {"call/ivr_response_code", wh::Kind::call_ivr_response_code},
        {"aftercall/comments_updated", wh::Kind::aftercall_comments_updated},
        {"aftercall/tags_updated", wh::Kind::aftercall_tags_updated},
        {"aftercall/aftercall", wh::Kind::aftercall_aftercall},
        {"aftercall/record_available", wh::Kind::aftercall_record_available},
        {"aftercall/voicemail_available", wh::Kind::aftercall_voicemail_available},
        {"aftercall/transcription_available", wh::Kind::aftercall_transcription_available},
        {"aftercall/summary_available", wh::Kind::aftercall_summary_available},
        {"search/contact", wh::Kind::search_contact},
        {"sms/sent", wh::Kind::sms_sent},
        {"sms/received", wh::Kind::sms_received},
    };
    int value = 2;
    for (const auto& [name, kind] : table) {
        const std::string_view n(name);
        const auto slash = n.find('/');
        CHECK(wh::kind_of(n.substr(0, slash), n.substr(slash + 1)) == kind);
        CHECK(static_cast<int>(kind) == value++);  // ROB_WH_EVENT_* numbering
    }
}

TEST_CASE("webhook: parse_event refuses what is not one JSON object") {
    wh::Event e;
    for (const char* bad : {"", "[]", "1", "{", R"({"a":1} x)", R"({"a":01})", "\xff"}) {
        CAPTURE(bad);
        CHECK(wh::parse_event(bad, e).code() == ringoverbot::Errc::bad_json);
        CHECK(e.kind() == wh::Kind::none);
    }
}

TEST_CASE("webhook: numbers normalize by exact decimal value") {
    using ringoverbot::webhook::detail::normalize_number;
    const auto norm = [](std::string_view t) {
        std::string out;
        return normalize_number(t, out) ? out : std::string("invalid");
    };
    CHECK(norm("1") == "1e0");
    CHECK(norm("1.0") == norm("1"));
    CHECK(norm("1e0") == norm("1"));
    CHECK(norm("10e-1") == norm("1"));
    CHECK(norm("0.5") == "5e-1");
    CHECK(norm("-0") == "0");
    CHECK(norm("0.000e5") == "0");
    CHECK(norm("1767258061.215") == "1767258061215e-3");
    CHECK(norm("100") == "1e2");
    CHECK(norm("9007199254740993") != norm("9007199254740992"));
    CHECK(norm("18446744073709551617") == "18446744073709551617e0");
    CHECK(norm("-1.5E+2") == "-15e1");
    for (const char* bad : {"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "0x1", "1 ", "NaN"})
        CHECK_MESSAGE(norm(bad) == "invalid", bad);
}

TEST_CASE("webhook: canonical JSON ignores order and whitespace, keeps duplicates") {
    ringoverbot::webhook::detail::JsonEngine engine;
    const auto canon = [&](std::string_view json) {
        std::string out;
        return engine.canonicalize(json, out, nullptr, false).ok() ? out : std::string("!");
    };
    CHECK(canon(R"({"b":[1,{"y":"\u0041","x":true}],"a":null})") ==
          R"({"a":null,"b":[1e0,{"x":true,"y":"A"}]})");
    CHECK(canon(" { \"a\" : 1 , \"b\":2 } ") == canon(R"({"b":2.0,"a":1})"));
    CHECK(canon(R"({"a":[1,2]})") != canon(R"({"a":[2,1]})"));
    CHECK(canon(R"({"a":1,"a":2})") != canon(R"({"a":2,"a":1})"));
    CHECK(canon(R"({"a":"1"})") != canon(R"({"a":1})"));
    CHECK(canon("{}") == "{}");
    ringoverbot::webhook::detail::Route route;
    std::string out;
    REQUIRE(engine
                .canonicalize(R"({"event":"contact","data":{"resource":"x"},"resource":"search"})",
                              out, &route, false)
                .ok());
    CHECK(route.resource == "search");
    CHECK(route.event == "contact");
}
