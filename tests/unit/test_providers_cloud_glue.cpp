// The cloud providers over a scripted client (no socket): what they send and how they turn the
// services' answers into transcripts, tokens, actions and audio. The wire codecs have their own
// tests; the client has its loopback tests; whole calls run in tests/integration.
#include <doctest/doctest.h>

#include <cmath>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "net/client/client.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers;

namespace {

struct FakeWs;

// A ClientLoop that records requests and lets the test answer them on its own thread.
struct FakeLoop final : net::ClientLoop {
    struct Http {
        net::HttpRequest request;
        std::shared_ptr<net::HttpHandler> handler;
        bool cancelled = false;
    };
    std::vector<std::shared_ptr<Http>> http_requests;
    std::vector<std::shared_ptr<FakeWs>> sockets;

    std::unique_ptr<Request> http(net::HttpRequest r, std::shared_ptr<net::HttpHandler> h) override;
    std::unique_ptr<net::WsConnection> websocket(net::WsRequest r,
                                                 std::shared_ptr<net::WsHandler> h) override;
    std::vector<ErrorCount> error_counts() const override { return {}; }
    std::uint64_t requests(std::string_view) const override { return 0; }
    std::uint64_t retries(std::string_view) const override { return 0; }
    std::uint64_t reused_connections(std::string_view) const override { return 0; }
    std::string mask(std::string_view t) const override { return std::string(t); }
    Status host_in(lws_context*) override { return {}; }
    void unhost() override {}
};

struct FakeWs {
    net::WsRequest request;
    std::shared_ptr<net::WsHandler> handler;
    std::vector<std::string> texts;
    std::vector<std::vector<std::uint8_t>> binaries;
    bool closed = false, cancelled = false;
    void answer(std::string_view json) {
        handler->on_message(
            std::span(reinterpret_cast<const std::uint8_t*>(json.data()), json.size()), false);
    }
};

struct HttpHandle final : Request {
    std::shared_ptr<FakeLoop::Http> http;
    ~HttpHandle() override { cancel(); }  // as the real client's handles
    void cancel() override { http->cancelled = true; }
};

struct WsHandle final : net::WsConnection {
    std::shared_ptr<FakeWs> ws;
    ~WsHandle() override { cancel(); }
    void send_text(std::string t) override { ws->texts.push_back(std::move(t)); }
    void send_binary(std::vector<std::uint8_t> d) override { ws->binaries.push_back(std::move(d)); }
    void close() override { ws->closed = true; }
    void cancel() override { ws->cancelled = true; }
};

std::unique_ptr<Request> FakeLoop::http(net::HttpRequest r, std::shared_ptr<net::HttpHandler> h) {
    auto rec = std::make_shared<Http>(Http{std::move(r), std::move(h), false});
    http_requests.push_back(rec);
    auto handle = std::make_unique<HttpHandle>();
    handle->http = rec;
    return handle;
}

std::unique_ptr<net::WsConnection> FakeLoop::websocket(net::WsRequest r,
                                                       std::shared_ptr<net::WsHandler> h) {
    auto ws = std::make_shared<FakeWs>();
    ws->request = std::move(r);
    ws->handler = std::move(h);
    sockets.push_back(ws);
    auto handle = std::make_unique<WsHandle>();
    handle->ws = ws;
    return handle;
}

struct SttRecorder final : SttSink {
    std::vector<std::string> finals, interims;
    std::vector<double> final_confidences, interim_confidences;
    int speech_started = 0, utterance_ends = 0;
    std::vector<Error> errors;
    void on_transcript(std::string_view t, bool is_final, double confidence) override {
        (is_final ? finals : interims).emplace_back(t);
        (is_final ? final_confidences : interim_confidences).push_back(confidence);
    }
    void on_speech_started() override { ++speech_started; }
    void on_utterance_end() override { ++utterance_ends; }
    void on_error(const Error& e) override { errors.push_back(e); }
};

struct LlmRecorder final : LlmSink {
    std::string text;
    std::vector<Action> actions;
    int done = 0;
    std::vector<Error> errors;
    void on_token(std::string_view t) override { text += t; }
    void on_action(const Action& a) override { actions.push_back(a); }
    void on_done() override { ++done; }
    void on_error(const Error& e) override { errors.push_back(e); }
};

struct TtsRecorder final : TtsSink {
    std::vector<std::int16_t> samples;
    std::uint32_t rate = 0;
    int done = 0;
    std::vector<Error> errors;
    void on_audio(std::span<const std::int16_t> s, std::uint32_t r) override {
        samples.insert(samples.end(), s.begin(), s.end());
        rate = r;
    }
    void on_done() override { ++done; }
    void on_error(const Error& e) override { errors.push_back(e); }
};

void body(net::HttpHandler& h, std::string_view bytes) {
    h.on_body(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::string header(const std::vector<net::Header>& hs, std::string_view name) {
    for (const auto& h : hs)
        if (h.name == name) return h.value;
    return {};
}

// A Results message as Deepgram sends it; `confidence` is the JSON text of the first
// alternative's confidence ("" leaves the field out).
std::string results(std::string_view text, bool is_final, bool speech_final,
                    bool from_finalize = false, std::string_view confidence = "0.99",
                    std::string_view duration = "1.0") {
    return std::string(R"({"type":"Results","channel_index":[0,1],"duration":)") +
           std::string(duration) + R"(,"start":0.0,"is_final":)" + (is_final ? "true" : "false") +
           R"(,"speech_final":)" + (speech_final ? "true" : "false") + R"(,"from_finalize":)" +
           (from_finalize ? "true" : "false") + R"(,"channel":{"alternatives":[{"transcript":")" +
           std::string(text) + R"(")" +
           (confidence.empty() ? std::string() : R"(,"confidence":)" + std::string(confidence)) +
           R"(,"words":[]}]}})";
}

}  // namespace

