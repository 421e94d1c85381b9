// The call engine through the C ABI, driven like a host that owns its socket would drive it:
// call_start, 20 ms L16 frames on a virtual clock, rob_call_poll at rob_call_next_wakeup and
// when woken. The providers are C vtables; the LLM answers from its own thread.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "handles.hpp"
#include "ringoverbot.h"

namespace {

// ---- the C providers ---------------------------------------------------------------------

struct World {
    // STT: every end_of_turn answers the next transcript.
    std::vector<std::string> transcripts;
    std::size_t next_transcript = 0;
    rob_stt_sink* stt_sink = nullptr;
    std::uint64_t stt_samples = 0;
    int stt_frees = 0;
    // LLM: answers on a thread of its own with `reply`, then `action` (when set).
    std::string reply = "Let me put you through.";
    int action_kind = ROB_ACTION_TRANSFER;
    std::string action_value = "33182880001";
    bool llm_refuse = false;
    std::vector<std::vector<std::string>> llm_requests;  // "role:content" per request
    std::vector<std::thread> llm_threads;
    int llm_cancels = 0, llm_frees = 0;
    rob_call* reenter = nullptr;  // when set, start tries to call back into this call
    int reenter_result = 0;
    bool destroy_from_start = false;
    // TTS: a 440 Hz tone, 50 ms per character, 16 kHz, delivered inside start.
    std::vector<std::string> tts_texts;
    int tts_frees = 0;
    // Waker.
    std::atomic<int> wakes{0};  // since the host last looked
    std::atomic<int> total_wakes{0};

