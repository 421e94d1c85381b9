// Every vector of tests/data/webhooks.json, each with a fresh verifier: the reason and every
// expected field.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "ringoverbot/webhook.hpp"

namespace wh = ringoverbot::webhook;

namespace {

struct Vector {
    std::string name, key, url, method, body;
    double now = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::string> expect;
    std::vector<std::pair<std::string, std::string>> fields;
};

std::string str(simdjson::dom::element e) {
    std::string_view s;
    REQUIRE(e.get(s) == simdjson::SUCCESS);
    return std::string(s);
}

struct Vectors {
    std::vector<Vector> list;
    std::string ivr_token;
};

Vectors load_vectors() {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    const std::string path = std::string(ROB_TEST_DATA_DIR) + "/webhooks.json";
    REQUIRE_MESSAGE(parser.load(path).get(root) == simdjson::SUCCESS, path);
    Vectors out;
    out.ivr_token = str(root["ivr_token"]);
    simdjson::dom::array vectors;
    REQUIRE(root["vectors"].get(vectors) == simdjson::SUCCESS);
    for (simdjson::dom::element e : vectors) {
        Vector v;
        v.name = str(e["name"]);
        v.key = str(e["key"]);
        v.url = str(e["url"]);
        v.method = str(e["method"]);
        v.body = str(e["body"]);
        REQUIRE(e["now"].get(v.now) == simdjson::SUCCESS);
        simdjson::dom::object headers;
        REQUIRE(e["headers"].get(headers) == simdjson::SUCCESS);
        for (auto [k, val] : headers) v.headers.emplace_back(std::string(k), str(val));
        simdjson::dom::element expect = e["expect"];
        if (expect.is_string()) {
            v.expect.push_back(str(expect));
        } else {
            for (simdjson::dom::element x : expect.get_array()) v.expect.push_back(str(x));
        }
        simdjson::dom::object fields;
        if (e["fields"].get(fields) == simdjson::SUCCESS)
            for (auto [k, val] : fields) v.fields.emplace_back(std::string(k), str(val));
        out.list.push_back(std::move(v));
    }
    return out;
}

}  // namespace

TEST_CASE("webhook: every vector of tests/data/webhooks.json") {
    const Vectors vectors = load_vectors();
    CHECK(vectors.list.size() >= 16);
    int ok_count = 0;
    for (const Vector& v : vectors.list) {
        CAPTURE(v.name);
        wh::Config cfg;
        const auto q = v.url.find('?');
        cfg.public_url = v.url.substr(0, q);
        cfg.call_events_key = v.key;
        cfg.ivr_token = vectors.ivr_token;
        auto verifier = wh::Verifier::create(cfg);
        REQUIRE(verifier.ok());
        std::vector<wh::Header> headers;
        for (const auto& [k, val] : v.headers) headers.push_back({k, val});
        wh::Request req;
        req.method = v.method;
        req.url = v.url;
        req.headers = headers;
        req.body = v.body;
        req.now = v.now;
        const wh::Verdict verdict = verifier->verify(req);
        const std::string reason(wh::reason_name(verdict.reason));
        CAPTURE(reason);
        CAPTURE(verdict.detail);
        bool expected = false;
        for (const auto& e : v.expect) expected = expected || e == reason;
        CHECK(expected);
        if (!verdict.ok()) {
            CHECK(verdict.event.kind() == wh::Kind::none);
            continue;
        }
        ++ok_count;
        CHECK(verdict.event.kind() != wh::Kind::none);
        CHECK(verdict.event.kind() != wh::Kind::unknown);
        for (const auto& expected_field : v.fields) {
            const std::string& name = expected_field.first;
            CAPTURE(name);
            const auto got = verdict.event.field(name);
            REQUIRE(got.has_value());
            CHECK(*got == expected_field.second);
        }
    }
    CHECK(ok_count == 7);
}