TEST_CASE("providers: cloud deepgram sends the line as it came and turns results into turns") {
    auto loop = std::make_shared<FakeLoop>();
    DeepgramSttOptions o;
    o.api_key = "dg-key";
    o.base_url = "wss://dg.example/v1";
    o.keepalive_ms = 1000;
    auto stt = make_deepgram_stt(o, loop);
    REQUIRE(stt.ok());
    CHECK((*stt)->sample_rate_hz() == 0);
    SttOptions so;
    so.sample_rate_hz = 8000;
    so.line_encoding = LineEncoding::pcmu;
    auto sink = std::make_shared<SttRecorder>();
    auto opened = (*stt)->open(so, sink);
    REQUIRE(opened.ok());
    auto& stream = **opened;
    REQUIRE(loop->sockets.size() == 1);
    FakeWs& ws = *loop->sockets[0];
    CHECK(ws.request.url.host == "dg.example");
    CHECK(ws.request.url.path.rfind("/v1/listen?", 0) == 0);
    CHECK(ws.request.url.path.find("encoding=mulaw") != std::string::npos);
    CHECK(ws.request.url.path.find("sample_rate=8000") != std::string::npos);
    CHECK(ws.request.url.path.find("vad_events=true") != std::string::npos);
    CHECK(header(ws.request.headers, "Authorization") == "Token dg-key");
    CHECK(ws.request.headers[0].secret);
    CHECK(ws.request.deadlines.total_ms == 0);

    // A frame of speech goes as the µ-law bytes the line carried.
    std::vector<std::int16_t> frame(160);
    for (std::size_t i = 0; i < frame.size(); ++i)
        frame[i] = audio::ulaw_decode(static_cast<std::uint8_t>(i));
    stream.send_audio(frame);
    REQUIRE(ws.binaries.size() == 1);
    REQUIRE(ws.binaries[0].size() == 160);
    for (std::size_t i = 0; i < 160; ++i)
        if (i != 0x7f) CHECK(ws.binaries[0][i] == i);  // 0x7f is -0, which encodes as +0 (0xff)

    ws.answer(R"({"type":"SpeechStarted","channel":[0],"timestamp":0.1})");
    ws.answer(results("what are", false, false));
    ws.answer(results("what are your opening hours", true, true));
    CHECK(sink->speech_started == 1);
    CHECK(sink->interims == std::vector<std::string>{"what are"});
    CHECK(sink->finals.empty());  // the engine decides the turn
    CHECK(sink->utterance_ends == 1);
    // Deepgram closed the utterance already: the end of turn delivers at once, no Finalize.
    stream.end_of_turn();
    CHECK(sink->finals == std::vector<std::string>{"what are your opening hours"});
    CHECK(ws.texts.empty());

    // The engine ends the next turn first: Finalize, and the answer comes with from_finalize.
    ws.answer(results("transfer me", true, false));
    stream.end_of_turn();
    CHECK(ws.texts == std::vector<std::string>{R"({"type":"Finalize"})"});
    CHECK(sink->finals.size() == 1);
    ws.answer(results("to sales", true, false, true));
    CHECK(sink->finals.back() == "transfer me to sales");

    // Silence: audio stops after 1.5 s of it and a KeepAlive goes every keepalive_ms instead.
    const std::vector<std::int16_t> quiet(160, 0);
    ws.binaries.clear();
    for (int i = 0; i < 75 + 50; ++i) stream.send_audio(quiet);  // 2.5 s
    CHECK(ws.binaries.size() == 75);                             // 1.5 s sent, then suppressed
    CHECK(ws.texts.back() == R"({"type":"KeepAlive"})");
    // Sound again: the last 200 ms of silence go first, then the frame.
    stream.send_audio(frame);
    CHECK(ws.binaries.size() == 77);
    CHECK(ws.binaries[75].size() == 1600);

    // The end: CloseStream, a graceful close, and nothing more reaches the sink.
    stream.cancel();
    CHECK(ws.texts.back() == R"({"type":"CloseStream"})");
    CHECK(ws.closed);
    ws.answer(results("late", true, true));
    // The service closes in answer to CloseStream: that is no error, and the provider lets the
    // connection go.
    ws.handler->on_closed(1000);
    CHECK(sink->finals.size() == 2);
    CHECK(sink->errors.empty());
}