    void join_llm() {
        for (auto& t : llm_threads) t.join();
        llm_threads.clear();
    }
};

int stt_open(const rob_stt_options*, rob_stt_sink* sink, void** data, void* ud) {
    auto* w = static_cast<World*>(ud);
    w->stt_sink = sink;
    *data = w;
    return ROB_OK;
}
void stt_push(void* data, const int16_t*, size_t n, void*) {
    static_cast<World*>(data)->stt_samples += n;
}
void stt_end_of_turn(void* data, void*) {
    auto* w = static_cast<World*>(data);
    const std::string t = w->next_transcript < w->transcripts.size()
                              ? w->transcripts[w->next_transcript++]
                              : std::string();
    CHECK(rob_stt_sink_transcript_confidence(w->stt_sink, t.data(), t.size(), 1, 0.93) == ROB_OK);
}
void stt_free(void* data, void*) {
    auto* w = static_cast<World*>(data);
    ++w->stt_frees;
    (void)rob_stt_sink_release(w->stt_sink);
}

int llm_start(const rob_llm_request* r, rob_llm_sink* sink, void** data, void* ud) {
    auto* w = static_cast<World*>(ud);
    std::vector<std::string> seen;
    for (size_t i = 0; i < r->message_count; ++i) {
        seen.push_back(std::to_string(r->messages[i].role) + ":" +
                       std::string(r->messages[i].content, r->messages[i].content_len));
    }
    w->llm_requests.push_back(seen);
    if (w->reenter != nullptr) w->reenter_result = rob_call_poll(w->reenter, 0);
    if (w->destroy_from_start && w->reenter != nullptr) rob_call_destroy(w->reenter);
    if (w->llm_refuse) return ROB_ERR_PROVIDER_FAILED;
    *data = nullptr;
    w->llm_threads.emplace_back(
        [sink, reply = w->reply, kind = w->action_kind, value = w->action_value] {
            // Word by word, as a streaming model would.
            std::size_t i = 0;
            while (i < reply.size()) {
                std::size_t j = reply.find(' ', i + 1);
                if (j == std::string::npos) j = reply.size();
                (void)rob_llm_sink_token(sink, reply.data() + i, j - i);
                i = j;
            }
            if (kind >= 0) (void)rob_llm_sink_action(sink, kind, value.c_str());
            (void)rob_llm_sink_done(sink);
        });
    return ROB_OK;
}
void llm_cancel(void*, void* ud) {
    ++static_cast<World*>(ud)->llm_cancels;
}
void llm_free(void*, void* ud) {
    ++static_cast<World*>(ud)->llm_frees;
}

int tts_start(const rob_tts_request* r, rob_tts_sink* sink, void** data, void* ud) {
    auto* w = static_cast<World*>(ud);
    w->tts_texts.emplace_back(r->text, r->text_len);
    const std::size_t n = 16000 * 50 * r->text_len / 1000;
    std::vector<int16_t> pcm(n);
    for (std::size_t i = 0; i < n; ++i) {
        pcm[i] = static_cast<int16_t>(8000.0 * std::sin(2.0 * M_PI * 440.0 * double(i) / 16000));
    }
    for (std::size_t off = 0; off < n; off += 1600) {
        CHECK(rob_tts_sink_audio(sink, pcm.data() + off, std::min<std::size_t>(1600, n - off),
                                 16000) == ROB_OK);
    }
    CHECK(rob_tts_sink_done(sink) == ROB_OK);
    *data = nullptr;
    return ROB_OK;
}
void tts_free(void*, void* ud) {
    ++static_cast<World*>(ud)->tts_frees;
}

void wake(void* ud) {
    ++static_cast<World*>(ud)->wakes;
    ++static_cast<World*>(ud)->total_wakes;
}

struct Providers {
    rob_stt_provider* stt = nullptr;
    rob_llm_provider* llm = nullptr;
    rob_tts_provider* tts = nullptr;
    explicit Providers(World& w) {
        rob_stt_provider_vtable s;
        rob_stt_provider_vtable_init(&s, sizeof s);
        s.user_data = &w;
        s.open = stt_open;
        s.push_audio = stt_push;
        s.end_of_turn = stt_end_of_turn;
        s.free_stream = stt_free;
        REQUIRE(rob_stt_provider_create(&s, &stt) == ROB_OK);
        rob_llm_provider_vtable l;
        rob_llm_provider_vtable_init(&l, sizeof l);
        l.user_data = &w;
        l.start = llm_start;
        l.cancel = llm_cancel;
        l.free_request = llm_free;
        REQUIRE(rob_llm_provider_create(&l, &llm) == ROB_OK);
        rob_tts_provider_vtable t;
        rob_tts_provider_vtable_init(&t, sizeof t);
        t.user_data = &w;
        t.start = tts_start;
        t.free_request = tts_free;
        REQUIRE(rob_tts_provider_create(&t, &tts) == ROB_OK);
    }
    ~Providers() {
        rob_stt_provider_destroy(stt);
        rob_llm_provider_destroy(llm);
        rob_tts_provider_destroy(tts);
    }
    rob_providers set() const {
        rob_providers p;
        rob_providers_init(&p, sizeof p);
        p.stt = stt;
        p.llm = llm;
        p.tts = tts;
        return p;
    }
};

// ---- the host ------------------------------------------------------------------------------

struct Sent {
    std::int64_t at_us;
    int32_t kind;
    std::string data;
};

struct Host {
    World world;
    Providers providers{world};
    rob_call* call = nullptr;
    std::int64_t now = 5'000'000;
    std::vector<Sent> sent;
    std::vector<rob_turn_metrics> turns;
    std::vector<std::string> turn_texts;  // caller|bot|heard|actions per finished turn

    explicit Host(rob_call_params* params = nullptr) {
        rob_call_params p;
        rob_call_params_init(&p, sizeof p);
        if (params != nullptr) p = *params;
        p.greeting = "Hello.";
        p.fallback = "Pardon?";
        p.system_prompt = "Be brief.";
        p.waker = wake;
        p.waker_user_data = &world;
        const rob_providers set = providers.set();
        REQUIRE(rob_call_create(&p, &set, &call) == ROB_OK);
    }
    ~Host() {
        rob_call_destroy(call);
        world.join_llm();
    }

