// Webhook verification and event parsing take hostile bytes: the fuzzer picks the headers
// (JWT, V3, legacy), the URL and the body. Nothing may crash, read out of bounds or leak, and
// every verdict must carry a known reason.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ringoverbot/webhook.hpp"

using namespace ringoverbot;

namespace {

webhook::Verifier make_verifier() {
    webhook::Config c;
    c.public_url = "https://bot.example.fr/hooks/ringover/calls";
    c.call_events_key = "rk_live_9f8e7d6c5b4a";
    c.contact_search_key = "search-key";
    c.ivr_token = "s3cr3t-ivr";
    c.accept_legacy_hmac = true;
    c.replay_cache_size = 64;
    c.max_body_bytes = 64 * 1024;
    auto v = webhook::Verifier::create(c);
    if (!v) __builtin_trap();
    return std::move(v).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static webhook::Verifier verifier = make_verifier();
    FuzzedDataProvider fdp(data, size);

    static const char* kNames[] = {"X-Ringover-Webhook-Signature",
                                   "authorization",
                                   "X-Ringover-Webhook-Signature-V3",
                                   "X-Ringover-Request-Signature-V3-Timestamp",
                                   "X-Ringover-Signature",
                                   "Content-Type"};
    std::vector<std::string> values;
    std::vector<webhook::Header> headers;
    const int n_headers = fdp.ConsumeIntegralInRange(0, 4);
    std::vector<const char*> names;
    for (int i = 0; i < n_headers; ++i) {
        names.push_back(kNames[fdp.ConsumeIntegralInRange<std::size_t>(0, 5)]);
        values.push_back(fdp.ConsumeRandomLengthString(2048));
    }
    for (int i = 0; i < n_headers; ++i) headers.push_back({names[i], values[i]});
    const std::string url = fdp.ConsumeBool()
                                ? "https://bot.example.fr/hooks/ringover/calls?token=" +
                                      fdp.ConsumeRandomLengthString(16)
                                : fdp.ConsumeRandomLengthString(128);
    const double now = fdp.ConsumeFloatingPoint<double>();
    const std::string body = fdp.ConsumeRemainingBytesAsString();

    webhook::Request req;
    req.url = url;
    req.headers = headers;
    req.body = body;
    req.now = now;
    const auto verdict = verifier.verify(req);
    if (webhook::reason_name(verdict.reason).empty()) __builtin_trap();
    if (verdict.ok() && verdict.event.kind() == webhook::Kind::none) __builtin_trap();

    // The event parser alone, on the raw body.
    webhook::Event event;
    (void)webhook::parse_event(body, event);
    return 0;
}
