// Webhook verifications per second: the v1 vector (JWT HS512, url claim, JSON-equal body,
// typed event), as a host verifies each POST. Replay rejection is off so the same request can
// be verified again and again.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <string>

#include "ringoverbot/webhook.hpp"

using namespace ringoverbot;

namespace {

struct V1 {
    std::string key, url, token, body;
    double now = 0;
};

V1 load_v1() {
    V1 v;
    auto json = simdjson::padded_string::load(ROB_TEST_DATA_DIR "/webhooks.json");
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (json.error() || parser.parse(json.value()).get(root)) std::abort();
    for (auto vec : root["vectors"].get_array()) {
        std::string_view name;
        if (vec["name"].get(name) || name != "v1_answered_ok") continue;
        std::string_view s;
        if (!vec["key"].get(s)) v.key = s;
        if (!vec["url"].get(s)) v.url = s;
        if (!vec["body"].get(s)) v.body = s;
        if (!vec["headers"]["X-Ringover-Webhook-Signature"].get(s)) v.token = s;
        if (vec["now"].get(v.now)) std::abort();
    }
    return v;
}

void webhook_verify_v1(benchmark::State& state) {
    const V1 v = load_v1();
    webhook::Config c;
    c.public_url = v.url;
    c.call_events_key = v.key;
    c.reject_replays = false;
    auto verifier = webhook::Verifier::create(c);
    if (!verifier) std::abort();
    const webhook::Header headers[] = {{"X-Ringover-Webhook-Signature", v.token}};
    webhook::Request req;
    req.url = v.url;
    req.headers = headers;
    req.body = v.body;
    req.now = v.now;
    webhook::Verdict verdict;
    for (auto _ : state) {
        verifier->verify(req, verdict);
        if (!verdict.ok()) state.SkipWithError("vector rejected");
        benchmark::DoNotOptimize(verdict.event.call_id());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(webhook_verify_v1);

}  // namespace

BENCHMARK_MAIN();