    void collect() {
        std::vector<char> buf(64);
        for (;;) {
            int32_t kind = -1;
            size_t len = 0;
            int rc = rob_call_next_output(call, &kind, buf.data(), buf.size(), &len);
            if (rc == ROB_ERR_BUFFER_TOO_SMALL) {
                buf.resize(len + 1);
                continue;
            }
            if (rc == ROB_DONE) break;
            REQUIRE(rc == ROB_OK);
            CHECK(buf[len] == '\0');
            sent.push_back({now, kind, std::string(buf.data(), len)});
        }
        rob_turn_metrics m;
        std::memset(&m, 0, sizeof m);
        m.struct_size = sizeof m;
        while (rob_call_next_turn(call, &m) == ROB_OK) {
            turns.push_back(m);
            std::string actions;
            for (size_t i = 0; i < m.action_count; ++i) {
                actions += std::to_string(m.actions[i].kind) + "=" +
                           std::string(m.actions[i].value, m.actions[i].value_len) + ";";
            }
            turn_texts.push_back(std::string(m.caller_text, m.caller_text_len) + "|" +
                                 std::string(m.bot_text, m.bot_text_len) + "|" +
                                 std::string(m.heard_text, m.heard_text_len) + "|" + actions);
        }
    }
    // Runs the timers due before `t`, and whatever the providers' threads delivered.
    void advance_to(std::int64_t t) {
        world.join_llm();  // deterministic: the model's thread has spoken before time moves
        if (world.wakes.exchange(0) > 0) {
            REQUIRE(rob_call_poll(call, now) == ROB_OK);
            collect();
        }
        for (int guard = 0; guard < 10000; ++guard) {
            int64_t w = 0;
            if (rob_call_next_wakeup(call, &w) != ROB_OK || w > t) break;
            now = std::max(now, w);
            REQUIRE(rob_call_poll(call, now) == ROB_OK);
            collect();
            world.join_llm();
        }
        now = std::max(now, t);
    }
    void text(const std::string& json) {
        advance_to(now);
        REQUIRE(rob_call_on_message(call, reinterpret_cast<const uint8_t*>(json.data()),
                                    json.size(), 0, now) == ROB_OK);
        collect();
    }
    // One 20 ms 8 kHz L16 frame: a quiet room, or noise-like speech at about -20 dBFS.
    void frame(bool speech) {
        advance_to(now + 20000);
        std::uint8_t bytes[320];
        static std::uint32_t seed = 1;
        for (int i = 0; i < 160; ++i) {
            seed = seed * 1664525u + 1013904223u;
            const double u = (double(seed >> 8) / 16777216.0) * 2.0 - 1.0;
            const auto v = static_cast<int16_t>(u * (speech ? 5000.0 : 10.0));
            bytes[2 * i] = static_cast<std::uint8_t>(v & 0xff);
            bytes[2 * i + 1] = static_cast<std::uint8_t>((v >> 8) & 0xff);
        }
        REQUIRE(rob_call_on_message(call, bytes, sizeof bytes, 1, now) == ROB_OK);
        collect();
    }
    void silence(int ms) {
        for (int t = 0; t < ms; t += 20) frame(false);
    }
    void speak(int ms) {
        for (int t = 0; t < ms; t += 20) frame(true);
    }
    template <class Pred>
    bool silence_until(Pred pred, int max_ms) {
        for (int t = 0; t < max_ms; t += 20) {
            if (pred()) return true;
            frame(false);
        }
        return pred();
    }
    std::size_t count(std::string_view needle) const {
        return static_cast<std::size_t>(std::count_if(sent.begin(), sent.end(), [&](const Sent& s) {
            return s.data.find(needle) != std::string::npos;
        }));
    }
};

constexpr const char* kCallStart =
    R"({"event":"call_start","call_id":18446744073709551615,"from_number":"33600000001",)"
    R"("to_number":"33100000002","audio":{"encoding":"L16","sampleRate":8000,"channels":1}})";

}  // namespace

