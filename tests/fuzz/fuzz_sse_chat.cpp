// SSE bytes -> SseParser -> ChatStreamDecoder, split in two at a point the input chooses. The
// events must not depend on the split, and every action that comes out must be valid.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "providers/cloud/openai_chat_wire.hpp"
#include "providers/cloud/sse.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers;
using namespace ringoverbot::providers::cloud;

namespace {

struct Sink : ChatStreamSink {
    std::string log;
    void on_token(std::string_view text) override {
        if (text.empty()) __builtin_trap();
        log += "T";
        log += text;
    }
    void on_action(const Action& a) override {
        // Every action that comes out is one tool_call_to_action accepts as it is.
        std::string_view name = "end_call", key;
        if (a.kind == ActionKind::transfer) name = "transfer_call", key = "number";
        if (a.kind == ActionKind::digits) name = "send_digits", key = "digits";
        if (a.kind == ActionKind::play) name = "play_audio", key = "url";
        std::string args = "{}";
        if (!key.empty()) {
            if (a.value.find_first_of("\"\\") != std::string::npos) __builtin_trap();
            args = "{\"" + std::string(key) + "\":\"" + a.value + "\"}";
        }
        const auto again = tool_call_to_action(name, args);
        if (!again || again->kind != a.kind || again->value != a.value) __builtin_trap();
        log += "A";
        log += a.value;
    }
};

struct Outcome {
    std::vector<std::string> events;
    std::string log;
    std::vector<int> codes;
};

Outcome run(std::string_view a, std::string_view b) {
    Outcome o;
    SseParser parser(4096);
    ChatStreamDecoder dec;
    Sink sink;
    SseEvent ev;
    for (const auto chunk : {a, b}) {
        const auto st = parser.feed(chunk);
        // Events completed before a failure are still delivered.
        while (parser.next(ev)) {
            o.events.push_back(ev.event + '\x01' + ev.data + '\x01' + ev.id);
            o.codes.push_back(static_cast<int>(dec.feed(ev.data, sink).code()));
        }
        if (!st) {
            o.codes.push_back(static_cast<int>(st.code()));
            break;
        }
    }
    o.codes.push_back(static_cast<int>(dec.finish(sink).code()));
    o.log = std::move(sink.log);
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::size_t split = body.empty() ? 0 : (std::size_t{data[0]} * body.size()) / 255;
    const auto whole = run(body, {});
    const auto parts = run(body.substr(0, split), body.substr(split));
    if (whole.events != parts.events || whole.log != parts.log || whole.codes != parts.codes)
        __builtin_trap();
    return 0;
}
