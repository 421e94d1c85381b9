// The call engine: one object per call, sans-I/O (the shape of nghttp2's session).
//
// The host feeds it the streamer socket's messages, the time, and wakes it when a provider
// has a result; it hands back the messages to send and when to call it again. It opens no
// socket, starts no thread and never sleeps, so a test replays a whole call against a virtual
// clock. Everything but `Waker` runs on the host's one loop thread.
//
// Per call: inbound decode -> echo-gated VAD at the line's rate -> turn detector -> STT (at
// its rate); on a final transcript (or a DTMF key) the LLM streams tokens -> sentence chunker
// -> TTS -> resample to the stream's rate -> pacer on the playout clock -> streamAudio. Caller
// speech confirmed while the bot talks sends `break` at once, cancels the LLM/TTS in flight and
// keeps in the history only the words the caller heard.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/error.hpp"
#include "ringoverbot/export.hpp"
#include "ringoverbot/providers.hpp"
#include "ringoverbot/streamer.hpp"

namespace ringoverbot::agent {

class AudioEnvelope;  // ringoverbot/timeline.hpp

// Every setting has a default; times in milliseconds unless named otherwise.
struct CallConfig {
    streamer::DecoderConfig decoder;
    streamer::NumberPolicy numbers;

    std::string greeting;       // said at call start (nothing when empty)
    std::string fallback;       // said when the reply fails, or when nothing matched
    std::string system_prompt;  // first message of every LLM request (none when empty)
    std::vector<std::string> expected_phrases;  // passed to the STT (grammar / hints)
    std::string voice;                          // passed to the TTS

    // Outbound streamAudio rate: 0 = the stream's rate when Ringover plays it (8000, 16000 or
    // 24000), else 8000.
    std::uint32_t output_sample_rate_hz = 0;

    // Turn taking.
    double vad_margin_db = 9.0;           // speech is this far above the adaptive noise floor
    double vad_min_speech_dbfs = -50.0;   // never speech below this level
    double echo_return_loss_db = 12.0;    // the bot's echo is at least this much quieter
    std::uint32_t speech_start_ms = 120;  // speech needed to open a turn
    // Speech needed to interrupt the bot: short, because a barge-in is reversible (see
    // false_interruption_ms) and because the echo gate hides the caller's quieter syllables
    // while the bot talks (a longer run of speech takes much longer to come).
    std::uint32_t barge_in_ms = 120;
    std::uint32_t endpoint_silence_ms = 500;
    std::uint32_t max_turn_ms = 15000;
    bool allow_barge_in = true;

    // Pacing: streamAudio chunks of `chunk_ms` (100..500), at most `max_lead_ms` ahead.
    std::uint32_t chunk_ms = 200;
    std::uint32_t max_lead_ms = 1000;
    std::size_t max_queued_audio_bytes = std::size_t{4} << 20;  // synthesized, not yet sent

    // Provider deadlines: past them the request is cancelled, the failure counted and the
    // fallback spoken.
    std::uint32_t stt_timeout_ms = 5000;  // end of turn -> final transcript
    std::uint32_t llm_first_token_timeout_ms = 8000;
    std::uint32_t llm_total_timeout_ms = 30000;
    std::uint32_t tts_first_audio_timeout_ms = 5000;

    std::size_t max_history_messages = 40;  // user + assistant messages kept for the LLM
    std::uint32_t hangup_grace_ms = 200;    // after the last word of an `end` reply

