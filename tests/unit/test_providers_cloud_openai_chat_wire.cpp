#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "providers/cloud/openai_chat_wire.hpp"
#include "providers/cloud/sse.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers;
using namespace ringoverbot::providers::cloud;

namespace {

// Records what the decoder gives, in order: "T:<token>" and "A:<kind>:<value>".
struct Recorder : ChatStreamSink {
    std::vector<std::string> log;
    void on_token(std::string_view text) override { log.push_back("T:" + std::string(text)); }
    void on_action(const Action& a) override {
        log.push_back("A:" + std::string(action_name(a.kind)) + ":" + a.value);
    }
    std::string text() const {
        std::string out;
        for (const auto& l : log)
            if (l.rfind("T:", 0) == 0) out += l.substr(2);
        return out;
    }
};

// The envelope OpenAI puts around every delta.
std::string chunk(std::string_view delta, std::string_view finish = "null") {
    return R"({"id":"chatcmpl-A1b2","object":"chat.completion.chunk","created":1718000000,)"
           R"("model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":)"
           R"([{"index":0,"delta":)" +
           std::string(delta) + R"(,"logprobs":null,"finish_reason":)" + std::string(finish) +
           "}]}";
}

std::string sse(const std::vector<std::string>& datas) {
    std::string out;
    for (const auto& d : datas) out += "data: " + d + "\n\n";
    return out;
}

// Runs SSE bytes in the given chunks through SseParser and the decoder, then finish().
struct Run {
    Recorder rec;
    std::vector<Errc> feed_errors;
    Errc finish_code = Errc::ok;
    std::string finish_reason;
    bool done = false;
};
Run run_stream(const std::vector<std::string_view>& chunks) {
    Run r;
    SseParser parser;
    ChatStreamDecoder dec;
    SseEvent ev;
    for (const auto c : chunks) {
        REQUIRE(parser.feed(c).ok());
        while (parser.next(ev)) {
            const auto st = dec.feed(ev.data, r.rec);
            if (!st) r.feed_errors.push_back(st.code());
        }
    }
    r.finish_code = dec.finish(r.rec).code();
    r.finish_reason = dec.finish_reason();
    r.done = dec.done();
    return r;
}

const std::vector<std::string> kContentStream = {
    chunk(R"({"role":"assistant","content":"","refusal":null})"),
    chunk(R"({"content":"Hello"})"),
    chunk(R"({"content":"! How"})"),
    chunk(R"({"content":" can I help?"})"),
    chunk("{}", R"("stop")"),
    R"({"id":"chatcmpl-A1b2","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":7,"total_tokens":28}})",
    "[DONE]",
};

// transfer_call with its arguments in five fragments; the id and name only in the first.
const std::vector<std::string> kToolStream = {
    chunk(R"({"role":"assistant","content":"Sure, transferring you.","refusal":null})"),
    chunk(
        R"({"tool_calls":[{"index":0,"id":"call_Xq9","type":"function","function":{"name":"transfer_call","arguments":""}}]})"),
    chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\""}}]})"),
    chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"number"}}]})"),
    chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"\":\"+3312"}}]})"),
    chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"3456789\"}"}}]})"),
    chunk("{}", R"("tool_calls")"),
    "[DONE]",
};

}  // namespace

TEST_CASE("providers: cloud chat streams content tokens in order") {
    const auto bytes = sse(kContentStream);
    const auto r = run_stream({bytes});
    CHECK(r.rec.log == std::vector<std::string>{"T:Hello", "T:! How", "T: can I help?"});
    CHECK(r.feed_errors.empty());
    CHECK(r.finish_code == Errc::ok);
    CHECK(r.finish_reason == "stop");
    CHECK(r.done);
}

TEST_CASE("providers: cloud chat assembles a tool call split across events") {
    const auto bytes = sse(kToolStream);
    const auto r = run_stream({bytes});
    CHECK(r.rec.log ==
          std::vector<std::string>{"T:Sure, transferring you.", "A:transfer:+33123456789"});
    CHECK(r.feed_errors.empty());
    CHECK(r.finish_reason == "tool_calls");

    // The action goes out at finish_reason, before [DONE].
    ChatStreamDecoder dec;
    Recorder rec;
    for (std::size_t i = 0; i + 1 < kToolStream.size(); ++i)
        REQUIRE(dec.feed(kToolStream[i], rec).ok());
    CHECK(rec.log.size() == 2);
    CHECK(dec.finished());
    CHECK_FALSE(dec.done());
    REQUIRE(dec.feed("[DONE]", rec).ok());
    CHECK(dec.done());
    CHECK(rec.log.size() == 2);  // not emitted twice
}