TEST_CASE("agent: C ABI call params and refusals") {
    rob_call_params p;
    std::memset(&p, 0xAB, sizeof p);
    rob_call_params_init(&p, sizeof p);
    CHECK(p.struct_size == sizeof p);
    CHECK(p.default_sample_rate_hz == 8000);
    CHECK(p.chunk_ms == 200);
    CHECK(p.endpoint_silence_ms == 500);
    CHECK(p.allow_barge_in == 1);
    CHECK(p.greeting == nullptr);
    CHECK(!p.waker);
    CHECK(rob_struct_size(ROB_STRUCT_CALL_PARAMS) == sizeof(rob_call_params));
    // The confidence gates' settings: the C++ defaults, text pointing into the library.
    CHECK(p.min_confidence == 0.5);
    CHECK(p.action_confidence == 0.8);
    REQUIRE(p.confirm_end_prompt != nullptr);
    CHECK(std::string(p.confirm_end_prompt) == "Do you want me to end the call?");
    REQUIRE(p.confirm_transfer_prompt != nullptr);
    CHECK(std::string(p.confirm_transfer_prompt) == "Do you want me to transfer your call?");
    CHECK(p.misheard_speech_ms == 400);
    CHECK(p.max_misunderstandings == 3);
    REQUIRE(p.misunderstood_say != nullptr);
    CHECK(std::string(p.misunderstood_say).find("Goodbye") != std::string::npos);
    REQUIRE(p.misunderstood_transfer != nullptr);
    CHECK(std::string(p.misunderstood_transfer).empty());
    CHECK(p.complete_phrase_silence_ms == 250);
    CHECK(p.echo_cancellation == 1);
    CHECK(p.echo_tail_ms == 400);
    CHECK(p.noise_suppression == 0);
    // Turn taking: reversible barge-in, the idle caller, in-band DTMF.
    CHECK(p.false_interruption_ms == 1000);
    CHECK(p.min_interruption_words == 1);
    REQUIRE(p.backchannel_words != nullptr);
    CHECK(std::string(p.backchannel_words).find("uh-huh, mm-hmm") == 0);
    CHECK(p.idle_reprompt_ms == 8000);
    CHECK(p.idle_max_reprompts == 2);
    REQUIRE(p.reprompt != nullptr);
    CHECK(std::string(p.reprompt) == "Are you still there?");
    REQUIRE(p.idle_goodbye != nullptr);
    CHECK(std::string(p.idle_goodbye).find("Goodbye") != std::string::npos);
    CHECK(p.inband_dtmf == 1);
    CHECK(p.speculate_after_ms == 200);

    World w;
    Providers prov(w);
    rob_providers set = prov.set();
    rob_call* c = nullptr;
    CHECK(rob_call_create(&p, nullptr, &c) == ROB_ERR_INVALID_ARGUMENT);
    set.llm = nullptr;
    CHECK(rob_call_create(&p, &set, &c) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("required") != std::string::npos);
    set = prov.set();
    p.number_policy = 77;
    CHECK(rob_call_create(&p, &set, &c) == ROB_ERR_INVALID_ARGUMENT);
    rob_call_params_init(&p, sizeof p);
    for (const double bad : {-0.01, 1.01, std::nan("")}) {
        p.min_confidence = bad;
        CHECK(rob_call_create(&p, &set, &c) == ROB_ERR_INVALID_ARGUMENT);
        CHECK(std::string(rob_last_error_message()).find("min_confidence") != std::string::npos);
        p.min_confidence = 0.5;
        p.action_confidence = bad;
        CHECK(rob_call_create(&p, &set, &c) == ROB_ERR_INVALID_ARGUMENT);
        p.action_confidence = 0.8;
    }
    // A host built before the confidence settings: its struct ends at waker_user_data, and
    // whatever follows in its memory is not read (the defaults apply).
    const std::size_t old_size = offsetof(rob_call_params, waker_user_data) + sizeof(void*);
    std::memset(&p, 0xFF, sizeof p);  // NaN doubles, wild pointers past the old end
    rob_call_params_init(&p, old_size);
    CHECK(p.struct_size == old_size);
    CHECK(p.endpoint_silence_ms == 500);
    REQUIRE(rob_call_create(&p, &set, &c) == ROB_OK);
    rob_call_destroy(c);
    c = nullptr;
    rob_call_params_init(&p, sizeof p);
    p.chunk_ms = 5;  // out of range: the engine names the setting
    CHECK(rob_call_create(&p, &set, &c) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("chunk_ms") != std::string::npos);
    CHECK(c == nullptr);
    rob_call_params_init(&p, sizeof p);
    p.echo_tail_ms = 5000;  // the canceller's tail has bounds too
    CHECK(rob_call_create(&p, &set, &c) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("echo_tail_ms") != std::string::npos);
    rob_call_params_init(&p, sizeof p);
    p.speculate_after_ms = 10001;  // the field reaches the engine
    CHECK(rob_call_create(&p, &set, &c) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rob_last_error_message()).find("speculate_after_ms") != std::string::npos);
    p.speculate_after_ms = 0;
    REQUIRE(rob_call_create(&p, &set, &c) == ROB_OK);
    rob_call_destroy(c);
    c = nullptr;
    rob_call_params_init(&p, sizeof p);
    // Defaults when params is NULL; misuse of a live call is refused, not fatal.
    REQUIRE(rob_call_create(nullptr, &set, &c) == ROB_OK);
    CHECK(rob_call_on_message(c, nullptr, 3, 1, 0) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_call_next_output(c, nullptr, nullptr, 0, nullptr) == ROB_ERR_INVALID_ARGUMENT);
    rob_turn_metrics tiny;
    tiny.struct_size = 2;
    CHECK(rob_call_next_turn(c, &tiny) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_call_poll(nullptr, 0) == ROB_ERR_INVALID_ARGUMENT);
    CHECK(rob_call_ended(c) == 0);
    CHECK(std::string(rob_call_end_reason(c)).empty());
    const std::string start = kCallStart;
    REQUIRE(rob_call_on_message(c, reinterpret_cast<const uint8_t*>(start.data()), start.size(), 0,
                                0) == ROB_OK);
    rob_call_destroy(c);
    rob_call_destroy(nullptr);
    CHECK(w.stt_frees == 1);  // the STT stream the call opened is closed with it
}