TEST_CASE("providers: cloud deepgram carries the confidence, duration-weighted over a turn") {
    auto loop = std::make_shared<FakeLoop>();
    auto stt = make_deepgram_stt(DeepgramSttOptions{}, loop);
    REQUIRE(stt.ok());
    SttOptions so;
    so.sample_rate_hz = 8000;
    auto sink = std::make_shared<SttRecorder>();
    auto opened = (*stt)->open(so, sink);
    REQUIRE(opened.ok());
    auto& stream = **opened;
    FakeWs& ws = *loop->sockets[0];

    // Interims carry their own confidence.
    ws.answer(results("transfer", false, false, false, "0.42"));
    REQUIRE(sink->interim_confidences.size() == 1);
    CHECK(sink->interim_confidences[0] == doctest::Approx(0.42));
    // A turn of two segments: 1.5 s heard at 0.9 and 0.5 s at 0.5 -> (1.35 + 0.25) / 2 = 0.8
    // (their plain mean would be 0.7, their minimum 0.5).
    ws.answer(results("transfer me", true, false, false, "0.9", "1.5"));
    ws.answer(results("to sales", true, true, false, "0.5", "0.5"));
    stream.end_of_turn();
    REQUIRE(sink->finals == std::vector<std::string>{"transfer me to sales"});
    CHECK(sink->final_confidences[0] == doctest::Approx(0.8));

    // The next turn starts afresh. A segment without a confidence (or with one that is not a
    // probability) does not count; an empty segment neither.
    ws.answer(results("opening", true, false, false, "", "0.4"));
    ws.answer(results("hours", true, false, false, "1.7", "0.4"));
    ws.answer(results("", true, false, false, "0.01", "0.4"));
    ws.answer(results("please", true, false, false, "1", "0.6"));
    stream.end_of_turn();  // Finalize; the answer closes the turn
    ws.answer(results("", true, false, true, "0", "0.0"));
    REQUIRE(sink->finals.size() == 2);
    CHECK(sink->finals[1] == "opening hours please");
    CHECK(sink->final_confidences[1] == 1.0);

    // No segment with a confidence: unknown.
    ws.answer(results("sales", true, true, false, ""));
    stream.end_of_turn();
    REQUIRE(sink->finals.size() == 3);
    CHECK(sink->final_confidences[2] == kUnknownConfidence);

    // Hostile durations neither overflow nor go negative: the weights are bounded.
    ws.answer(results("a", true, false, false, "0.2", "1e300"));
    ws.answer(results("b", true, true, false, "0.6", "-5"));
    stream.end_of_turn();
    REQUIRE(sink->finals.size() == 4);
    const double c = sink->final_confidences[3];
    CHECK(c >= 0.2);
    CHECK(c <= 0.6);
    // The service closes: the provider lets the connection (and the fake's handler) go.
    ws.handler->on_closed(1000);
}