TEST_CASE("providers: cloud chat gives the same result for every split of the byte stream") {
    const auto bytes = sse(kToolStream) + ": trailing comment\n";
    const auto whole = run_stream({bytes});
    const std::string_view all = bytes;
    for (std::size_t i = 0; i <= all.size(); ++i) {
        CAPTURE(i);
        const auto r = run_stream({all.substr(0, i), all.substr(i)});
        REQUIRE(r.rec.log == whole.rec.log);
        REQUIRE(r.feed_errors.empty());
        REQUIRE(r.finish_code == Errc::ok);
    }
    // And byte by byte.
    std::vector<std::string_view> bytewise;
    for (std::size_t i = 0; i < all.size(); ++i) bytewise.push_back(all.substr(i, 1));
    CHECK(run_stream(bytewise).rec.log == whole.rec.log);
}

TEST_CASE("providers: cloud chat parallel tool calls go out in index order") {
    // Index 1 starts first and the fragments interleave.
    const std::vector<std::string> stream = {
        chunk(
            R"({"role":"assistant","content":null,"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"end_call","arguments":""}}]})"),
        chunk(
            R"({"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"send_digits","arguments":"{\"dig"}}]})"),
        chunk(R"({"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]})"),
        chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"its\":\"12#w*\"}"}}]})"),
        chunk("{}", R"("tool_calls")"),
        "[DONE]",
    };
    const auto r = run_stream({sse(stream)});
    CHECK(r.rec.log == std::vector<std::string>{"A:digits:12#w*", "A:end_call:"});
    CHECK(r.feed_errors.empty());
}

TEST_CASE("providers: cloud chat [DONE] without finish_reason flushes the calls") {
    const std::vector<std::string> stream = {
        chunk(
            R"({"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"play_audio","arguments":"{\"url\":\"https://example.com/a.wav\"}"}}]})"),
        "[DONE]",
    };
    const auto r = run_stream({sse(stream)});
    CHECK(r.rec.log == std::vector<std::string>{"A:play:https://example.com/a.wav"});
    CHECK(r.finish_code == Errc::ok);
    CHECK(r.finish_reason.empty());
    CHECK(r.done);
}

TEST_CASE("providers: cloud chat finish_reason without [DONE] ends cleanly at finish()") {
    auto stream = kToolStream;
    stream.pop_back();
    const auto r = run_stream({sse(stream)});
    CHECK(r.rec.log.back() == "A:transfer:+33123456789");
    CHECK(r.finish_code == Errc::ok);
    CHECK(r.done);
}

TEST_CASE("providers: cloud chat a cut stream is protocol and acts on nothing") {
    // Cut inside the arguments: "+3312" alone would be a valid (wrong) number.
    const std::vector<std::string> stream(kToolStream.begin(), kToolStream.begin() + 5);
    const auto r = run_stream({sse(stream)});
    CHECK(r.rec.log == std::vector<std::string>{"T:Sure, transferring you."});
    CHECK(r.finish_code == Errc::protocol);
    CHECK_FALSE(r.done);
    // Cut inside an event: the partial event is never decoded.
    const auto bytes = sse(kContentStream);
    const auto r2 = run_stream({std::string_view(bytes).substr(0, bytes.size() / 2)});
    CHECK(r2.finish_code == Errc::protocol);
    CHECK(r2.feed_errors.empty());
}