    // Trusting what was heard (0..1 each). A final transcript's confidence (providers::SttSink)
    // below `min_confidence` gets the fallback and never reaches the intent or the LLM; an
    // `end_call` or `transfer` asked for on a turn heard below `action_confidence` is first
    // confirmed with the matching prompt: the caller's next turn acts when it is a yes (yes,
    // yeah, sure, correct, please do, ...) and cancels otherwise. A transcript whose provider
    // gives no confidence (kUnknownConfidence) passes both gates. The prompts are required
    // unless action_confidence is 0 (never confirm). When expected_phrases is not empty, the
    // confirmation words are added to the STT's phrases.
    double min_confidence = 0.5;
    double action_confidence = 0.8;
    std::string confirm_end_prompt = "Do you want me to end the call?";
    std::string confirm_transfer_prompt = "Do you want me to transfer your call?";
    // A turn with at least this much speech (by the VAD) and no words in its transcript gets
    // the fallback (no dead air); shorter noise stays unanswered. 0 = never.
    std::uint32_t misheard_speech_ms = 400;
    // After this many misunderstood turns in a row (0 = never), `misunderstood_say` is said, then
    // the call is transferred to `misunderstood_transfer`, or ended when that is empty. Misheard
    // turns count, and so do replies that are the fallback (no words and no actions, or exactly
    // the fallback's words); any other answered turn resets the count.
    std::uint32_t max_misunderstandings = 3;
    std::string misunderstood_say =
        "I am sorry, I cannot understand you on this line. Please call again later. Goodbye.";
    std::string misunderstood_transfer;
    // When the words so far complete one of `expected_phrases` (an interim transcript contains
    // one as whole words), or the STT sends a final while the caller's turn is open, the turn
    // ends after this much silence instead of `endpoint_silence_ms` (positive; the shorter of
    // the two applies).
    std::uint32_t complete_phrase_silence_ms = 250;

    // Echo cancellation: an adaptive filter (speexdsp's) takes the bot's own voice out of the
    // caller's line, with what the caller heard (by the playout clock) as its reference. The
    // VAD, barge-in detection and the STT hear the cancelled line; the echo gate above
    // (echo_return_loss_db) stays as a second line. It runs only while the bot has played
    // within the last `echo_tail_ms` (the longest echo delay plus decay it covers, 20..2000):
    // a call where the bot is silent costs nothing.
    bool echo_cancellation = true;
    std::uint32_t echo_tail_ms = 400;
    // speexdsp's noise suppressor on every caller frame, before the VAD and the STT.
    bool noise_suppression = false;

    // Reversible barge-in. Caller speech over the bot's audio sends `break` at once (after
    // barge_in_ms of speech) but keeps the reply. If within `false_interruption_ms` after that
    // speech ends the STT's finals give no words, only `backchannel_words`, or fewer than
    // `min_interruption_words` words (words below min_confidence count as none; no words over
    // at least misheard_speech_ms of speech is someone talking: that stands), the reply resumes
    // from the start of the word that was cut and the history is unchanged; otherwise the
    // interruption stands and the history keeps only what was heard. 0 = every barge-in stands
    // at once.
    std::uint32_t false_interruption_ms = 1000;
    std::uint32_t min_interruption_words = 1;
    // (Matched word by word after normalization: "uh-huh" allows "uh" and "huh".)
    std::vector<std::string> backchannel_words = {
        "uh-huh", "mm-hmm", "mhm", "hmm", "yeah", "yes", "okay", "ok", "right", "sure", "uh", "um"};

    // Idle caller: after the bot has finished, `idle_reprompt_ms` of caller silence (0 = never)
    // makes it say `reprompt`; after `idle_max_reprompts` of them the next silence gets
    // `idle_goodbye` and the call ends (reason "idle").
    std::uint32_t idle_reprompt_ms = 8000;
    std::uint32_t idle_max_reprompts = 2;
    std::string reprompt = "Are you still there?";
    std::string idle_goodbye = "I have not heard from you, so I will hang up now. Goodbye.";

    // In-band DTMF: keys detected in the caller's audio (Goertzel, ITU timing and twist) act
    // like the `dtmf` event; their tones are neither speech nor barge-in. The same key from
    // both the event and the audio within 500 ms counts once.
    bool inband_dtmf = true;