TEST_CASE("providers: cloud deepgram reports a closed or failed stream to the engine") {
    auto loop = std::make_shared<FakeLoop>();
    DeepgramSttOptions o;
    o.api_key = "k";
    auto stt = make_deepgram_stt(o, loop);
    REQUIRE(stt.ok());
    SttOptions so;
    so.sample_rate_hz = 16000;
    auto sink = std::make_shared<SttRecorder>();
    auto opened = (*stt)->open(so, sink);
    REQUIRE(opened.ok());
    FakeWs& ws = *loop->sockets[0];
    CHECK(ws.request.url.path.find("encoding=linear16") != std::string::npos);
    ws.handler->on_closed(1011);
    REQUIRE(sink->errors.size() == 1);
    CHECK(sink->errors[0].code == Errc::provider_failed);
    CHECK(sink->errors[0].message.find("1011") != std::string::npos);
    CHECK_FALSE(make_deepgram_stt(o, nullptr).ok());
    o.base_url = "https://not-a-socket.example/v1";
    CHECK_FALSE(make_deepgram_stt(o, loop).ok());
}

TEST_CASE("providers: cloud openai llm streams tokens and assembled tool calls") {
    auto loop = std::make_shared<FakeLoop>();
    OpenAiLlmOptions o;
    o.api_key = "sk-test";
    o.base_url = "http://127.0.0.1:11434/v1/";
    o.model = "llama3.2";
    auto llm = make_openai_llm(o, loop);
    REQUIRE(llm.ok());
    LlmRequest req;
    req.messages = {{Role::system, "be brief"}, {Role::user, "sales please"}};
    auto sink = std::make_shared<LlmRecorder>();
    auto started = (*llm)->start(req, sink);
    REQUIRE(started.ok());
    REQUIRE(loop->http_requests.size() == 1);
    auto& h = *loop->http_requests[0];
    CHECK(h.request.url.scheme == net::Scheme::http);
    CHECK(h.request.url.path == "/v1/chat/completions");
    CHECK(header(h.request.headers, "Authorization") == "Bearer sk-test");
    CHECK(h.request.idempotent);
    CHECK(h.request.deadlines.idle_ms == o.timeouts.first_byte_ms);
    CHECK(h.request.body.find(R"("stream":true)") != std::string::npos);
    CHECK(h.request.body.find(R"("transfer_call")") != std::string::npos);
    CHECK(h.request.body.find(R"("be brief")") != std::string::npos);

    const std::string stream =
        "data: "
        "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Putting\"}}]}"
        "\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" you through.\"}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\","
        "\"type\":\"function\",\"function\":{\"name\":\"transfer_call\",\"arguments\":\"\"}}]}}]}"
        "\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
        "{\"arguments\":\"{\\\"number\\\":\\\"3318\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
        "{\"arguments\":\"2880001\\\"}\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
        "data: [DONE]\n\n";
    // In awkward pieces, as TCP delivers them.
    for (std::size_t i = 0; i < stream.size(); i += 7)
        body(*h.handler, std::string_view(stream).substr(i, 7));
    CHECK(sink->text == "Putting you through.");
    REQUIRE(sink->actions.size() == 1);
    CHECK(sink->actions[0].kind == ActionKind::transfer);
    CHECK(sink->actions[0].value == "33182880001");
    CHECK(sink->done == 1);
    h.handler->on_complete();  // after [DONE]: nothing more
    CHECK(sink->done == 1);
    CHECK(sink->errors.empty());
}

TEST_CASE("providers: cloud openai llm fails on an error object, a cut stream, an HTTP failure") {
    auto loop = std::make_shared<FakeLoop>();
    OpenAiLlmOptions o;
    o.api_key = "sk-test";
    auto llm = make_openai_llm(o, loop);
    REQUIRE(llm.ok());
    LlmRequest req;
    req.messages = {{Role::user, "hi"}};

    auto a = std::make_shared<LlmRecorder>();
    auto ra = (*llm)->start(req, a);
    body(*loop->http_requests[0]->handler,
         "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n");
    REQUIRE(a->errors.size() == 1);
    CHECK(a->errors[0].message.find("overloaded") != std::string::npos);

    auto b = std::make_shared<LlmRecorder>();
    auto rb = (*llm)->start(req, b);
    body(*loop->http_requests[1]->handler,
         "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n");
    loop->http_requests[1]->handler->on_complete();  // closed without finish_reason or [DONE]
    CHECK(b->text == "Hel");
    REQUIRE(b->errors.size() == 1);
    CHECK(b->done == 0);

    auto c = std::make_shared<LlmRecorder>();
    auto rc = (*llm)->start(req, c);
    loop->http_requests[2]->handler->on_failure(
        net::Failure{net::FailureKind::timeout, 200, "the response stalled"});
    REQUIRE(c->errors.size() == 1);
    CHECK(c->errors[0].code == Errc::timeout);
}

