// The pluggable speech and language providers: streaming STT, streaming LLM and streaming TTS.
//
// Every request is a handle that cancels at once (cancel() or destruction). Results arrive
// through a sink that the caller owns jointly (shared_ptr), from ANY thread, possibly after
// cancel() returned: a provider need not synchronise with cancellation, and the call engine
// drops whatever arrives for a request it has cancelled. A sink is never called concurrently for
// one request; calls for one request arrive in order. Methods of the request handles are called
// from the host's loop thread and must not block (hand CPU work to a WorkerPool).
//
// The local defaults (no network, Debian packages) are made by the make_* factories at the end:
// pocketsphinx STT, flite TTS, the scripted dialog as the LLM, and a phrase cache for any TTS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"

namespace ringoverbot::providers {

// A request in flight. Cancelling twice, or after completion, is harmless.
class RINGOVERBOT_API Request {
  public:
    virtual ~Request();
    virtual void cancel() = 0;
};

// ---- speech to text -------------------------------------------------------------------------

inline constexpr double kUnknownConfidence = -1.0;

class SttSink {
  public:
    virtual ~SttSink() = default;
    // Interim (is_final false) and final transcripts of the current utterance. `confidence` is
    // how sure the STT is of `text`, in [0, 1], or kUnknownConfidence when the provider gives
    // none (the engine then trusts the transcript; see CallConfig's confidence gates).
    virtual void on_transcript(std::string_view text, bool is_final, double confidence) = 0;
    // The provider's own voice-activity signals (Deepgram SpeechStarted / UtteranceEnd); the
    // engine uses them beside its own VAD. Providers without them never call these.
    virtual void on_speech_started() {}
    virtual void on_utterance_end() {}
    virtual void on_error(const Error& error) = 0;
};

// How the call's audio arrived on the line; a provider that takes audio at the stream's own
// rate (sample_rate_hz() == 0) may send it on in that encoding (G.711 decodes and re-encodes
// losslessly), which is what the line carried.
enum class LineEncoding : int { l16 = 0, pcmu = 1, pcma = 2 };

struct SttOptions {
    std::uint32_t sample_rate_hz = 16000;  // of the audio send_audio() gets (mono s16)
    LineEncoding line_encoding = LineEncoding::l16;
    std::string language = "en-US";
    std::vector<std::string> phrases;  // what the caller is expected to say (a grammar or hints)
    std::string call_id;               // for logs
    // The host calls speech_started_at() before every end_of_turn() that has speech (the call
    // engine does): a provider that keeps a turn's audio then holds only a preroll between
    // turns, and a turn's buffer from its start. false: end_of_turn() without a start takes
    // all the audio since the last turn.
    bool speech_start_hints = false;
};

// One per call, for the call's whole life.
class SttStream : public Request {
  public:
    // Mono signed 16-bit samples at SttOptions::sample_rate_hz, in order, every frame of the
    // call (silence included). Must be cheap: buffer, or hand to a worker.
    virtual void send_audio(std::span<const std::int16_t> samples) = 0;
    // The engine's VAD confirmed the start of the caller's speech (a hint).
    virtual void speech_started() {}
    // The same, with where the speech began: `onset_ms_ago` milliseconds of audio before the
    // end of what send_audio() has been given. A start is confirmed after some speech
    // (speech_start_ms; barge_in_ms or more while the bot talks, whose echo hides syllables),
    // so a provider that cuts the turn's audio starts it at the onset, not at the
    // confirmation. The engine calls this one; the default forwards to speech_started().
    virtual void speech_started_at(std::uint32_t onset_ms_ago) {
        (void)onset_ms_ago;
        speech_started();
    }
    // The engine's endpointing closed the caller's turn: deliver a final transcript (possibly
    // empty) for what was said since the last one.
    virtual void end_of_turn() = 0;
};

class RINGOVERBOT_API SttProvider {
  public:
    virtual ~SttProvider();
    virtual std::string_view name() const = 0;
    // The rate the provider wants its audio at; 0 = the stream's own rate, unresampled.
    virtual std::uint32_t sample_rate_hz() const { return 16000; }
    virtual Result<std::unique_ptr<SttStream>> open(const SttOptions& options,
                                                    std::shared_ptr<SttSink> sink) = 0;
    // Loads, in the background, what the first call with these phrases would otherwise wait
    // for (a local recogniser's decoder, run once); prewarmed() tells when every prewarm() so
    // far has finished. A host holds its readiness (ServerConfig::ready) until then. Providers
    // with nothing to load keep the defaults. Any thread.
    virtual void prewarm(const std::vector<std::string>& phrases) { (void)phrases; }
    virtual bool prewarmed() { return true; }
};

// ---- language model -------------------------------------------------------------------------

enum class Role : int { system = 0, user = 1, assistant = 2 };
struct Message {
    Role role = Role::user;
    std::string content;
};

// What the model may ask the call to do (tool calls, or a scripted intent's action). They run
// after the words before them have played.
enum class ActionKind : int { transfer = 0, digits = 1, play = 2, end_call = 3 };
struct Action {
    ActionKind kind = ActionKind::end_call;
    std::string value;  // the number, the digits, the URL; empty for end_call
};
RINGOVERBOT_API std::string_view action_name(ActionKind kind) noexcept;  // "transfer", ...

struct LlmRequest {
    std::vector<Message> messages;  // system prompt first, then the history, the new input last
    std::string call_id;
};

class LlmSink {
  public:
    virtual ~LlmSink() = default;
    virtual void on_token(std::string_view text) = 0;
    // Between tokens: the action takes its place after the text streamed so far.
    virtual void on_action(const Action& action) = 0;
    virtual void on_done() = 0;
    virtual void on_error(const Error& error) = 0;
};

class RINGOVERBOT_API LlmProvider {
  public:
    virtual ~LlmProvider();
    virtual std::string_view name() const = 0;
    virtual Result<std::unique_ptr<Request>> start(const LlmRequest& request,
                                                   std::shared_ptr<LlmSink> sink) = 0;
    // True when the whole reply arrives inside start() (the scripted dialog): the call engine
    // then never asks it speculatively, as there is no first token to wait for.
    virtual bool replies_at_once() const { return false; }
};

// ---- text to speech -------------------------------------------------------------------------

struct TtsRequest {
    std::string text;
    std::uint32_t sample_rate_hz = 16000;  // preferred; the provider may deliver another rate
    std::string voice;                     // provider-specific; empty = the provider's default
};

class TtsSink {
  public:
    virtual ~TtsSink() = default;
    // Mono signed 16-bit samples at `sample_rate_hz` (the same for every chunk of a request).
    virtual void on_audio(std::span<const std::int16_t> samples, std::uint32_t sample_rate_hz) = 0;
    // The same, for samples that are immutable and stay valid while `owner` lives (a cached
    // phrase): a sink may keep `owner` and read them later instead of copying them. By default
    // they are copied through on_audio().
    virtual void on_shared_audio(std::shared_ptr<const void> owner,
                                 std::span<const std::int16_t> samples,
                                 std::uint32_t sample_rate_hz) {
        (void)owner;
        on_audio(samples, sample_rate_hz);
    }
    virtual void on_done() = 0;
    virtual void on_error(const Error& error) = 0;
};

class RINGOVERBOT_API TtsProvider {
  public:
    virtual ~TtsProvider();
    virtual std::string_view name() const = 0;
    virtual Result<std::unique_ptr<Request>> synthesize(const TtsRequest& request,
                                                        std::shared_ptr<TtsSink> sink) = 0;
};

// ---- a worker pool for CPU-heavy providers --------------------------------------------------

// A fixed set of threads running posted jobs in FIFO order. Destruction runs no new job, waits
// for the running ones and drops the rest. post() is thread-safe.
class RINGOVERBOT_API WorkerPool {
  public:
    static std::shared_ptr<WorkerPool> create(std::size_t threads);
    virtual ~WorkerPool();
    virtual void post(std::function<void()> job) = 0;
    virtual std::size_t threads() const = 0;
    virtual std::size_t pending() const = 0;
};

// ---- local defaults (no network, no key) ----------------------------------------------------

struct PocketsphinxOptions {
    std::string model_dir;    // empty = the pocketsphinx-en-us package's folder
    bool use_grammar = true;  // a JSGF grammar of SttOptions::phrases in a filler loop when any
    std::uint32_t preroll_ms = 300;  // audio kept before the engine's speech start
    // The most decoders (~28 MB each) loaded at once, shared by all calls; 0 = the pool's
    // thread count + 1. Below the thread count, a turn may wait on a worker for a decoder.
    std::size_t max_decoders = 0;
    // The grammar's phone loop, which rejects speech that is none of the phrases (an empty
    // final) and gives each final a confidence. false: any speech is forced onto a phrase, with
    // kUnknownConfidence (for transcribing audio known to say one, e.g. a test's bot audio).
    bool reject = true;
};
// pocketsphinx (16 kHz model), decoding each turn on the pool as the caller speaks (from
// speech_started(); interims, then the final right after end_of_turn()) with a decoder leased
// for the turn from the provider's own set (per phrase list, at most max_decoders in all).
// Speech that is none of the phrases gives an empty final; every final has a confidence
// (src/providers/local/README.md).
RINGOVERBOT_API Result<std::shared_ptr<SttProvider>> make_pocketsphinx_stt(
    PocketsphinxOptions options, std::shared_ptr<WorkerPool> pool);

struct FliteOptions {
    std::string voice = "slt";  // "slt" (female) or "kal" (male), both built into flite
    double speed = 1.0;         // >1 faster
};
// flite, synthesising on the pool; audio in ~100 ms chunks at the voice's rate (16 kHz for
// slt, 8 kHz for kal).
RINGOVERBOT_API Result<std::shared_ptr<TtsProvider>> make_flite_tts(
    FliteOptions options, std::shared_ptr<WorkerPool> pool);

// The scripted dialog (src/providers/local/README.md) as a language model: the last user message
// picks the intent; the reply streams word by word, followed by the intent's actions. Errors name
// the JSON path of the problem.
RINGOVERBOT_API Result<std::shared_ptr<LlmProvider>> make_scripted_llm(
    std::string_view dialog_json);
// What a host needs from a dialog file besides the provider: the greeting and the fallback (the
// call's own phrases), what callers are expected to say (the recogniser's grammar) and every
// fixed reply (to prewarm the TTS cache). Same validation as make_scripted_llm.
struct DialogSummary {
    std::string greeting, fallback;
    std::vector<std::string> phrases;  // every `when` phrase, normalized
    std::vector<std::string> replies;  // every `say`
    // The optional settings of the engine's gates (agent::CallConfig), empty when the dialog
    // leaves them to the call: the confirmation prompts, and what to do after too many
    // misunderstandings (say this, then transfer to the number, or end the call when
    // misunderstood_transfer is empty).
    std::string confirm_end, confirm_transfer;
    bool has_misunderstood = false;
    std::string misunderstood_say, misunderstood_transfer;
    // What to say to a caller gone quiet, and the goodbye after the last reprompt (empty: the
    // call's own).
    std::string reprompt, idle_goodbye;
};
RINGOVERBOT_API Result<DialogSummary> describe_dialog(std::string_view dialog_json);

struct TtsCacheOptions {
    std::size_t max_bytes = std::size_t{16} << 20;  // least recently used entries go first
};
// Caches whole syntheses by (text, voice, rate): a cached phrase starts at once. An entry holds
// the audio at the requested rate (resampled once when the provider speaks at another), so a
// replay needs no resampling. prewarm() synthesises phrases ahead (the greeting, the fallback,
// fixed replies).
class RINGOVERBOT_API CachedTts : public TtsProvider {
  public:
    static std::shared_ptr<CachedTts> create(std::shared_ptr<TtsProvider> inner,
                                             TtsCacheOptions options = {});
    virtual void prewarm(const std::vector<std::string>& texts, std::uint32_t sample_rate_hz) = 0;
    // Every prewarm() so far has finished (stored, or refused by the provider). Any thread.
    virtual bool prewarmed() = 0;
    virtual std::size_t cached_bytes() const = 0;
    virtual std::uint64_t hits() const = 0;
    virtual std::uint64_t misses() const = 0;
};

// ---- cloud providers ------------------------------------------------------------------------
// OpenAI-compatible chat completions, Deepgram live STT, OpenAI STT, ElevenLabs TTS and OpenAI
// TTS, over one shared HTTP/WebSocket client (ringoverbot::net::make_cloud_client). Keys are
// sent only in their headers and never logged. Every request has deadlines (connect, first
// byte, total) and errors reach the sink as provider_failed or timeout; the call engine then
// speaks its fallback.

// The client the cloud providers share (made by net::make_cloud_client, server.hpp).
class RINGOVERBOT_API CloudClient {
  public:
    virtual ~CloudClient();
    struct ErrorCount {
        std::string provider;  // "openai", "deepgram", "elevenlabs"
        std::string kind;      // "dns", "connect", "tls", "timeout", "unauthorized",
                               // "rate_limited", "client_error", "server_error", "dropped",
                               // "protocol"
        std::uint64_t count = 0;
    };
    // Failures so far (retried attempts included), nonzero rows only. Any thread.
    virtual std::vector<ErrorCount> error_counts() const = 0;
};

struct CloudTimeouts {
    std::uint32_t connect_ms = 3000;
    // The response headers, and the longest silence of a streamed body (a stalled stream).
    // Below the call engine's own deadlines (llm_first_token_timeout_ms 8000), so that the
    // provider reports the timeout and /metrics counts it under the provider's name.
    std::uint32_t first_byte_ms = 5000;
    std::uint32_t total_ms = 30000;
    std::uint32_t max_attempts = 3;  // requests that may be retried (before any result)
};

struct OpenAiLlmOptions {
    std::string base_url = "https://api.openai.com/v1";  // OPENAI_BASE_URL; http:// works too
    std::string api_key;                                 // OPENAI_API_KEY; may be empty (local)
    std::string model = "gpt-4o-mini";
    double temperature = 0.7;        // < 0: not sent
    std::uint32_t max_tokens = 300;  // 0: not sent (max_tokens, what every compatible server knows)
    bool tools = true;               // declare transfer_call/send_digits/play_audio/end_call
    CloudTimeouts timeouts;
};
RINGOVERBOT_API Result<std::shared_ptr<LlmProvider>> make_openai_llm(
    OpenAiLlmOptions options, std::shared_ptr<CloudClient> client);

struct DeepgramSttOptions {
    std::string base_url = "wss://api.deepgram.com/v1";  // DEEPGRAM_BASE_URL; ws:// works too
    std::string api_key;                                 // DEEPGRAM_API_KEY
    std::string model = "nova-2-phonecall";
    std::string language = "en-US";
    std::uint32_t endpointing_ms = 300;     // Deepgram's own endpointing (speech_final)
    std::uint32_t utterance_end_ms = 1000;  // UtteranceEnd after this much silence in words
    bool interim_results = true;
    bool vad_events = true;             // SpeechStarted
    std::uint32_t keepalive_ms = 5000;  // KeepAlive when no audio was sent this long
    CloudTimeouts timeouts;  // connect bounds the upgrade; first_byte_ms bounds a final's wait
};
// Audio goes at the line's own rate and encoding (sample_rate_hz() is 0). Transcripts carry
// Deepgram's channel.alternatives[0].confidence; a turn's final, joined from several final
// segments, carries their confidences averaged weighted by the segments' durations.
RINGOVERBOT_API Result<std::shared_ptr<SttProvider>> make_deepgram_stt(
    DeepgramSttOptions options, std::shared_ptr<CloudClient> client);

struct OpenAiSttOptions {
    std::string base_url = "https://api.openai.com/v1";
    std::string api_key;
    std::string model = "whisper-1";
    std::string language = "en";     // ISO 639-1; empty: detected
    std::uint32_t preroll_ms = 300;  // audio kept before the engine's speech start
    std::uint32_t max_turn_ms = 30000;
    CloudTimeouts timeouts;
};
// One POST /audio/transcriptions per turn (a WAV of the turn at 16 kHz), endpointed locally.
// The final's confidence is what the model's answer offers: "whisper..." models are asked for
// verbose_json, and each segment's exp(avg_logprob) * (1 - no_speech_prob) is averaged over
// the segments weighted by their durations; gpt-4o-transcribe and gpt-4o-mini-transcribe are
// asked for include[]=logprobs, and the confidence is exp(mean token logprob); any other model
// (or an answer without those fields) gives kUnknownConfidence.
RINGOVERBOT_API Result<std::shared_ptr<SttProvider>> make_openai_stt(
    OpenAiSttOptions options, std::shared_ptr<CloudClient> client);

struct ElevenLabsTtsOptions {
    std::string base_url = "https://api.elevenlabs.io/v1";  // ELEVENLABS_BASE_URL
    std::string api_key;                                    // ELEVENLABS_API_KEY
    std::string voice_id = "21m00Tcm4TlvDq8ikWAM";
    std::string model_id = "eleven_flash_v2_5";
    CloudTimeouts timeouts;
};
// Streams ulaw_8000 when 8 kHz is asked for, pcm_16000 (or pcm_24000) otherwise: no
// transcoding on our side.
RINGOVERBOT_API Result<std::shared_ptr<TtsProvider>> make_elevenlabs_tts(
    ElevenLabsTtsOptions options, std::shared_ptr<CloudClient> client);

struct OpenAiTtsOptions {
    std::string base_url = "https://api.openai.com/v1";
    std::string api_key;
    std::string model = "gpt-4o-mini-tts";
    std::string voice = "alloy";
    double speed = 1.0;
    CloudTimeouts timeouts;
};
// POST /audio/speech with response_format pcm: 24 kHz s16 chunks as they arrive.
RINGOVERBOT_API Result<std::shared_ptr<TtsProvider>> make_openai_tts(
    OpenAiTtsOptions options, std::shared_ptr<CloudClient> client);

}  // namespace ringoverbot::providers