    // The speculative reply: with an STT that sends interim transcripts, the LLM is asked on
    // the words so far after this much silence in the caller's turn (or at its end, the final
    // still due); the reply is buffered, never spoken, and kept when the final transcript has
    // the same words (normalized) and passes the confidence gates, else cancelled and asked
    // again. 0 = off; 0..10000. An LLM that replies at once (the scripted dialog) is never
    // asked speculatively.
    std::uint32_t speculate_after_ms = 200;
};

// The providers of a call. stt, llm and tts are required; fallback_tts (a cached local voice)
// says the fallback when tts itself is failing, and defaults to tts.
struct Providers {
    std::shared_ptr<providers::SttProvider> stt;
    std::shared_ptr<providers::LlmProvider> llm;
    std::shared_ptr<providers::TtsProvider> tts;
    std::shared_ptr<providers::TtsProvider> fallback_tts;
};

// One caller turn and the bot's reply. Times are the host clock (microseconds); -1 = did not
// happen. The latency figures the spec asks for are differences of consecutive stages.
// The greeting, when there is one, is turn 0: empty caller_text, only the TTS stages timed.
struct TurnMetrics {
    std::uint32_t index = 0;  // == its position in Call::turns()
    std::string caller_text;  // the final transcript, or "[dtmf 5]"
    std::string bot_text;     // the reply as generated
    std::string heard_text;   // what the caller heard of it (== bot_text unless interrupted)
    std::vector<providers::Action> actions;  // run (or pending at the end of the call)
    bool interrupted = false;                // barge-in cut the reply
    bool failed = false;                     // a provider failed: the fallback was said
    std::int64_t speech_end_us = -1;         // the caller stopped speaking (VAD), or a key press
    std::int64_t stt_final_us = -1;          // final transcript arrived
    std::int64_t first_token_us = -1;        // first LLM token
    std::int64_t first_audio_us = -1;        // first TTS audio
    std::int64_t first_frame_us = -1;        // first streamAudio handed to the host
    std::int64_t playout_end_us = -1;        // the reply finished playing (or was cut)
    double confidence = providers::kUnknownConfidence;  // of the final transcript
    bool misheard = false;      // gated (low confidence, or speech without words): the fallback
    bool confirmation = false;  // the reply asks to confirm an end_call or transfer
    std::uint32_t resumes = 0;  // false interruptions after which the reply went on
    // Each pause of the reply for caller speech, and (same index) when a taken-back one went
    // on (the call's timeline draws both).
    std::vector<std::int64_t> paused_us, resumed_us;
    bool reprompt = false;     // said to an idle caller (reprompt or the idle goodbye)
    bool speculative = false;  // the reply is a kept speculative request (CallConfig)
};

// audio_bytes_out counts the PCM bytes streamed; turns counts caller turns (not the greeting);
// timeouts are also counted in the provider's *_errors.
struct CallStats {
    std::uint64_t messages_in = 0, audio_frames_in = 0, protocol_errors = 0;
    std::uint64_t messages_out = 0, audio_messages_out = 0, audio_bytes_out = 0;
    std::uint64_t turns = 0, barge_ins = 0, dtmf_in = 0;
    std::uint64_t stt_errors = 0, llm_errors = 0, tts_errors = 0, timeouts = 0;
    std::uint64_t fallbacks = 0;
    // Turns gated to the fallback (misheard), confirmations asked and how they ended, and the
    // offers made after max_misunderstandings.
    std::uint64_t misheard = 0, confirmations = 0, confirmed = 0, cancelled_actions = 0;
    std::uint64_t misunderstood_offers = 0;
    // 20 ms caller frames the echo canceller ran on (the bot was playing, or had within the tail).
    std::uint64_t echo_cancelled_frames = 0;

    // Barge-ins that stood, that were taken back (no words, backchannel, too few words), and
    // replies that went on after one; reprompts said to an idle caller and calls ended idle;
    // keys detected in the caller's audio (also counted in dtmf_in).
    std::uint64_t interruptions = 0, false_interruptions = 0, resumes = 0;
    std::uint64_t reprompts = 0, idle_hangups = 0, dtmf_inband = 0;

    // Speculative LLM requests (CallConfig::speculate_after_ms) kept as the reply, and
    // cancelled (other words, a gated or failed turn, a provider error, the call's end).
    std::uint64_t speculations_kept = 0, speculations_cancelled = 0;
};

enum class OutputKind : int {
    text = 0,   // send `data` as a WebSocket text message
    close = 1,  // close the socket (normal closure); `data` is the reason
};
struct Output {
    OutputKind kind = OutputKind::text;
    std::string data;
};

// Called from any thread when a provider result is waiting; the host then calls poll() on its
// loop thread soon (for libwebsockets: lws_cancel_service). Must not call into the Call.
using Waker = std::function<void()>;

// The call's audio as the line carries it, for a recorder (the server's recordings). Called on
// the loop thread from inside the Call's methods; it must not call into the Call, and should be
// cheap (it runs on every frame).
class AudioTap {
  public:
    virtual ~AudioTap() = default;
    // A frame of the caller's audio as decoded (interleaved when `format.channels` > 1).
    virtual void caller_audio(std::span<const std::int16_t> pcm,
                              const streamer::AudioFormat& format, std::int64_t now_us) = 0;
    // The bot's audio sent in one streamAudio; the caller hears it from `start_us` on (the
    // playout clock: after everything already queued).
    virtual void bot_audio(std::span<const std::int16_t> pcm, std::uint32_t rate_hz,
                           std::int64_t start_us) = 0;
    // A break at `now_us` (barge-in): bot audio not played by then never plays.
    virtual void bot_cut(std::int64_t now_us) = 0;
};

class RINGOVERBOT_API Call {
  public:
    static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