TEST_CASE("providers: cloud chat error objects mid-stream give provider_failed") {
    ChatStreamDecoder dec;
    Recorder rec;
    REQUIRE(dec.feed(chunk(R"({"content":"Hi"})"), rec).ok());
    const auto st = dec.feed(
        R"({"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}})",
        rec);
    CHECK(st.code() == Errc::provider_failed);
    CHECK(st.error().message.find("The server had an error while processing your request. "
                                  "(server_error)") != std::string::npos);
    CHECK(rec.log == std::vector<std::string>{"T:Hi"});

    const auto rl = ChatStreamDecoder{}.feed(
        R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})",
        rec);
    CHECK(rl.code() == Errc::provider_failed);
    CHECK(rl.error().message.find("Rate limit reached (requests, rate_limit_exceeded)") !=
          std::string::npos);
    // Ollama's bare string, llama.cpp's numeric code, vLLM's error object.
    const auto ol = ChatStreamDecoder{}.feed(R"({"error":"model 'x' not found"})", rec);
    CHECK(ol.code() == Errc::provider_failed);
    CHECK(ol.error().message.find("model 'x' not found") != std::string::npos);
    const auto lc = ChatStreamDecoder{}.feed(
        R"({"error":{"code":500,"message":"context full","type":"server_error"}})", rec);
    CHECK(lc.error().message.find("context full (server_error, 500)") != std::string::npos);
    const auto vl = ChatStreamDecoder{}.feed(
        R"({"object":"error","message":"max_tokens too large","type":"BadRequestError","param":null,"code":400})",
        rec);
    CHECK(vl.code() == Errc::provider_failed);
    CHECK(vl.error().message.find("max_tokens too large") != std::string::npos);
}

TEST_CASE("providers: cloud chat server quirks (llama.cpp, Ollama, vLLM)") {
    SUBCASE("tool_calls whole in one chunk, content null") {
        const auto r = run_stream({sse({
            chunk(
                R"({"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"transfer_call","arguments":"{\"number\":\"+442071234567\"}"}}]})"),
            chunk("{}", R"("tool_calls")"),
            "[DONE]",
        })});
        CHECK(r.rec.log == std::vector<std::string>{"A:transfer:+442071234567"});
    }
    SUBCASE("no index: position order in one array") {
        const auto r = run_stream({sse({
            chunk(
                R"({"tool_calls":[{"id":"a","type":"function","function":{"name":"send_digits","arguments":"{\"digits\":\"1\"}"}},{"id":"b","type":"function","function":{"name":"end_call","arguments":"{}"}}]})"),
            chunk("{}", R"("tool_calls")"),
        })});
        CHECK(r.rec.log == std::vector<std::string>{"A:digits:1", "A:end_call:"});
        CHECK(r.finish_code == Errc::ok);
    }
    SUBCASE("no index: calls in separate chunks, fragments continue the latest") {
        const auto r = run_stream({sse({
            chunk(
                R"({"tool_calls":[{"id":"a","type":"function","function":{"name":"send_digits","arguments":"{\"digits\":"}}]})"),
            chunk(R"({"tool_calls":[{"function":{"arguments":"\"42\"}"}}]})"),
            chunk(
                R"({"tool_calls":[{"id":"b","type":"function","function":{"name":"end_call","arguments":""}}]})"),
            chunk("{}", R"("tool_calls")"),
            "[DONE]",
        })});
        CHECK(r.rec.log == std::vector<std::string>{"A:digits:42", "A:end_call:"});
    }
    SUBCASE("arguments as a JSON object, name repeated in every fragment") {
        const auto r = run_stream({sse({
            chunk(
                R"({"tool_calls":[{"index":0,"function":{"name":"send_digits","arguments":{"digits":"9"}}}]})"),
            chunk(R"({"tool_calls":[{"index":0,"function":{"name":"send_digits"}}]})"),
            chunk(R"({"content":null})", R"("tool_calls")"),
        })});
        CHECK(r.rec.log == std::vector<std::string>{"A:digits:9"});
    }
    SUBCASE("missing delta fields, choices null, usage chunk, no choices at all") {
        const auto r = run_stream({sse({
            R"({"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"}}]})",
            R"({"choices":[{"delta":{"content":"ok"},"finish_reason":null}]})",
            R"({"choices":[{"index":0,"finish_reason":"length"}]})",
            "",
            R"({"choices":null,"usage":{"prompt_tokens":3}})",
            R"({"usage":{"prompt_tokens":3}})",
            R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}})",
            "[DONE]",
        })});
        CHECK(r.rec.log == std::vector<std::string>{"T:ok"});
        CHECK(r.finish_reason == "length");
        CHECK(r.feed_errors.empty());
    }
    SUBCASE("other choices (n > 1) are ignored") {
        const auto r = run_stream({sse({
            R"({"choices":[{"index":1,"delta":{"content":"no"}},{"index":0,"delta":{"content":"yes"}}]})",
            "[DONE]",
        })});
        CHECK(r.rec.log == std::vector<std::string>{"T:yes"});
    }
}