TEST_CASE("agent: C ABI call greets, hears the caller, answers from a thread, then transfers") {
    Host h;
    h.world.transcripts = {"I want sales"};
    h.text(kCallStart);
    CHECK(std::string(rob_call_metadata(h.call, "call_id")) == "18446744073709551615");
    CHECK(std::string(rob_call_metadata(h.call, "from_number")) == "33600000001");
    CHECK(rob_call_metadata(h.call, "direction") == nullptr);
    CHECK(rob_call_metadata(h.call, "nonsense") == nullptr);

    // The greeting streams at once.
    h.silence(40);
    REQUIRE(h.count("streamAudio") >= 1);
    CHECK(h.world.tts_texts.front() == "Hello.");
    REQUIRE(h.silence_until([&] { return h.turns.size() == 1; }, 3000));
    CHECK(h.turn_texts[0] == "|Hello.|Hello.|");
    // The greeting heard nobody: no confidence, nothing gated or confirmed.
    CHECK(h.turns[0].confidence == ROB_CONFIDENCE_UNKNOWN);
    CHECK(h.turns[0].misheard == 0);
    CHECK(h.turns[0].confirmation == 0);
    CHECK(h.turns[0].speculative == 0);

    // The caller speaks; the turn ends after the endpointing silence.
    h.speak(800);
    REQUIRE(h.silence_until([&] { return h.count("\"transfer\"") == 1; }, 8000));
    CHECK(h.world.total_wakes.load() > 0);  // the model's thread woke the host
    REQUIRE(h.world.llm_requests.size() == 1);
    const auto& req = h.world.llm_requests[0];
    REQUIRE(req.size() == 3);
    CHECK(req[0] == "0:Be brief.");
    CHECK(req[1] == "2:Hello.");
    CHECK(req[2] == "1:I want sales");
    CHECK(h.world.tts_texts.back() == "Let me put you through.");

    // The transfer follows the reply's audio, once it has played.
    std::size_t last_audio = 0, transfer = 0;
    for (std::size_t i = 0; i < h.sent.size(); ++i) {
        if (h.sent[i].data.find("streamAudio") != std::string::npos) last_audio = i;
        if (h.sent[i].data.find("\"transfer\"") != std::string::npos) transfer = i;
    }
    CHECK(transfer > last_audio);
    CHECK(h.sent[transfer].data == R"({"event":"transfer","data":33182880001})");
    // 23 characters at 50 ms: 1.15 s of audio, played from the first reply frame on.
    REQUIRE(h.silence_until([&] { return h.turns.size() == 2; }, 3000));
    const rob_turn_metrics& t = h.turns[1];
    CHECK(t.index == 1);
    CHECK(h.turn_texts[1] ==
          "I want sales|Let me put you through.|Let me put you through.|0=33182880001;");
    CHECK(t.interrupted == 0);
    CHECK(t.failed == 0);
    CHECK(t.stt_final_us >= t.speech_end_us + 500'000);
    CHECK(t.first_token_us >= t.stt_final_us);
    CHECK(t.first_frame_us >= t.first_audio_us);
    CHECK(t.playout_end_us >= t.first_frame_us + 1'100'000);
    CHECK(h.sent[transfer].at_us >= t.playout_end_us - 20'000);

    rob_call_counters k;
    k.struct_size = sizeof k;
    REQUIRE(rob_call_stats(h.call, &k) == ROB_OK);
    CHECK(k.turns == 1);
    CHECK(k.llm_errors == 0);
    CHECK(k.audio_messages_out == h.count("streamAudio"));
    CHECK(k.messages_in > 100);
    // Heard with a confidence above both gates: nothing gated, nothing confirmed.
    CHECK(k.misheard == 0);
    CHECK(k.confirmations == 0);
    CHECK(k.confirmed == 0);
    CHECK(k.cancelled_actions == 0);
    CHECK(k.misunderstood_offers == 0);
    CHECK(k.speculations_kept + k.speculations_cancelled == 0);  // its STT sends no interims
    // A caller built before the new counters gets the old struct, and nothing past it.
    struct {
        rob_call_counters k;
        unsigned char canary[8];
    } old_counters;
    std::memset(&old_counters, 0x5A, sizeof old_counters);
    old_counters.k.struct_size = offsetof(rob_call_counters, misheard);
    REQUIRE(rob_call_stats(h.call, &old_counters.k) == ROB_OK);
    CHECK(old_counters.k.struct_size == offsetof(rob_call_counters, misheard));
    CHECK(old_counters.k.turns == 1);
    CHECK(old_counters.k.misheard == 0x5A5A5A5A5A5A5A5Aull);
    // What the model will see next time: the greeting, the question, the answer.
    int32_t role = -1;
    const char* text = nullptr;
    size_t len = 0;
    REQUIRE(rob_call_history(h.call, 1, &role, &text, &len) == ROB_OK);
    CHECK(role == ROB_ROLE_USER);
    CHECK(std::string(text, len) == "I want sales");
    CHECK(rob_call_history(h.call, 99, &role, &text, &len) == ROB_DONE);
    CHECK(h.world.stt_samples > 0);
    CHECK(h.world.llm_frees == 1);
    CHECK(h.world.llm_cancels == 0);

    // The media server hangs up.
    h.text(R"({"event":"call_end","reason":"hangup"})");
    CHECK(rob_call_ended(h.call) == 1);
    CHECK(std::string(rob_call_end_reason(h.call)) == "hangup");
    h.advance_to(h.now + 1'000'000);
    h.collect();
    CHECK(rob_call_finished(h.call) == 1);
}

TEST_CASE("agent: C ABI output that does not fit waits for a bigger buffer") {
    Host h;
    const std::string start = kCallStart;
    REQUIRE(rob_call_on_message(h.call, reinterpret_cast<const uint8_t*>(start.data()),
                                start.size(), 0, h.now) == ROB_OK);
    const std::uint8_t quiet[320] = {};
    h.now += 20000;
    REQUIRE(rob_call_on_message(h.call, quiet, sizeof quiet, 1, h.now) == ROB_OK);
    REQUIRE(rob_call_poll(h.call, h.now) == ROB_OK);
    // The greeting's first chunk is far bigger than 16 bytes.
    char small[16];
    size_t need = 0;
    int32_t kind = -1;
    REQUIRE(rob_call_next_output(h.call, &kind, small, sizeof small, &need) ==
            ROB_ERR_BUFFER_TOO_SMALL);
    CHECK(need > 1000);
    size_t need2 = 0;
    CHECK(rob_call_next_output(h.call, &kind, nullptr, 0, &need2) == ROB_ERR_BUFFER_TOO_SMALL);
    CHECK(need2 == need);         // still first in line
    std::vector<char> big(need);  // exactly the size: no room for the NUL, still fine
    REQUIRE(rob_call_next_output(h.call, &kind, big.data(), big.size(), &need2) == ROB_OK);
    CHECK(kind == ROB_OUTPUT_TEXT);
    CHECK(need2 == need);
    CHECK(std::string(big.data(), need2).rfind(R"({"type":"streamAudio")", 0) == 0);
}

TEST_CASE("agent: C ABI a refused LLM request makes the call say its fallback") {
    Host h;
    h.world.llm_refuse = true;
    h.world.transcripts = {"hello"};
    h.text(kCallStart);
    REQUIRE(h.silence_until([&] { return h.turns.size() == 1; }, 3000));
    h.speak(600);
    REQUIRE(h.silence_until([&] { return h.turns.size() == 2; }, 8000));
    CHECK(h.turns[1].failed == 1);
    CHECK(h.world.tts_texts.back() == "Pardon?");
    rob_call_counters k;
    k.struct_size = sizeof k;
    REQUIRE(rob_call_stats(h.call, &k) == ROB_OK);
    CHECK(k.llm_errors == 1);
    CHECK(k.fallbacks == 1);
}

TEST_CASE("agent: C ABI callbacks cannot re-enter the call, destroy from one is deferred") {
    {
        Host h;
        h.world.transcripts = {"hello"};
        h.world.reenter = h.call;
        h.text(kCallStart);
        REQUIRE(h.silence_until([&] { return h.turns.size() == 1; }, 3000));
        h.speak(600);
        REQUIRE(h.silence_until([&] { return !h.world.llm_requests.empty(); }, 3000));
        CHECK(h.world.reenter_result == ROB_ERR_INVALID_STATE);
    }
    {
        World w;
        Providers prov(w);
        const rob_providers set = prov.set();
        rob_call_params p;
        rob_call_params_init(&p, sizeof p);
        p.greeting = "Hi.";
        p.waker = wake;
        p.waker_user_data = &w;
        rob_call* c = nullptr;
        REQUIRE(rob_call_create(&p, &set, &c) == ROB_OK);
        w.reenter = c;
        w.destroy_from_start = true;
        w.transcripts = {"hello"};
        // Drive by hand until the LLM starts: the call is destroyed at the end of that poll.
        std::int64_t now = 1'000'000;
        const std::string start = kCallStart;
        REQUIRE(rob_call_on_message(c, reinterpret_cast<const uint8_t*>(start.data()), start.size(),
                                    0, now) == ROB_OK);
        std::uint8_t loud[320], quiet[320] = {};
        std::uint32_t seed = 7;
        for (int i = 0; i < 320; i += 2) {
            seed = seed * 1664525u + 1013904223u;
            const auto v = static_cast<int16_t>(static_cast<int>(seed >> 20) * 4 - 8192);
            loud[i] = static_cast<std::uint8_t>(v & 0xff);
            loud[i + 1] = static_cast<std::uint8_t>((v >> 8) & 0xff);
        }
        // Any of these calls may start the model; the handle is gone once it returns.
        auto drain = [&] {
            size_t n = 0;
            while (rob_call_next_output(c, nullptr, nullptr, 0, &n) == ROB_ERR_BUFFER_TOO_SMALL) {
                std::vector<char> b(n);
                REQUIRE(rob_call_next_output(c, nullptr, b.data(), b.size(), &n) == ROB_OK);
            }
        };
        bool gone = false;
        for (int f = 0; f < 500 && !gone; ++f) {
            now += 20000;
            const bool speech = f >= 100 && f < 140;
            REQUIRE(rob_call_poll(c, now) == ROB_OK);
            gone = !w.llm_requests.empty();
            if (gone) break;
            drain();
            REQUIRE(rob_call_on_message(c, speech ? loud : quiet, 320, 1, now) == ROB_OK);
            gone = !w.llm_requests.empty();
            if (!gone) drain();
        }
        CHECK(gone);  // the handle was freed when the poll returned (ASan checks the rest)
        w.join_llm();
        CHECK(w.stt_frees == 1);
        if (!gone) rob_call_destroy(c);
    }
}

TEST_CASE("agent: C ABI the waker is never called after destroy") {
    {
        Host h;
        h.world.transcripts = {"hello"};
        h.text(kCallStart);
        REQUIRE(h.silence_until([&] { return h.turns.size() == 1; }, 3000));
        h.speak(600);
        // Stop as soon as the model has been asked; its thread may still be talking.
        REQUIRE(h.silence_until([&] { return !h.world.llm_requests.empty(); }, 3000));
        rob_call_destroy(h.call);
        h.call = nullptr;
        const int wakes = h.world.wakes.load();
        h.world.join_llm();  // the thread delivers into a destroyed call: dropped
        CHECK(h.world.wakes.load() == wakes);
        CHECK(h.world.llm_frees == 1);
    }
}

TEST_CASE("agent: C ABI turn-taking settings reach the engine's config") {
    rob_call_params p;
    rob_call_params_init(&p, sizeof p);
    p.false_interruption_ms = 1500;
    p.min_interruption_words = 2;
    p.backchannel_words = " uh-huh ,right,, sure thing ";
    p.idle_reprompt_ms = 5000;
    p.idle_max_reprompts = 1;
    p.reprompt = "Hello?";
    p.idle_goodbye = "Bye now.";
    p.inband_dtmf = 0;
    ringoverbot::agent::CallConfig c;
    REQUIRE(ringoverbot::capi::read_call_config(&p, c) == ROB_OK);
    CHECK(c.false_interruption_ms == 1500);
    CHECK(c.min_interruption_words == 2);
    CHECK(c.backchannel_words == std::vector<std::string>{"uh-huh", "right", "sure thing"});
    CHECK(c.idle_reprompt_ms == 5000);
    CHECK(c.idle_max_reprompts == 1);
    CHECK(c.reprompt == "Hello?");
    CHECK(c.idle_goodbye == "Bye now.");
    CHECK_FALSE(c.inband_dtmf);
    // A host built before these fields gets the engine's defaults for them.
    rob_call_params old;
    rob_call_params_init(&old, offsetof(rob_call_params, false_interruption_ms));
    ringoverbot::agent::CallConfig d;
    d.idle_reprompt_ms = 1;
    REQUIRE(ringoverbot::capi::read_call_config(&old, d) == ROB_OK);
    CHECK(d.false_interruption_ms == 1000);
    CHECK(d.backchannel_words == ringoverbot::agent::CallConfig{}.backchannel_words);
    CHECK(d.idle_reprompt_ms == 8000);
    CHECK(d.reprompt == "Are you still there?");
    CHECK(d.inband_dtmf);
}