    // invalid_argument when a required provider is missing or a setting is out of range.
    static Result<std::unique_ptr<Call>> create(CallConfig config, Providers providers,
                                                Waker waker = {});
    // The same with a config shared by many calls (a server's): each call holds a reference,
    // not a copy of its few dozen strings. invalid_argument for a null config too.
    static Result<std::unique_ptr<Call>> create(std::shared_ptr<const CallConfig> config,
                                                Providers providers, Waker waker = {});
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    // One complete WebSocket message from the media server.
    void on_message(std::span<const std::uint8_t> message, bool is_binary, std::int64_t now_us);
    void on_text(std::string_view text, std::int64_t now_us) {
        on_message({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, false,
                   now_us);
    }
    // The socket closed or dropped; also a `call/hangup` webhook. The call ends (once).
    void on_closed(std::string_view reason, std::int64_t now_us);
    // Provider results and timers due at `now_us`. Call it when woken and at next_wakeup_us().
    void poll(std::int64_t now_us);
    // When poll() must run next at the latest (kNever when nothing is scheduled).
    std::int64_t next_wakeup_us() const;

    // Hands the call's audio to `tap` from now on (nullptr: stop).
    void set_audio_tap(std::shared_ptr<AudioTap> tap);

    // Pops the next message to send; false when there is none.
    bool next_output(Output& out);
    // Pops a finished turn (for the host's log line); false when there is none.
    bool next_finished_turn(TurnMetrics& out);

    // Pops the next action the call has run (sent to the media server, or the bot's end_call
    // as its playout reached it), in order; false when there is none. A host that drives the
    // call by other means too (Ringover's REST API) acts on them.
    bool next_action(providers::Action& out);
    // Text the LLM gets as a second system message from the next request on (e.g. the
    // caller's number and name from Ringover). Empty = none. Replaces an earlier one.
    void set_context(std::string text);

    bool ended() const;     // the call is over (end event, close, or the bot hung up)
    bool finished() const;  // ended and nothing left to send: the host may destroy it
    std::string_view end_reason() const;

    const streamer::Metadata& metadata() const;
    const streamer::AudioFormat& format() const;
    const CallStats& stats() const;
    const std::vector<TurnMetrics>& turns() const;           // every turn so far, finished or not
    const std::vector<providers::Message>& history() const;  // what the LLM will see
    // The peaks of the caller's audio (by arrival) and of the bot's as the caller heard it (by
    // the playout clock, cut at a barge-in), for the call's timeline (ringoverbot/timeline.hpp).
    const AudioEnvelope& caller_envelope() const;
    const AudioEnvelope& bot_envelope() const;

  private:
    struct Impl;
    explicit Call(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The texts a call asks its TTS for when the LLM streams `reply` word by word (each word with
// the blanks before it, as the scripted dialog does): its sentences, a very short one ("Hi.")
// joined to the next, a long one cut at a clause or a space. Prewarming a CachedTts with them
// makes every sentence of a fixed reply start at once (the cache keys on the exact text).
RINGOVERBOT_API std::vector<std::string> reply_sentences(std::string_view reply);

// The phrases a call of `config` opens its STT with (SttOptions::phrases): the expected phrases
// and, when there are any, the answers to the engine's confirmation questions. A host prewarms
// its recogniser with them (SttProvider::prewarm) so the first call's decoder is ready.
RINGOVERBOT_API std::vector<std::string> stt_phrases(const CallConfig& config);

}  // namespace ringoverbot::agent