TEST_CASE("providers: cloud chat a bad tool call is invalid_argument and the stream goes on") {
    ChatStreamDecoder dec;
    Recorder rec;
    REQUIRE(
        dec.feed(
               chunk(
                   R"({"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"transfer_call","arguments":"{\"number\":\"call Bob\"}"}},{"index":1,"id":"b","type":"function","function":{"name":"end_call","arguments":"{}"}}]})"),
               rec)
            .ok());
    const auto st = dec.feed(chunk("{}", R"("tool_calls")"), rec);
    CHECK(st.code() == Errc::invalid_argument);
    CHECK(st.error().message.find("transfer_call") != std::string::npos);
    CHECK(rec.log == std::vector<std::string>{"A:end_call:"});
    REQUIRE(dec.feed("[DONE]", rec).ok());
    CHECK(dec.finish(rec).ok());
}

TEST_CASE("providers: cloud chat hostile JSON is protocol, never a crash") {
    const std::vector<std::string> hostile = {
        "{",
        R"({"choices":[{"delta":{"content":"a"})",
        "[]",
        "42",
        "\"[DONE]\"",
        "nul",
        R"({"choices":{}})",
        R"({"choices":[{"delta":{"content":7}}]})",
        R"({"choices":[{"index":-1,"delta":{}}]})",
        R"({"choices":[{"delta":{"tool_calls":{}}}]})",
        R"({"choices":[{"delta":{"tool_calls":[1]}}]})",
        R"({"choices":[{"delta":{"tool_calls":[{"index":"0"}]}}]})",
        R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":3}}]}}]})",
        R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":[1]}}]}}]})",
        R"({"choices":[{"finish_reason":5}]})",
        "{\"choices\":[{\"delta\":{\"content\":\"\xff\xfe\"}}]}",  // invalid UTF-8
        std::string(5000, '[') + std::string(5000, ']'),           // deeper than simdjson allows
    };
    for (const auto& h : hostile) {
        CAPTURE(h.substr(0, 80));
        ChatStreamDecoder dec;
        Recorder rec;
        const auto st = dec.feed(h, rec);
        CHECK(st.code() == Errc::protocol);
        CHECK(rec.log.empty());
    }
    // Huge indexes are keys, not array positions; more than 32 calls is refused.
    ChatStreamDecoder dec;
    Recorder rec;
    CHECK(
        dec.feed(
               chunk(
                   R"({"tool_calls":[{"index":18446744073709551615,"function":{"name":"end_call"}}]})"),
               rec)
            .ok());
    std::string many = R"({"tool_calls":[)";
    for (int i = 0; i < 40; ++i)
        many += (i ? "," : "") + std::string(R"({"index":)") + std::to_string(i) + "}";
    many += "]}";
    CHECK(dec.feed(chunk(many), rec).code() == Errc::protocol);
    // Arguments growing without bound across events.
    ChatStreamDecoder big;
    const std::string piece = chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":")" +
                                    std::string(4000, 'x') + R"("}}]})");
    Status st;
    for (int i = 0; i < 40 && st.ok(); ++i) st = big.feed(piece, rec);
    CHECK(st.code() == Errc::protocol);
    CHECK(rec.log.empty());
}