TEST_CASE("providers: cloud elevenlabs asks for the line's format and streams its samples") {
    auto loop = std::make_shared<FakeLoop>();
    ElevenLabsTtsOptions o;
    o.api_key = "el-key";
    auto tts = make_elevenlabs_tts(o, loop);
    REQUIRE(tts.ok());
    TtsRequest req;
    req.text = "Hello.";
    req.sample_rate_hz = 8000;
    auto sink = std::make_shared<TtsRecorder>();
    auto r = (*tts)->synthesize(req, sink);
    REQUIRE(r.ok());
    auto& h = *loop->http_requests[0];
    CHECK(h.request.url.path ==
          "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream?output_format=ulaw_8000");
    CHECK(header(h.request.headers, "xi-api-key") == "el-key");
    CHECK(h.request.body.find(R"("text":"Hello.")") != std::string::npos);
    const std::uint8_t ulaw[3] = {0x00, 0x80, 0xff};
    h.handler->on_body(ulaw);
    h.handler->on_complete();
    REQUIRE(sink->samples.size() == 3);
    CHECK(sink->samples[0] == audio::ulaw_decode(0x00));
    CHECK(sink->rate == 8000);
    CHECK(sink->done == 1);

    req.sample_rate_hz = 16000;
    auto sink16 = std::make_shared<TtsRecorder>();
    auto r16 = (*tts)->synthesize(req, sink16);
    auto& h16 = *loop->http_requests[1];
    CHECK(h16.request.url.path.find("output_format=pcm_16000") != std::string::npos);
    const std::uint8_t pcm[4] = {0x34, 0x12, 0xff, 0x7f};
    h16.handler->on_body(std::span(pcm, 1));  // an odd byte waits for its partner
    h16.handler->on_body(std::span(pcm + 1, 3));
    CHECK(sink16->samples == std::vector<std::int16_t>{0x1234, 0x7fff});
    CHECK(sink16->rate == 16000);
}

TEST_CASE("providers: cloud openai stt sends each turn as a WAV, finals in turn order") {
    auto loop = std::make_shared<FakeLoop>();
    OpenAiSttOptions o;
    o.api_key = "sk-test";
    auto stt = make_openai_stt(o, loop);
    REQUIRE(stt.ok());
    SttOptions so;
    so.sample_rate_hz = 16000;
    so.phrases = {"opening hours", "sales"};
    auto sink = std::make_shared<SttRecorder>();
    auto opened = (*stt)->open(so, sink);
    REQUIRE(opened.ok());
    auto& stream = **opened;
    const std::vector<std::int16_t> voice(3200, 1000);
    stream.send_audio(voice);
    stream.speech_started();
    stream.end_of_turn();
    stream.send_audio(voice);
    stream.speech_started();
    stream.end_of_turn();
    REQUIRE(loop->http_requests.size() == 2);
    auto& first = *loop->http_requests[0];
    CHECK(first.request.url.path == "/v1/audio/transcriptions");
    CHECK(first.request.content_type.rfind("multipart/form-data; boundary=", 0) == 0);
    CHECK(first.request.body.find("RIFF") != std::string::npos);
    CHECK(first.request.body.find("opening hours, sales") != std::string::npos);
    // The second turn answers first: it waits for the first.
    body(*loop->http_requests[1]->handler, R"({"text":"second"})");
    loop->http_requests[1]->handler->on_complete();
    CHECK(sink->finals.empty());
    body(*first.handler, R"({"text":"first"})");
    first.handler->on_complete();
    CHECK(sink->finals == std::vector<std::string>{"first", "second"});
    // A turn with no audio at all is an empty final at once, no request.
    stream.end_of_turn();
    CHECK(loop->http_requests.size() == 2);
    CHECK(sink->finals.size() == 3);
}