TEST_CASE("providers: cloud chat tool_call_to_action validates the arguments") {
    struct Case {
        std::string_view name, args;
        bool ok;
        ActionKind kind;
        std::string_view value;
    };
    const Case cases[] = {
        {"transfer_call", R"({"number":"+33123456789"})", true, ActionKind::transfer,
         "+33123456789"},
        {"transfer_call", R"({"number":"0612345678","reason":"asked"})", true, ActionKind::transfer,
         "0612345678"},
        {"transfer_call", R"({"number":33123456789})", true, ActionKind::transfer, "33123456789"},
        {"transfer_call", R"({"number":""})", false, {}, {}},
        {"transfer_call", R"({"number":"+"})", false, {}, {}},
        {"transfer_call", R"({"number":"+33 1 23"})", false, {}, {}},
        {"transfer_call", R"({"number":"33+1"})", false, {}, {}},
        {"transfer_call", R"({"number":-5})", false, {}, {}},
        {"transfer_call", R"({"number":null})", false, {}, {}},
        {"transfer_call", R"({})", false, {}, {}},
        {"transfer_call", "", false, {}, {}},
        {"transfer_call", R"({"number":"1")", false, {}, {}},
        {"transfer_call", R"(["+331"])", false, {}, {}},
        {"send_digits", R"({"digits":"0123456789*#ABCDw"})", true, ActionKind::digits,
         "0123456789*#ABCDw"},
        {"send_digits", R"({"digits":"12e"})", false, {}, {}},
        {"send_digits", R"({"digits":"abc"})", false, {}, {}},
        {"send_digits", R"({"digits":"1 2"})", false, {}, {}},
        {"send_digits", R"({"digits":""})", false, {}, {}},
        {"play_audio", R"({"url":"https://cdn.example.com/hold.wav"})", true, ActionKind::play,
         "https://cdn.example.com/hold.wav"},
        {"play_audio", R"({"url":"HTTP://10.0.0.1:8080/x?y=1"})", true, ActionKind::play,
         "HTTP://10.0.0.1:8080/x?y=1"},
        {"play_audio", R"({"url":"ftp://example.com/a.wav"})", false, {}, {}},
        {"play_audio", R"({"url":"https://"})", false, {}, {}},
        {"play_audio", R"({"url":"https:///path"})", false, {}, {}},
        {"play_audio", R"({"url":"https://a b/c"})", false, {}, {}},
        {"play_audio", R"({"url":"file:///etc/passwd"})", false, {}, {}},
        {"play_audio", R"({"url":5})", false, {}, {}},
        {"play_audio", R"({"url":"https://x/a\"b"})", false, {}, {}},
        {"play_audio", "{\"url\":\"https://x/caf\xc3\xa9\"}", false, {}, {}},
        {"play_audio", R"({"url":"https://x/%C3%A9?a=1&b=2#t"})", true, ActionKind::play,
         "https://x/%C3%A9?a=1&b=2#t"},
        {"end_call", "{}", true, ActionKind::end_call, ""},
        {"end_call", "", true, ActionKind::end_call, ""},
        {"end_call", R"({"reason":"bye"})", true, ActionKind::end_call, ""},
        {"end_call", "[]", false, {}, {}},
        {"hang_up", "{}", false, {}, {}},
        {"", "{}", false, {}, {}},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        CAPTURE(c.args);
        const auto a = tool_call_to_action(c.name, c.args);
        REQUIRE(a.ok() == c.ok);
        if (c.ok) {
            CHECK(a->kind == c.kind);
            CHECK(a->value == c.value);
        } else {
            CHECK(a.code() == Errc::invalid_argument);
            CHECK_FALSE(a.error().message.empty());
        }
    }
}

TEST_CASE("providers: cloud chat request body") {
    ChatParams p;
    p.model = "gpt-4o-mini";
    p.tools = false;
    const std::vector<Message> msgs = {{Role::system, "You are a \"receptionist\"."},
                                       {Role::user, "Hi\n"},
                                       {Role::assistant, "Hello!"}};
    CHECK(
        build_chat_request(p, msgs) ==
        R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a \"receptionist\"."},)"
        R"({"role":"user","content":"Hi\n"},{"role":"assistant","content":"Hello!"}],"stream":true})");

    p.temperature = 0.5;
    p.max_tokens = 200;
    p.user = "call-42";
    p.tools = true;
    const auto body = build_chat_request(p, msgs);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(body).get(doc) == simdjson::SUCCESS);
    CHECK(double(doc["temperature"]) == 0.5);
    CHECK(uint64_t(doc["max_tokens"]) == 200);
    CHECK(std::string_view(doc["user"]) == "call-42");
    CHECK(std::string_view(doc["tool_choice"]) == "auto");
    CHECK(bool(doc["stream"]));
    simdjson::dom::array tools = doc["tools"];
    std::vector<std::string> names;
    for (simdjson::dom::element t : tools) {
        CHECK(std::string_view(t["type"]) == "function");
        names.emplace_back(std::string_view(t["function"]["name"]));
        CHECK_FALSE(std::string_view(t["function"]["description"]).empty());
        CHECK(std::string_view(t["function"]["parameters"]["type"]) == "object");
        CHECK(t["function"]["parameters"]["properties"].is_object());
    }
    CHECK(names ==
          std::vector<std::string>{"transfer_call", "send_digits", "play_audio", "end_call"});
    CHECK(std::string_view(doc["tools"].at(0)["function"]["parameters"]["required"].at(0)) ==
          "number");
    CHECK(chat_tools_json() == simdjson::minify(doc["tools"]));
}