TEST_CASE("providers: cloud openai stt finals carry the confidence the model's answer offers") {
    const std::vector<std::int16_t> voice(3200, 1000);
    SttOptions so;
    so.sample_rate_hz = 16000;
    for (const std::string model : {"whisper-1", "gpt-4o-mini-transcribe", "other-model"}) {
        CAPTURE(model);
        auto loop = std::make_shared<FakeLoop>();
        OpenAiSttOptions o;
        o.model = model;
        auto stt = make_openai_stt(o, loop);
        REQUIRE(stt.ok());
        auto sink = std::make_shared<SttRecorder>();
        auto opened = (*stt)->open(so, sink);
        REQUIRE(opened.ok());
        (*opened)->send_audio(voice);
        (*opened)->end_of_turn();
        REQUIRE(loop->http_requests.size() == 1);
        auto& h = *loop->http_requests[0];
        const std::string& form = h.request.body;
        const bool whisper = model == "whisper-1", gpt = model == "gpt-4o-mini-transcribe";
        CHECK((form.find("verbose_json") != std::string::npos) == whisper);
        CHECK((form.find("name=\"include[]\"\r\n\r\nlogprobs\r\n") != std::string::npos) == gpt);
        // Each answers in its own shape (the other fields as the API sends them).
        body(*h.handler,
             whisper ? R"({"task":"transcribe","language":"english","duration":0.2,"text":"sales",)"
                       R"("segments":[{"id":0,"seek":0,"start":0.0,"end":0.2,"text":" sales",)"
                       R"("tokens":[50364,5763,50374],"temperature":0.0,"avg_logprob":-0.1,)"
                       R"("compression_ratio":0.5,"no_speech_prob":0.1}]})"
             : gpt   ? R"({"text":"sales","logprobs":[{"token":"sales","logprob":-0.3,)"
                       R"("bytes":[115,97,108,101,115]}],"usage":{"type":"tokens",)"
                       R"("input_tokens":3,"output_tokens":1,"total_tokens":4}})"
                     : R"({"text":"sales"})");
        h.handler->on_complete();
        REQUIRE(sink->finals == std::vector<std::string>{"sales"});
        const double expected = whisper ? std::exp(-0.1) * 0.9
                                : gpt   ? std::exp(-0.3)
                                        : kUnknownConfidence;
        CHECK(sink->final_confidences[0] == doctest::Approx(expected));
        // An empty turn (no request) carries no confidence.
        (*opened)->end_of_turn();
        CHECK(sink->final_confidences.back() == kUnknownConfidence);
    }
}

TEST_CASE("providers: cloud openai stt keeps every unanswered turn's request alive") {
    auto loop = std::make_shared<FakeLoop>();
    OpenAiSttOptions o;
    o.api_key = "sk-test";
    auto stt = make_openai_stt(o, loop);
    REQUIRE(stt.ok());
    SttOptions so;
    so.sample_rate_hz = 16000;
    auto sink = std::make_shared<SttRecorder>();
    auto opened = (*stt)->open(so, sink);
    REQUIRE(opened.ok());
    const std::vector<std::int16_t> voice(1600, 1000);
    for (int i = 0; i < 12; ++i) {
        (*opened)->send_audio(voice);
        (*opened)->end_of_turn();
    }
    REQUIRE(loop->http_requests.size() == 12);
    for (const auto& h : loop->http_requests) CHECK_FALSE(h->cancelled);
    for (std::size_t i = 12; i-- > 0;) {
        body(*loop->http_requests[i]->handler, "{\"text\":\"t" + std::to_string(i) + "\"}");
        loop->http_requests[i]->handler->on_complete();
    }
    REQUIRE(sink->finals.size() == 12);
    CHECK(sink->finals.front() == "t0");
    CHECK(sink->finals.back() == "t11");
    // Answered turns' handles go when the next turn starts (cancelling a finished request is
    // harmless); the one in flight stays.
    (*opened)->send_audio(voice);
    (*opened)->end_of_turn();
    REQUIRE(loop->http_requests.size() == 13);
    CHECK(loop->http_requests.front()->cancelled);
    CHECK_FALSE(loop->http_requests.back()->cancelled);
}
