// The call engine's orchestration (include/ringoverbot/agent.hpp). The pieces it drives each
// live in their own file: CallerAudio (inbound audio -> VAD frames and STT audio), EnergyVad +
// TurnDetector (turn taking), ProviderInbox (provider results, any thread -> loop thread),
// SentenceChunker, ReplyAudio (TTS audio waiting for the pacer), PlayoutClock + Pacer +
// SpokenText (what is played when, and which words were heard) and EchoReference (the echo
// gate's reference level).
//
// Decisions this file makes (the header leaves them open):
// - The call starts with the first metadata, audio or DTMF event: the outbound rate is fixed
//   then, the STT stream opened and the greeting (if any) started. The greeting is turn 0 with an
//   empty caller_text and only TTS stages in its metrics; caller turns follow. CallStats::turns
//   counts caller turns (the greeting is not one).
// - One reply at a time. Input that arrives while a reply runs and barge-in is off (or while
//   the caller is still talking, or a transcript is still due) waits and is answered after.
//   Unanswered user input (a reply cut before anything was heard) merges with the next input
//   into one user message.
// - The STT stream gets every frame. Its finals accumulate; the answer starts when the final
//   that answers end_of_turn() arrives and the caller is not talking again. An empty final with
//   nothing accumulated is nothing to answer when the turn's speech (the VAD's span from onset
//   to last speech frame) is shorter than misheard_speech_ms: noise gets no reply; longer speech
//   is a misheard turn (no dead air). Interim results are never answered; they only shorten the
//   endpoint (below).
// - Complete-phrase endpointing: while the caller's turn is open, an interim whose words (after
//   the turn's finals) contain one of the expected phrases or the confirmation words as whole
//   words, or any non-empty final (the provider closed a segment), makes the turn end after
//   complete_phrase_silence_ms of silence; a later interim that no longer does restores
//   endpoint_silence_ms, and so does every new turn.
// - The gates. A turn's confidence is the lowest known confidence of its finals (a key press
//   makes it unknown: keys are not misheard). Below min_confidence the turn is misheard: the
//   fallback, no LLM request, its words kept out of the history (TurnMetrics::caller_text keeps
//   them for the log). Below action_confidence the LLM's reply is held whole until it is done:
//   with an end_call or transfer in it, the matching confirmation prompt is said instead (the
//   turn's bot_text is the prompt, and the history gets the caller's words and the prompt); the
//   next answered turn runs the held reply (its words, then its actions, no new LLM request)
//   when it is a yes (confirmation_words.hpp), and otherwise cancels it and is an ordinary turn
//   (a misheard answer cancels too: only a clear yes acts). Without such an action the held
//   reply is said as it came.
// - Misunderstandings: misheard turns and replies that are the fallback (no words and no
//   actions, or exactly the fallback's words: the scripted dialog when nothing matched) count;
//   any other answered turn resets the count; provider failures do not count. The turn that
//   would reach max_misunderstandings has its reply held like a doubtful one, so that
//   misunderstood_say and its transfer or end replace the fallback instead of following it.
// - The provider's own speech signals (Deepgram) stand beside the VAD: its utterance end ends
//   the caller's turn at once when the VAD has heard at least 150 ms of silence (the provider
//   endpoints sooner than the 500 ms of silence the VAD waits for); its speech start while the
//   bot talks confirms a barge-in at once when the VAD hears at least 60 ms of speech (the
//   echo gate still has to pass it, so the bot's own echo cannot trigger it).
// - DTMF: the key reaches the LLM as the user text "[dtmf 5]" at once (a key press is a whole
//   turn); while the bot talks it is a barge-in like speech (when barge-in is allowed).
// - Barge-in: confirmed caller speech (TurnDetector's barge_in_ms) or a key while a reply is
//   generated or played. If audio is playing, `break` is queued in the same on_message() call
//   that decided. A key, or speech before any of the reply was sent, cuts at once: the LLM/TTS
//   requests are cancelled, queued audio and pending actions dropped, and the history keeps
//   only SpokenText::heard() of the playout clock's position.
// - Speech over audio already sent only pauses the reply (false_interruption_ms > 0): the LLM
//   and TTS go on, the audio sent but not played stays in ReplyAudio, actions not yet due wait.
//   The interruption stands (the cut above, at the pause's position) as soon as the caller's
//   words (finals only: interims come and go, a local decoder's more than most) make at least
//   min_interruption_words words that
//   are not all backchannel words (any words when the reply is a confirmation question: "yeah"
//   answers it), heard at or above min_confidence; or at a key; or, with no such usable words,
//   when the turn's speech lasted misheard_speech_ms (someone talked: the misheard turn's
//   fallback asks again). It is taken back when the final
//   that answers the caller's turn does not, or when false_interruption_ms after the turn's end
//   pass without such words: the reply is played again from the start of the word the break
//   cut (SpokenText::word_start), the caller's input is dropped (a final still due for it is
//   dropped too unless it brings such words: then it waits for the reply like any input), and
//   neither the history nor the turn records the cut. Nothing is said to a paused reply's
//   caller in the meantime (no fallback, no misheard turn).
// - Idle caller: when nothing happens (no reply, nothing playing, no caller turn, no transcript
//   due, no input waiting) for idle_reprompt_ms, `reprompt` is said as a turn of its own
//   (TurnMetrics::reprompt, no caller text); after idle_max_reprompts of them, `idle_goodbye`
//   and an end_call (end reason "idle"). An answered caller turn (words, a key, a misheard turn)
//   resets the count; a noise turn only restarts the timer. A steady hiss never opens a turn
//   (the VAD's floor absorbs it), so it keeps no caller from being reprompted.
// - In-band DTMF: every 20 ms VAD frame also feeds a Goertzel detector (audio::DtmfDetector:
//   ITU twist, two 12.75 ms blocks to accept a key); a frame holding a tone is not speech for
//   the turn detector (no turn, no barge-in), and a key detected acts as the `dtmf` event. The
//   same key from the event and from the audio within kSameKeyUs counts once.
// - Sentences are synthesized one at a time, in order (synthesis is faster than playout, so this
//   adds no gap after the first sentence; it keeps audio and text trivially aligned).
// - Actions take the position of the end of the text before them (the chunker is flushed there)
//   and run when the playout clock reaches that position; end_call closes the stream
//   hangup_grace_ms later and ignores whatever the LLM says after it.
// - Failures (provider error, deadline passed, a request refused at start): the request is
//   cancelled, counted (*_errors, plus timeouts for a deadline), what was already synthesized
//   still plays, then CallConfig::fallback is said with fallback_tts (the greeting's failure says
//   the greeting again with it). A failure of that last synthesis just ends the turn. TTS has a
//   first-audio deadline and the same deadline between chunks (a stream that stalls).
//   An STT failure or timeout reopens the stream (at most once a second) so late results of
//   the old one are recognisably stale.
// - The call ends once: call_end (a close Output is queued so the host closes the socket),
//   on_closed (nothing more to send), or the bot's end_call (close Output after the grace).
//   Everything in flight is cancelled; the reply being played is recorded as cut there.
// - The speculative reply (speculation.hpp): while the caller's turn is open, no reply runs and
//   no confirmation waits, once the words so far (the turn's finals, then the newest interim)
//   have been followed by speculate_after_ms of silence, the LLM is asked on them; its output is
//   buffered, never spoken. A later interim with other words cancels it (the next pause asks
//   again). When the turn is answered, past the gates, with the same request (the user message
//   compared by normalized words), the buffered output is replayed into the reply and the
//   request goes on as the reply's; otherwise it is cancelled and the LLM asked afresh. A
//   misheard, failed or key-press turn cancels it. The reply's first-token deadline counts
//   from the adoption. A provider that replies at once (the scripted dialog) gets no
//   speculation: there is nothing to gain.
#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "agent/caller_audio.hpp"
#include "agent/confirmation_words.hpp"
#include "agent/echo_canceller.hpp"
#include "agent/echo_reference.hpp"
#include "agent/pacer.hpp"
#include "agent/playout_clock.hpp"
#include "agent/provider_inbox.hpp"
#include "agent/reply_audio.hpp"
#include "agent/sentence_chunker.hpp"
#include "agent/speculation.hpp"
#include "agent/spoken_text.hpp"
#include "agent/voice_activity.hpp"
#include "common/text.hpp"
#include "ringoverbot/agent.hpp"
#include "ringoverbot/timeline.hpp"

namespace ringoverbot::agent {
namespace {

using providers::Action;
using providers::ActionKind;
using providers::Message;
using providers::Role;

constexpr std::int64_t kNever = Call::kNever;
constexpr std::int64_t kSttReopenBackoffUs = 1000000;
constexpr std::uint32_t kProviderStartMinSpeechMs = 60;
constexpr std::uint32_t kProviderEndMinSilenceMs = 150;
// Speech runs at about 14 characters a second: the length a sentence still being synthesized
// is assumed to have when a barge-in cuts it (so the words credited as heard are not
// overstated by a short partial synthesis).
constexpr std::uint64_t kCharsPerSecond = 14;
// How far before a pause the bot's words may come back in the caller's turn as its echo: the
// barge-in confirmation, the STT's lead before the onset and the echo's delay (up to the
// canceller's tail).
constexpr std::uint32_t kEchoWordsMs = 1500;
// The cut word: played partly, its echo heard whole (a word is rarely longer).
constexpr std::uint32_t kCutWordMs = 400;
// The sent audio a paused reply keeps beyond what the pacer can have queued: the longest word
// it may have to repeat.
constexpr std::uint32_t kResumeMarginMs = 2000;
// A key reported by both the media server's event and the audio detector is one press.
constexpr std::int64_t kSameKeyUs = 500000;

std::int64_t ms_to_us(std::uint32_t ms) {
    return std::int64_t{ms} * 1000;
}

providers::LineEncoding line_encoding(streamer::Encoding e) {
    switch (e) {
        case streamer::Encoding::pcmu:
            return providers::LineEncoding::pcmu;
        case streamer::Encoding::pcma:
            return providers::LineEncoding::pcma;
        case streamer::Encoding::l16:
            break;
    }
    return providers::LineEncoding::l16;
}

void append_words(std::string& to, std::string_view text) {
    if (text.empty()) return;
    if (!to.empty() && to.back() != ' ') to.push_back(' ');
    to.append(text);
}

Status validate(const CallConfig& c, const Providers& p) {
    if (!p.stt || !p.llm || !p.tts)
        return Status(Errc::invalid_argument, "providers: stt, llm and tts are required");
    if (auto st = streamer::validate(c.decoder); !st) return st;
    if (c.output_sample_rate_hz != 0 && !streamer::accepted_outbound_rate(c.output_sample_rate_hz))
        return Status(Errc::invalid_argument, "output_sample_rate_hz: 0, 8000, 16000 or 24000");
    if (c.chunk_ms < streamer::kMinChunkMs || c.chunk_ms > streamer::kMaxChunkMs)
        return Status(Errc::invalid_argument, "chunk_ms: 100..500");
    if (c.max_lead_ms < c.chunk_ms || c.max_lead_ms > 10000)
        return Status(Errc::invalid_argument, "max_lead_ms: chunk_ms..10000");
    if (c.speech_start_ms == 0 || c.barge_in_ms == 0 || c.endpoint_silence_ms == 0 ||
        c.max_turn_ms == 0)
        return Status(Errc::invalid_argument, "turn-taking times must be positive");
    if (c.stt_timeout_ms == 0 || c.llm_first_token_timeout_ms == 0 || c.llm_total_timeout_ms == 0 ||
        c.tts_first_audio_timeout_ms == 0)
        return Status(Errc::invalid_argument, "provider timeouts must be positive");
    if (c.max_queued_audio_bytes < 2 * 24000 * streamer::kMaxChunkMs / 1000)
        return Status(Errc::invalid_argument, "max_queued_audio_bytes: at least one 500 ms chunk");
    if (c.max_history_messages == 0)
        return Status(Errc::invalid_argument, "max_history_messages must be positive");
    if (!(c.min_confidence >= 0.0 && c.min_confidence <= 1.0) ||
        !(c.action_confidence >= 0.0 && c.action_confidence <= 1.0))
        return Status(Errc::invalid_argument, "min_confidence, action_confidence: 0..1");
    if (c.action_confidence > 0.0 &&
        (c.confirm_end_prompt.empty() || c.confirm_transfer_prompt.empty()))
        return Status(
            Errc::invalid_argument,
            "confirm_end_prompt, confirm_transfer_prompt: required unless action_confidence is 0");
    if (c.complete_phrase_silence_ms == 0)
        return Status(Errc::invalid_argument, "complete_phrase_silence_ms must be positive");
    if (c.echo_tail_ms < 20 || c.echo_tail_ms > 2000)
        return Status(Errc::invalid_argument, "echo_tail_ms: 20..2000");
    if (c.false_interruption_ms > 60000)
        return Status(Errc::invalid_argument, "false_interruption_ms: 0..60000");
    if (c.min_interruption_words > 100)
        return Status(Errc::invalid_argument, "min_interruption_words: 0..100");
    if (c.idle_reprompt_ms != 0 && c.idle_reprompt_ms < 1000)
        return Status(Errc::invalid_argument, "idle_reprompt_ms: 0 (never) or at least 1000");
    if (c.idle_reprompt_ms != 0 && c.idle_max_reprompts > 0 && c.reprompt.empty())
        return Status(Errc::invalid_argument, "reprompt: required when idle_reprompt_ms is set");
    if (c.speculate_after_ms > 10000)
        return Status(Errc::invalid_argument, "speculate_after_ms: 0 (off)..10000");
    return {};
}

// An item of a reply waiting for the TTS: text to say, or an action to anchor after it.
struct ReplyItem {
    bool is_action = false;
    std::string text;
    Action action;
};

struct PlacedAction {
    Action action;
    std::uint64_t position = 0;  // reply samples before it
    bool armed = false;          // its audio is all sent: `due_us` is known
    std::int64_t due_us = kNever;
};

// The reply in progress. Kept as one member and reset, so its buffers are reused.
struct Reply {
    bool active = false;
    bool greeting = false;
    bool fallback_phase = false;  // saying the fallback after a failure (no second one)
    bool ending = false;          // an end_call was placed: later LLM output is ignored
    std::string end_reason;       // the call's end reason when its end_call runs ("": end_call)
    std::size_t turn = 0;
    std::uint64_t start_abs = 0;  // playout-clock position of the reply's first sample

    std::unique_ptr<providers::Request> llm;
    std::uint64_t llm_id = 0;
    bool llm_done = true;
    std::int64_t llm_first_deadline = kNever, llm_total_deadline = kNever;

    SentenceChunker chunker;
    std::deque<ReplyItem> items;

    std::unique_ptr<providers::Request> tts;
    std::uint64_t tts_id = 0;
    bool tts_active = false;
    std::string tts_text;
    std::uint64_t tts_samples = 0;     // of the sentence being synthesized
    bool tts_resampled = false;        // its audio goes through tts_resampler
    std::int64_t trailing_pad_us = 0;  // silence added to the last chunk
    std::int64_t tts_deadline = kNever;

    SpokenText spoken;
    std::vector<PlacedAction> actions;

    // The gates (see the file comment): a reply that may need a confirmation or may be the last
    // misunderstanding is held whole until the LLM is done, then decided on.
    bool doubtful = false;  // heard below action_confidence: end_call/transfer get confirmed
    bool holding = false;   // LLM output goes to `held`, not to the TTS
    std::vector<ReplyItem> held;

    void reset() {
        active = greeting = fallback_phase = ending = false;
        end_reason.clear();
        doubtful = holding = false;
        held.clear();
        turn = 0;
        start_abs = 0;
        llm.reset();
        llm_id = 0;
        llm_done = true;
        llm_first_deadline = llm_total_deadline = kNever;
        chunker.clear();
        items.clear();
        tts.reset();
        tts_id = 0;
        tts_active = false;
        tts_text.clear();
        tts_samples = 0;
        tts_resampled = false;
        trailing_pad_us = 0;
        tts_deadline = kNever;
        spoken.clear();
        actions.clear();
    }
    // Nothing more will be synthesized.
    bool synthesis_complete() const { return llm_done && items.empty() && !tts_active; }
};

}  // namespace

struct Call::Impl {
    Impl(std::shared_ptr<const CallConfig> c, Providers p, Waker waker)
        : cfg_owner(std::move(c)),
          cfg(*cfg_owner),
          prov(std::move(p)),
          inbox(std::make_shared<ProviderInbox>(std::move(waker))),
          decoder(cfg.decoder),
          vad(VadConfig{.margin_db = cfg.vad_margin_db,
                        .min_speech_dbfs = cfg.vad_min_speech_dbfs,
                        .echo_return_loss_db = cfg.echo_return_loss_db}),
          detector(TurnConfig{.start_ms = cfg.speech_start_ms,
                              .barge_in_ms = cfg.barge_in_ms,
                              .silence_ms = cfg.endpoint_silence_ms,
                              .max_turn_ms = cfg.max_turn_ms}),
          pacer(PacerConfig{.chunk_ms = cfg.chunk_ms, .max_lead_ms = cfg.max_lead_ms}),
          reply_audio(cfg.max_queued_audio_bytes / 2) {
        if (!prov.fallback_tts) prov.fallback_tts = prov.tts;
        stt_phrases = agent::stt_phrases(cfg);  // expected phrases + confirmation answers
        for (const auto& phrase : stt_phrases)
            if (auto w = text::normalize_words(phrase); !w.empty())
                phrase_words.push_back(std::move(w));
        fallback_words = text::normalize_words(cfg.fallback);
        for (const auto& phrase : cfg.backchannel_words)
            for (auto& w : text::normalize_words(phrase)) backchannel.push_back(std::move(w));
        speculating = cfg.speculate_after_ms > 0 && !prov.llm->replies_at_once();
    }

    ~Impl() {
        // Close first: whatever a provider says while its request is torn down is dropped.
        inbox->close();
        cancel_reply_work();
        (void)spec.cancel();
        stt.reset();
    }

    // ---- configuration and parts --------------------------------------------------------
    std::shared_ptr<const CallConfig> cfg_owner;  // shared by the calls of a server
    const CallConfig& cfg;
    Providers prov;
    std::shared_ptr<ProviderInbox> inbox;
    streamer::InboundDecoder decoder;
    streamer::OutboundEncoder encoder;
    EnergyVad vad;
    TurnDetector detector;
    Pacer pacer;
    PlayoutClock clock{8000};
    std::optional<EchoReference> echo;
    std::unique_ptr<EchoCanceller> aec;  // when cfg.echo_cancellation (or noise suppression)
    std::optional<CallerAudio> caller;
    ReplyAudio reply_audio;
    std::optional<audio::Resampler> tts_resampler;

    // ---- state ---------------------------------------------------------------------------
    bool started = false;
    bool ended = false;
    std::string end_reason;
    std::uint32_t out_rate = 8000;
    std::uint64_t next_id = 1;
    std::int64_t close_at = kNever;

    std::unique_ptr<providers::SttStream> stt;
    providers::LineEncoding stt_encoding = providers::LineEncoding::l16;
    std::uint64_t stt_id = 0;
    std::int64_t stt_retry_at = 0;
    bool awaiting_final = false;
    std::int64_t stt_deadline = kNever;

    std::string pending_text;  // caller input not answered yet
    std::int64_t pending_speech_end = -1, pending_stt_final = -1;
    double pending_confidence = providers::kUnknownConfidence;  // the lowest of its finals
    bool pending_key = false;             // it holds a key press (a key is never misheard)
    std::uint64_t pending_speech_ms = 0;  // the VAD's speech in the turns it comes from

    // Trusting what was heard.
    std::vector<std::string> stt_phrases;                // expected phrases + confirmation words
    std::vector<std::vector<std::string>> phrase_words;  // the same, normalized
    std::vector<std::string> fallback_words;             // cfg.fallback, normalized
    bool phrase_complete = false;          // the open turn's words make a complete phrase
    std::uint32_t misunderstandings = 0;   // misheard or fallback turns in a row
    std::vector<ReplyItem> confirming;     // the reply held for a yes (empty: none asked)
    std::vector<std::string> backchannel;  // cfg.backchannel_words, normalized

    // A barge-in not decided yet (the file comment): the reply is paused.
    bool paused = false;
    std::uint64_t paused_at = 0;      // reply samples heard when it paused
    std::int64_t resume_at = kNever;  // no words by then: the reply goes on
    bool drop_late_final = false;     // resumed before the turn's final came

    // The idle caller.
    std::int64_t idle_at = kNever;
    std::uint32_t reprompts_said = 0;  // since the caller was last answered
    std::string close_reason;          // of the end_call that set close_at

    // In-band DTMF.
    std::optional<audio::DtmfDetector> dtmf;
    std::string inband_keys;
    char last_key = 0;
    bool last_key_inband = false;
    std::int64_t last_key_us = 0;

    Reply reply;
    // The speculative reply (off when speculate_after_ms is 0, or the LLM replies at once).
    Speculation spec;
    bool speculating = false;
    std::deque<Output> outputs;
    CallStats stats;
    std::vector<TurnMetrics> turns;
    std::deque<std::size_t> finished_turns;
    // Host hooks: the actions run, for the host to act on too (Call::next_action), and the
    // call's context from the host (Call::set_context), a second system message.
    std::deque<Action> ran_actions;
    std::string host_context;
    std::vector<Message> history;
    std::vector<InboxEvent> events;
    std::vector<std::string> sentences;
    std::vector<std::int16_t> pad;
    AudioEnvelope caller_envelope, bot_envelope;  // the call's timeline

    // ---- small helpers -------------------------------------------------------------------
    void emit_text(std::string_view text) {
        outputs.push_back(Output{OutputKind::text, std::string(text)});
        ++stats.messages_out;
    }

    void add_history(Role role, std::string text) {
        append_history(history, role, std::move(text));
    }

    void append_history(std::vector<Message>& to, Role role, std::string text) const {
        if (text.empty()) return;
        if (role == Role::user && !to.empty() && to.back().role == Role::user) {
            append_words(to.back().content, text);  // unanswered input merges
        } else {
            to.push_back(Message{role, std::move(text)});
        }
        if (to.size() > cfg.max_history_messages)
            to.erase(to.begin(), to.begin() + static_cast<std::ptrdiff_t>(
                                                  to.size() - cfg.max_history_messages));
    }

    // The LLM request for the history as it stands.
    providers::LlmRequest llm_request(std::vector<Message> hist) const {
        providers::LlmRequest req;
        if (!cfg.system_prompt.empty()) req.messages.push_back({Role::system, cfg.system_prompt});
        if (!host_context.empty()) req.messages.push_back({Role::system, host_context});
        req.messages.insert(req.messages.end(), std::make_move_iterator(hist.begin()),
                            std::make_move_iterator(hist.end()));
        if (metadata.call_id) req.call_id = *metadata.call_id;
        return req;
    }

    bool bot_busy(std::int64_t now) const { return reply.active || clock.playing(now); }

    std::uint64_t heard_in_reply(std::int64_t now) const {
        const std::uint64_t heard = clock.heard_samples(now);
        return heard > reply.start_abs ? heard - reply.start_abs : 0;
    }

    // ---- start ---------------------------------------------------------------------------
    void ensure_started(const streamer::AudioFormat& format, std::int64_t now) {
        if (started) return;
        started = true;
        const std::uint32_t native = format.sample_rate_hz;
        out_rate = cfg.output_sample_rate_hz != 0             ? cfg.output_sample_rate_hz
                   : streamer::accepted_outbound_rate(native) ? native
                                                              : 8000;
        clock = PlayoutClock(out_rate);
        echo.emplace(out_rate, cfg.max_lead_ms + cfg.chunk_ms);
        reply_audio.set_retain(std::size_t{out_rate} *
                               (cfg.max_lead_ms + cfg.chunk_ms + kResumeMarginMs) / 1000);
        if (cfg.inband_dtmf)
            if (auto d = audio::DtmfDetector::create(native)) dtmf.emplace(std::move(d.value()));
        const std::uint32_t stt_rate =
            prov.stt->sample_rate_hz() != 0 ? prov.stt->sample_rate_hz() : native;
        // Audio at the line's own rate may go on in the line's own encoding.
        stt_encoding =
            stt_rate == native ? line_encoding(format.encoding) : providers::LineEncoding::l16;
        caller.emplace(stt_rate);
        start_echo_canceller(native);
        open_stt(now);
        if (!cfg.greeting.empty()) {
            TurnMetrics t;
            t.bot_text = cfg.greeting;
            const std::size_t index = push_turn(std::move(t));
            begin_reply(index, now);
            reply.greeting = true;
            queue_speech(cfg.greeting);
            advance_tts(now);
        }
    }

    // The canceller sits in front of the VAD and the STT; the echo gate stays behind it. A
    // line rate it cannot take leaves the call without it (counted nowhere: the gate still holds).
    void start_echo_canceller(std::uint32_t line_rate) {
        if (!cfg.echo_cancellation && !cfg.noise_suppression) return;
        auto r = EchoCanceller::create({.line_rate_hz = line_rate,
                                        .reference_rate_hz = out_rate,
                                        .tail_ms = cfg.echo_tail_ms,
                                        .max_queued_ms = cfg.max_lead_ms + cfg.chunk_ms,
                                        .noise_suppression = cfg.noise_suppression,
                                        .cancel_echo = cfg.echo_cancellation});
        if (!r) return;
        aec = std::move(r.value());
        caller->use_echo_canceller(aec.get());
    }

    std::size_t push_turn(TurnMetrics t) {
        t.index = static_cast<std::uint32_t>(turns.size());
        turns.push_back(std::move(t));
        return turns.size() - 1;
    }

    void open_stt(std::int64_t now) {
        providers::SttOptions opt;
        opt.sample_rate_hz = caller->stt_rate_hz();
        opt.line_encoding = stt_encoding;
        opt.phrases = stt_phrases;
        opt.speech_start_hints = true;  // on_speech_started() comes before every end of turn
        if (decoder_metadata().call_id) opt.call_id = *decoder_metadata().call_id;
        const std::uint64_t id = next_id++;
        auto r = prov.stt->open(opt, std::make_shared<InboxSttSink>(inbox, id));
        if (!r || !r.value()) {
            ++stats.stt_errors;
            stt_retry_at = now + kSttReopenBackoffUs;
            return;
        }
        stt = std::move(r.value());
        stt_id = id;
    }

    // Drops the STT stream (an error, a timeout): its late results become stale.
    void drop_stt(std::int64_t now) {
        stt_id = 0;
        if (stt) stt->cancel();
        stt.reset();
        awaiting_final = false;
        stt_deadline = kNever;
        stt_retry_at = now + kSttReopenBackoffUs;
    }

    streamer::Metadata metadata;
    const streamer::Metadata& decoder_metadata() const { return metadata; }
    std::shared_ptr<AudioTap> tap;  // a recorder, when the host has one

    // ---- inbound -------------------------------------------------------------------------
    void on_message(std::span<const std::uint8_t> message, bool is_binary, std::int64_t now) {
        ++stats.messages_in;
        if (ended) return;
        const streamer::InboundEvent& ev = decoder.decode(message, is_binary);
        switch (ev.kind) {
            case streamer::EventKind::audio:
                ++stats.audio_frames_in;
                ensure_started(ev.format, now);
                on_audio(ev, now);
                break;
            case streamer::EventKind::metadata:
                metadata = ev.metadata;
                ensure_started(ev.format, now);
                break;
            case streamer::EventKind::dtmf:
                ensure_started(decoder.format(), now);
                on_key(ev.digit, false, now);
                break;
            case streamer::EventKind::end:
                end_call(ev.reason.empty() ? std::string("hangup") : ev.reason, now, false);
                return;
            case streamer::EventKind::error:
                ++stats.protocol_errors;
                break;
            case streamer::EventKind::none:
                break;
        }
        service(now);
    }

    void on_audio(const streamer::InboundEvent& ev, std::int64_t now) {
        caller_envelope.add(ev.samples, ev.format.sample_rate_hz * ev.format.channels, now);
        if (tap) tap->caller_audio(ev.samples, ev.format, now);
        if (aec && ev.format.channels > 0)
            aec->on_caller_audio(now, ev.samples.size() / ev.format.channels);
        if (!caller->push(ev.samples, ev.format)) {
            ++stats.protocol_errors;  // a rate the resampler refuses: the frame is dropped
            return;
        }
        if (!stt && now >= stt_retry_at) open_stt(now);
        if (stt) stt->send_audio(caller->stt_samples());
        if (aec) stats.echo_cancelled_frames = aec->cancelled_frames();

        std::span<const std::int16_t> frame;
        while (caller->next_vad_frame(frame)) {
            bool tone = false;
            inband_keys.clear();
            if (dtmf) {
                dtmf->feed(frame, inband_keys);
                tone = dtmf->tone_present();
            }
            // The canceller, once converged, has taken its measured reduction off the echo.
            const double bot_level = echo->level_at(now) - (aec ? aec->echo_reduction_db() : 0.0);
            const bool speech =
                vad.is_speech(frame, CallerAudio::kFrameMs / 1000.0, bot_level) && !tone;
            switch (detector.feed(speech, CallerAudio::kFrameMs, bot_busy(now))) {
                case TurnEvent::speech_started:
                    on_speech_started(now);
                    break;
                case TurnEvent::speech_ended:
                case TurnEvent::turn_too_long:
                    on_speech_ended(now);
                    break;
                case TurnEvent::none:
                    break;
            }
            if (ended) return;
            for (const char key : inband_keys) {
                on_key(key, true, now);
                if (ended) return;
            }
        }
    }

    // A key from the `dtmf` event or from the audio; the same press told both ways counts once.
    void on_key(char digit, bool inband, std::int64_t now) {
        if (digit == last_key && inband != last_key_inband && now - last_key_us < kSameKeyUs) {
            last_key = 0;
            return;
        }
        last_key = digit;
        last_key_inband = inband;
        last_key_us = now;
        if (inband) ++stats.dtmf_inband;
        on_dtmf(digit, now);
    }

    void on_speech_started(std::int64_t now) {
        phrase_complete = false;
        detector.set_silence_ms(cfg.endpoint_silence_ms);
        // The STT gets every frame before the VAD sees it: the onset is this far back in the
        // audio it has (a barge-in's is long before its confirmation).
        if (stt)
            stt->speech_started_at(
                static_cast<std::uint32_t>(caller->vad_ms() - detector.turn_start_ms()));
        if (close_at != kNever) return;  // the bot is hanging up
        if (cfg.allow_barge_in && bot_busy(now)) barge_in(now, false);
    }

    void on_speech_ended(std::int64_t now) {
        const std::uint64_t silence_ms = caller->vad_ms() - detector.last_speech_end_ms();
        pending_speech_end = now - static_cast<std::int64_t>(silence_ms) * 1000;
        if (detector.last_speech_end_ms() > detector.turn_start_ms())
            pending_speech_ms += detector.last_speech_end_ms() - detector.turn_start_ms();
        phrase_complete = false;
        detector.set_silence_ms(cfg.endpoint_silence_ms);
        if (paused)
            resume_at = std::max(now, pending_speech_end) + ms_to_us(cfg.false_interruption_ms);
        if (stt) {
            stt->end_of_turn();
            awaiting_final = true;
            stt_deadline = now + ms_to_us(cfg.stt_timeout_ms);
        } else {
            fallback_turn(now);  // nothing can transcribe it (the open failure was counted)
        }
    }

    void on_dtmf(char digit, std::int64_t now) {
        ++stats.dtmf_in;
        if (close_at != kNever) return;
        reprompts_said = 0;
        if (cfg.allow_barge_in && bot_busy(now)) barge_in(now, true);
        std::string text = "[dtmf ";
        text.push_back(digit);
        text.push_back(']');
        append_words(pending_text, text);
        pending_key = true;
        pending_speech_end = now;
        pending_stt_final = -1;
        maybe_answer(now);
    }

    // ---- provider results ----------------------------------------------------------------
    void drain(std::int64_t now) {
        while (inbox->drain(events)) {
            for (auto& e : events) {
                if (ended) break;
                dispatch(e, now);
            }
            inbox->recycle(events);
        }
    }

    void dispatch(InboxEvent& e, std::int64_t now) {
        if (speculation_event(e)) return;
        switch (e.kind) {
            case InboxEventKind::stt_transcript:
                if (e.request != stt_id) return;
                if (e.is_final)
                    on_final(e.text, e.confidence, now);
                else
                    on_interim(e.text, now);
                return;
            case InboxEventKind::stt_speech_started:
                if (e.request == stt_id && cfg.allow_barge_in && close_at == kNever &&
                    bot_busy(now) && detector.start_now(kProviderStartMinSpeechMs))
                    on_speech_started(now);
                return;
            case InboxEventKind::stt_utterance_end:
                if (e.request == stt_id && detector.end_now(kProviderEndMinSilenceMs))
                    on_speech_ended(now);
                return;
            case InboxEventKind::stt_error:
                if (e.request == stt_id) on_stt_failure(now, false);
                return;
            case InboxEventKind::llm_token:
                if (reply.active && e.request == reply.llm_id) on_token(e.text, now);
                return;
            case InboxEventKind::llm_action:
                if (reply.active && e.request == reply.llm_id) on_action(e.action, now);
                return;
            case InboxEventKind::llm_done:
                if (reply.active && e.request == reply.llm_id) on_llm_done(now);
                return;
            case InboxEventKind::llm_error:
                if (reply.active && e.request == reply.llm_id) {
                    ++stats.llm_errors;
                    fail_reply(now);
                }
                return;
            case InboxEventKind::tts_audio:
                if (reply.active && e.request == reply.tts_id) on_tts_audio(e, now);
                return;
            case InboxEventKind::tts_done:
                if (reply.active && e.request == reply.tts_id) on_tts_done(now);
                return;
            case InboxEventKind::tts_error:
                if (reply.active && e.request == reply.tts_id) on_tts_failure(now, false);
                return;
        }
    }

    void on_final(std::string_view text, double confidence, std::int64_t now) {
        const std::string t(text::trim(text));
        const bool answers_turn = awaiting_final;
        if (answers_turn) {
            awaiting_final = false;
            stt_deadline = kNever;
        }
        // The turn of a taken-back interruption: only real words are kept (for after the reply).
        if (drop_late_final && answers_turn) {
            drop_late_final = false;
            if (!interrupting_words(t) || !trusted(confidence)) return;
        }
        if (!t.empty()) {
            append_words(pending_text, t);
            pending_stt_final = now;
            // The lowest confidence of the words it is made of; unknown ones do not lower it.
            if (confidence >= 0.0 && confidence <= 1.0)
                pending_confidence = pending_confidence < 0.0
                                         ? confidence
                                         : std::min(pending_confidence, confidence);
            // The provider closed a segment while the caller's turn is open: the turn may end
            // after the short silence.
            if (detector.in_turn()) mark_complete(true, now);
        }
        note_words({}, true);
        if (paused) {
            const bool over = answers_turn && !detector.in_turn();
            if (interruption_heard() || (over && interruption_stands())) {
                stand(now);  // then answered below like any turn
            } else if (over) {
                resume(now);
                return;
            } else {
                return;  // more of the caller's turn may come
            }
        }
        // No dead air: speech long enough to be words, but no words heard, gets the fallback;
        // shorter noise (a cough, a click) stays unanswered, except as the answer to a
        // confirmation question (a short "no" the recogniser missed): the caller is waiting.
        if (answers_turn && pending_text.empty() && !detector.in_turn()) {
            const bool answer_expected = !confirming.empty() && pending_speech_ms > 0;
            if ((cfg.misheard_speech_ms > 0 && pending_speech_ms >= cfg.misheard_speech_ms) ||
                answer_expected) {
                misheard_turn(TurnMetrics{}, now);
                return;
            }
            pending_speech_ms = 0;
        }
        maybe_answer(now);
    }

    // An interim transcript: never answered, but it tells whether the words so far make one of
    // the expected phrases (then the turn ends after complete_phrase_silence_ms).
    void on_interim(std::string_view text, std::int64_t now) {
        note_words(text, false);
        if (!detector.in_turn() || phrase_words.empty()) return;
        auto words = text::normalize_words(pending_text);
        for (auto& w : text::normalize_words(text)) words.push_back(std::move(w));
        bool complete = false;
        for (const auto& p : phrase_words)
            if (text::contains_words(words, p)) complete = true;
        mark_complete(complete, now);
    }

    void mark_complete(bool complete, std::int64_t now) {
        phrase_complete = complete;
        detector.set_silence_ms(
            complete ? std::min(cfg.complete_phrase_silence_ms, cfg.endpoint_silence_ms)
                     : cfg.endpoint_silence_ms);
        // Already silent that long (the transcript came late): the turn ends now.
        if (complete && detector.in_turn() && detector.silence_run_ms() >= detector.silence_ms() &&
            detector.end_now(detector.silence_ms()))
            on_speech_ended(now);
    }

    void on_stt_failure(std::int64_t now, bool timeout) {
        ++stats.stt_errors;
        if (timeout) ++stats.timeouts;
        const bool was_waiting = awaiting_final;
        drop_stt(now);
        if (was_waiting) fallback_turn(now);
    }

    // ---- answering -----------------------------------------------------------------------
    void maybe_answer(std::int64_t now) {
        if (pending_text.empty() || reply.active || awaiting_final || detector.in_turn() ||
            close_at != kNever || ended)
            return;
        TurnMetrics t;
        t.caller_text = std::move(pending_text);
        pending_text.clear();
        t.speech_end_us = pending_speech_end;
        t.stt_final_us = pending_stt_final;
        t.confidence = pending_key ? providers::kUnknownConfidence : pending_confidence;
        const bool key = pending_key;
        reprompts_said = 0;
        pending_speech_end = pending_stt_final = -1;
        pending_confidence = providers::kUnknownConfidence;
        pending_key = false;
        pending_speech_ms = 0;
        const bool known = t.confidence >= 0.0;
        // Gate 1: words heard below min_confidence never reach the LLM.
        if (known && t.confidence < cfg.min_confidence) {
            misheard_turn(std::move(t), now);
            return;
        }
        // A confirmation was asked: a yes runs the held reply, anything else cancels it and is
        // an ordinary turn.
        if (!confirming.empty()) {
            if (!key && is_yes(t.caller_text)) {
                confirmed_turn(std::move(t), now);
                return;
            }
            ++stats.cancelled_actions;
            confirming.clear();
        }
        add_history(Role::user, t.caller_text);
        ++stats.turns;
        const std::size_t index = push_turn(std::move(t));
        begin_reply(index, now);
        // Gate 2 (decided when the LLM is done): an end_call or transfer on a doubtful hearing
        // is confirmed first; and a reply that may be the last misunderstanding is held too, so
        // that the offer replaces it rather than following it.
        reply.doubtful = known && turns[index].confidence < cfg.action_confidence;
        reply.holding = reply.doubtful || (cfg.max_misunderstandings > 0 &&
                                           misunderstandings + 1 >= cfg.max_misunderstandings);

        providers::LlmRequest req = llm_request(history);
        reply.llm_done = false;
        reply.llm_first_deadline = now + ms_to_us(cfg.llm_first_token_timeout_ms);
        reply.llm_total_deadline = now + ms_to_us(cfg.llm_total_timeout_ms);
        if (adopt_speculation(req, now)) return;
        const std::uint64_t id = next_id++;
        reply.llm_id = id;
        auto r = prov.llm->start(req, std::make_shared<InboxLlmSink>(inbox, id));
        if (!r || !r.value()) {
            ++stats.llm_errors;
            fail_reply(now);
            return;
        }
        reply.llm = std::move(r.value());
    }

    // A turn gated to the fallback: words heard below min_confidence, or speech without words.
    // Neither its words nor the fallback's reason reach the history (the fallback said does, as
    // what the caller heard). A confirmation asked before is cancelled (only a clear yes acts).
    void misheard_turn(TurnMetrics t, std::int64_t now) {
        drop_speculation();
        pending_text.clear();
        pending_speech_ms = 0;
        if (t.speech_end_us < 0) t.speech_end_us = pending_speech_end;
        if (t.stt_final_us < 0) t.stt_final_us = now;
        pending_speech_end = pending_stt_final = -1;
        pending_confidence = providers::kUnknownConfidence;
        pending_key = false;
        t.misheard = true;
        reprompts_said = 0;
        ++stats.turns;
        ++stats.misheard;
        if (!confirming.empty()) {
            ++stats.cancelled_actions;
            confirming.clear();
        }
        if (reply.active || close_at != kNever) {  // the bot is busy: nothing more to say
            finished_turns.push_back(push_turn(std::move(t)));
            return;
        }
        begin_reply(push_turn(std::move(t)), now);
        reply.fallback_phase = true;
        if (misunderstood()) {
            offer(now);
            return;
        }
        say_fallback(now);
    }

    // Counts a misunderstood turn; true when it is the one that makes the offer.
    bool misunderstood() {
        ++misunderstandings;
        return cfg.max_misunderstandings > 0 && misunderstandings >= cfg.max_misunderstandings;
    }

    // After max_misunderstandings in a row: misunderstood_say, then the transfer or the end.
    void offer(std::int64_t now) {
        ++stats.misunderstood_offers;
        misunderstandings = 0;
        confirming.clear();
        append_words(turns[reply.turn].bot_text, cfg.misunderstood_say);
        queue_speech(cfg.misunderstood_say);
        Action a = cfg.misunderstood_transfer.empty()
                       ? Action{ActionKind::end_call, {}}
                       : Action{ActionKind::transfer, cfg.misunderstood_transfer};
        reply.items.push_back(ReplyItem{true, {}, std::move(a)});
        reply.ending = true;  // nothing more is said after it
        advance_tts(now);
    }

    // The caller said yes to the confirmation: the held reply is said and its actions run, as
    // the LLM gave them (no new LLM request).
    void confirmed_turn(TurnMetrics t, std::int64_t now) {
        drop_speculation();
        ++stats.confirmed;
        misunderstandings = 0;
        add_history(Role::user, t.caller_text);
        ++stats.turns;
        begin_reply(push_turn(std::move(t)), now);
        std::vector<ReplyItem> items = std::move(confirming);
        confirming.clear();
        release(items, now);
    }

    // Streams held LLM output into the reply as if it arrived now.
    void release(std::vector<ReplyItem>& items, std::int64_t now) {
        for (auto& item : items) {
            if (item.is_action)
                on_action(item.action, now);
            else
                on_token(item.text, now);
        }
        queue_speech(reply.chunker.flush());
        advance_tts(now);
    }

    // True when the LLM's reply is the fallback: nothing to say or do (the engine says the
    // fallback), or exactly the fallback's words (the scripted dialog when nothing matched, an
    // LLM told to say it).
    bool is_fallback_reply(std::string_view words, bool any_action) const {
        if (any_action) return false;
        if (text::trim(words).empty()) return true;
        return !fallback_words.empty() && text::normalize_words(words) == fallback_words;
    }

    // The held reply is complete: decide between the offer, a confirmation and the reply.
    void resolve_held(std::int64_t now) {
        reply.holding = false;
        std::vector<ReplyItem> items = std::move(reply.held);
        reply.held.clear();
        std::string words;
        const Action* destructive = nullptr;
        bool any_action = false;
        for (const auto& item : items) {
            if (!item.is_action) {
                words += item.text;
                continue;
            }
            any_action = true;
            if (!destructive && (item.action.kind == ActionKind::end_call ||
                                 item.action.kind == ActionKind::transfer))
                destructive = &item.action;
        }
        TurnMetrics& t = turns[reply.turn];
        if (is_fallback_reply(words, any_action)) {
            if (misunderstood()) {
                reply.fallback_phase = true;
                offer(now);
                return;
            }
            if (text::trim(words).empty()) {
                reply.fallback_phase = true;
                say_fallback(now);
                return;
            }
            release(items, now);
            return;
        }
        misunderstandings = 0;
        if (reply.doubtful && destructive) {
            const std::string& prompt = destructive->kind == ActionKind::end_call
                                            ? cfg.confirm_end_prompt
                                            : cfg.confirm_transfer_prompt;
            ++stats.confirmations;
            t.confirmation = true;
            append_words(t.bot_text, prompt);
            queue_speech(prompt);
            confirming = std::move(items);
            advance_tts(now);
            return;
        }
        release(items, now);
    }

    // A turn whose input could not be understood (STT failure): only the fallback.
    void fallback_turn(std::int64_t now) {
        drop_speculation();
        pending_text.clear();
        TurnMetrics t;
        t.speech_end_us = pending_speech_end;
        t.failed = true;
        pending_speech_end = pending_stt_final = -1;
        ++stats.turns;
        if (reply.active || close_at != kNever) {  // the bot is busy: nothing more to say
            finished_turns.push_back(push_turn(std::move(t)));
            return;
        }
        begin_reply(push_turn(std::move(t)), now);
        reply.fallback_phase = true;
        say_fallback(now);
    }

    void begin_reply(std::size_t turn, std::int64_t /*now*/) {
        reply.reset();
        reply_audio.reset();
        if (tts_resampler) (void)tts_resampler->reset();
        reply.active = true;
        reply.turn = turn;
        reply.start_abs = clock.sent_samples();
    }

    void queue_speech(std::string text) {
        if (text.empty()) return;
        reply.items.push_back(ReplyItem{false, std::move(text), {}});
    }

    void say_fallback(std::int64_t now) {
        const std::string& text = reply.greeting ? cfg.greeting : cfg.fallback;
        if (!text.empty()) {
            ++stats.fallbacks;
            if (!reply.greeting) append_words(turns[reply.turn].bot_text, text);
            queue_speech(text);
        }
        advance_tts(now);
    }

    void on_token(std::string_view token, std::int64_t now) {
        if (reply.ending) return;
        TurnMetrics& t = turns[reply.turn];
        if (t.first_token_us < 0) t.first_token_us = now;
        reply.llm_first_deadline = kNever;
        if (reply.holding) {
            reply.held.push_back(ReplyItem{false, std::string(token), {}});
            return;
        }
        t.bot_text.append(token);
        sentences.clear();
        reply.chunker.push(token, sentences);
        for (auto& s : sentences) queue_speech(std::move(s));
        advance_tts(now);
    }

    void on_action(const Action& action, std::int64_t now) {
        if (reply.ending) return;
        TurnMetrics& t = turns[reply.turn];
        if (t.first_token_us < 0) t.first_token_us = now;
        reply.llm_first_deadline = kNever;
        if (reply.holding) {
            reply.held.push_back(ReplyItem{true, {}, action});
            if (action.kind == ActionKind::end_call) {  // nothing after it counts
                close_llm();
                resolve_held(now);
            }
            return;
        }
        queue_speech(reply.chunker.flush());  // the words before it are a unit of their own
        reply.items.push_back(ReplyItem{true, {}, action});
        if (action.kind == ActionKind::end_call) {
            // Nothing the model says after hanging up would be heard.
            reply.ending = true;
            close_llm();
        }
        advance_tts(now);
    }

    void on_llm_done(std::int64_t now) {
        close_llm();
        if (reply.holding) {
            resolve_held(now);
            return;
        }
        queue_speech(reply.chunker.flush());
        // A reply with neither words nor actions: "nothing matched", say the fallback.
        const TurnMetrics& t = turns[reply.turn];
        const bool any_action =
            !reply.actions.empty() || std::any_of(reply.items.begin(), reply.items.end(),
                                                  [](const ReplyItem& i) { return i.is_action; });
        if (!reply.fallback_phase) {
            if (is_fallback_reply(t.bot_text, any_action))
                (void)misunderstood();  // not the last one: that reply would have been held
            else
                misunderstandings = 0;
        }
        if (text::trim(t.bot_text).empty() && reply.items.empty() && reply.actions.empty() &&
            !reply.tts_active && reply_audio.synthesized() == 0 && !reply.fallback_phase) {
            reply.fallback_phase = true;
            say_fallback(now);
            return;
        }
        advance_tts(now);
    }

    void close_llm() {
        reply.llm_id = 0;
        reply.llm_done = true;
        reply.llm_first_deadline = reply.llm_total_deadline = kNever;
        if (reply.llm) reply.llm->cancel();
        reply.llm.reset();
    }

    void cancel_tts() {
        reply.tts_id = 0;
        reply.tts_active = false;
        reply.tts_deadline = kNever;
        if (reply.tts) reply.tts->cancel();
        reply.tts.reset();
        if (tts_resampler) (void)tts_resampler->reset();
    }

    void cancel_reply_work() {
        close_llm();
        cancel_tts();
        reply.items.clear();
        reply.chunker.clear();
    }

    // The reply failed: stop it, keep what is synthesized, then say the fallback once.
    void fail_reply(std::int64_t now) {
        turns[reply.turn].failed = true;
        if (reply.tts_active) reply.spoken.add({}, reply.tts_samples);  // keep positions aligned
        cancel_reply_work();
        if (reply.fallback_phase) return;  // the fallback itself failed: the turn just ends
        reply.fallback_phase = true;
        say_fallback(now);
    }

    // Starts the next synthesis, or places the actions that come before it.
    void advance_tts(std::int64_t now) {
        while (!reply.tts_active && !reply.items.empty()) {
            ReplyItem& item = reply.items.front();
            if (item.is_action) {
                reply.actions.push_back(
                    PlacedAction{std::move(item.action), reply_audio.synthesized()});
                reply.items.pop_front();
                if (reply.actions.back().action.kind == ActionKind::end_call) reply.items.clear();
                continue;
            }
            if (reply_audio.full()) return;  // resumes when the pacer has taken some
            providers::TtsRequest req;
            req.text = std::move(item.text);
            reply.items.pop_front();
            req.sample_rate_hz = out_rate;
            req.voice = cfg.voice;
            const std::uint64_t id = next_id++;
            reply.tts_id = id;
            reply.tts_active = true;
            reply.tts_text = req.text;
            reply.tts_samples = 0;
            reply.tts_resampled = false;
            reply.tts_deadline = now + ms_to_us(cfg.tts_first_audio_timeout_ms);
            auto& provider = reply.fallback_phase ? prov.fallback_tts : prov.tts;
            auto r = provider->synthesize(req, std::make_shared<InboxTtsSink>(inbox, id));
            if (!r || !r.value()) {
                on_tts_failure(now, false);
                return;
            }
            reply.tts = std::move(r.value());
        }
        arm_actions(now);
    }

    void on_tts_audio(InboxEvent& e, std::int64_t now) {
        const std::span<const std::int16_t> samples =
            e.shared_owner ? e.shared_samples : std::span<const std::int16_t>(e.samples);
        const std::uint32_t rate = e.sample_rate_hz;
        TurnMetrics& t = turns[reply.turn];
        if (rate == 0) {
            on_tts_failure(now, false);
            return;
        }
        if (t.first_audio_us < 0) t.first_audio_us = now;
        reply.tts_deadline = now + ms_to_us(cfg.tts_first_audio_timeout_ms);
        if (rate == out_rate && e.shared_owner) {  // a cached phrase: read, never copied
            reply.tts_samples += reply_audio.append_shared(std::move(e.shared_owner), samples);
        } else if (rate == out_rate) {
            reply.tts_samples += reply_audio.append(samples);
        } else {
            if (!tts_resampler || tts_resampler->in_rate() != rate) {
                auto r = audio::Resampler::create(rate, out_rate);
                if (!r) {
                    on_tts_failure(now, false);
                    return;
                }
                tts_resampler.emplace(std::move(r.value()));
            }
            reply.tts_resampled = true;
            const std::size_t before = reply_audio.buffer().size();
            if (!tts_resampler->process_append(samples, reply_audio.buffer())) {
                reply_audio.buffer().resize(before);
                on_tts_failure(now, false);
                return;
            }
            reply.tts_samples += reply_audio.commit(before);
        }
    }

    void on_tts_done(std::int64_t now) {
        if (reply.tts_resampled) {  // the filter's tail; this also resets it for the next one
            const std::size_t before = reply_audio.buffer().size();
            if (tts_resampler->process_append({}, reply_audio.buffer(), true))
                reply.tts_samples += reply_audio.commit(before);
            else
                reply_audio.buffer().resize(before);
        }
        reply.spoken.add(reply.tts_text, reply.tts_samples);
        reply.tts_id = 0;
        reply.tts_active = false;
        reply.tts_deadline = kNever;
        reply.tts.reset();
        advance_tts(now);
    }

    void on_tts_failure(std::int64_t now, bool timeout) {
        ++stats.tts_errors;
        if (timeout) ++stats.timeouts;
        fail_reply(now);
    }

    // ---- outbound ------------------------------------------------------------------------
    // Sends what the pacer allows: whole chunks; a shorter one (at least 100 ms) when the
    // caller would otherwise hear a gap (the reply's first audio, a TTS slower than real time);
    // and the last partial chunk once the reply is fully synthesized (padded with silence to
    // the 100 ms the spec asks of every chunk).
    // (TTS results are pumped once per drained batch, so audio that arrives together leaves in
    // whole chunks.)
    bool starving(std::int64_t now) const { return clock.queued_us(now) <= ms_to_us(cfg.chunk_ms); }

    void pump(std::int64_t now) {
        if (!reply.active || paused) return;
        const std::size_t chunk = pacer.chunk_samples(out_rate);
        const std::size_t min_chunk = streamer::samples_per_chunk(out_rate, streamer::kMinChunkMs);
        bool sent_any = false;
        while (reply_audio.queued_samples() > 0 && pacer.may_send(clock, now)) {
            const bool complete = reply.synthesis_complete();
            if (reply_audio.queued_samples() < chunk && !complete &&
                !(reply_audio.queued_samples() >= min_chunk && starving(now)))
                break;
            std::size_t n = std::min(chunk, reply_audio.queued_samples());
            // A tail too short for a message of its own joins the last chunk when that stays
            // within 500 ms; otherwise it is padded.
            const std::size_t max_chunk =
                streamer::samples_per_chunk(out_rate, streamer::kMaxChunkMs);
            if (complete && reply_audio.queued_samples() < n + min_chunk &&
                reply_audio.queued_samples() <= max_chunk)
                n = reply_audio.queued_samples();
            std::span<const std::int16_t> pcm = reply_audio.peek(n);
            if (n < min_chunk) {
                pad.assign(pcm.begin(), pcm.end());
                pad.resize(min_chunk, 0);
                pcm = pad;
                reply.trailing_pad_us =
                    static_cast<std::int64_t>((min_chunk - n) * 1000000 / out_rate);
            }
            auto msg = encoder.stream_audio(pcm, out_rate);
            if (!msg) {  // cannot happen with a validated rate; never loop on it
                reply_audio.consume(n);
                continue;
            }
            emit_text(*msg);
            ++stats.audio_messages_out;
            stats.audio_bytes_out += pcm.size() * 2;
            if (tap) tap->bot_audio(pcm, out_rate, std::max(now, clock.playout_end_us()));
            echo->on_sent(std::max(now, clock.playout_end_us()), pcm);
            bot_envelope.add(pcm, out_rate, std::max(now, clock.playout_end_us()));
            if (aec) aec->on_sent(std::max(now, clock.playout_end_us()), pcm);
            clock.on_sent(pcm.size(), now);
            reply_audio.consume(n);
            TurnMetrics& t = turns[reply.turn];
            if (t.first_frame_us < 0) t.first_frame_us = now;
            sent_any = true;
        }
        if (sent_any) advance_tts(now);  // the queue limit may have held a synthesis back
        arm_actions(now);
    }

    // An action whose preceding audio is all sent is due when that audio has played.
    void arm_actions(std::int64_t now) {
        if (paused) return;  // their audio may be played again
        for (auto& a : reply.actions) {
            if (a.armed || a.position > reply_audio.sent()) continue;
            a.armed = true;
            const std::uint64_t abs = reply.start_abs + a.position;
            const std::uint64_t after = clock.sent_samples() > abs ? clock.sent_samples() - abs : 0;
            const auto lag_us = static_cast<std::int64_t>(after * 1000000 / out_rate);
            a.due_us = std::max(now, clock.playout_end_us() - lag_us);
        }
    }

    void run_due_actions(std::int64_t now) {
        for (auto& a : reply.actions) {
            if (!a.armed || a.due_us == kNever) continue;
            if (a.due_us > now) break;  // in order
            a.due_us = kNever;          // ran
            run_action(a.action, now);
            if (ended) return;
        }
    }

    void run_action(const Action& action, std::int64_t now) {
        TurnMetrics& t = turns[reply.turn];
        Result<std::string_view> msg = Errc::ok;
        switch (action.kind) {
            case ActionKind::transfer:
                msg = encoder.transfer(action.value, cfg.numbers);
                break;
            case ActionKind::digits:
                msg = encoder.digits(action.value, cfg.numbers);
                break;
            case ActionKind::play:
                msg = encoder.play(action.value);
                break;
            case ActionKind::end_call:
                t.actions.push_back(action);
                keep_ran(action);
                close_at = now + ms_to_us(cfg.hangup_grace_ms);
                close_reason = reply.end_reason.empty() ? "end_call" : reply.end_reason;
                return;
        }
        if (!msg) {
            ++stats.llm_errors;  // the model asked for something the protocol cannot carry
            return;
        }
        emit_text(*msg);
        t.actions.push_back(action);
        keep_ran(action);
    }

    // A host that never asks keeps only the latest few.
    void keep_ran(const Action& action) {
        if (ran_actions.size() >= 64) ran_actions.pop_front();
        ran_actions.push_back(action);
    }

    bool reply_settled() const {
        if (!reply.synthesis_complete() || reply_audio.queued_samples() > 0) return false;
        for (const auto& a : reply.actions)
            if (!a.armed || a.due_us != kNever) return false;
        return true;
    }

    void finish_reply_if_played(std::int64_t now) {
        if (!reply.active || paused || !reply_settled() || clock.playout_end_us() > now) return;
        TurnMetrics& t = turns[reply.turn];
        t.heard_text = reply.spoken.full();
        if (reply_audio.sent() > 0)
            t.playout_end_us = clock.playout_end_us() - reply.trailing_pad_us;
        add_history(Role::assistant, t.heard_text);
        finished_turns.push_back(reply.turn);
        reply.reset();
        reply_audio.reset();
        release_send_buffers();
        maybe_answer(now);
    }

    // The encoder's message buffer (the largest chunk's JSON, ~9 KiB at 8 kHz) and the padded
    // tail go once the reply has played: a caller who stays silent keeps neither.
    void release_send_buffers() {
        // Swapped out, not assigned: a string assigned an empty one keeps its capacity.
        streamer::OutboundEncoder spent;
        std::swap(encoder, spent);
        std::vector<std::int16_t>().swap(pad);
    }

    // ---- barge-in and the end ------------------------------------------------------------
    // Cuts the reply where the playout clock is: returns what of it was heard.
    void cut_reply(std::int64_t now, bool keep_pending_actions) {
        TurnMetrics& t = turns[reply.turn];
        if (reply.tts_active && !reply.tts_text.empty()) {
            const std::uint64_t estimate = reply.tts_text.size() * out_rate / kCharsPerSecond;
            reply.spoken.add(reply.tts_text, std::max(reply.tts_samples, estimate));
        }
        t.heard_text = reply.spoken.heard(heard_in_reply(now));
        if (reply_audio.sent() > 0) t.playout_end_us = std::min(now, clock.playout_end_us());
        if (keep_pending_actions) {
            for (const auto& a : reply.actions)
                if (!a.armed || a.due_us != kNever) t.actions.push_back(a.action);
            for (const auto& item : reply.items)
                if (item.is_action) t.actions.push_back(item.action);
        }
        add_history(Role::assistant, t.heard_text);
        cancel_reply_work();
        finished_turns.push_back(reply.turn);
        reply.reset();
        reply_audio.reset();
        paused = false;
        resume_at = kNever;
    }

    // Caller speech (`key` false) or a key while the bot is busy.
    void barge_in(std::int64_t now, bool key) {
        if (paused) {
            resume_at = kNever;  // the caller goes on: decided when this turn is over
            if (key) stand(now);
            return;
        }
        ++stats.barge_ins;
        if (clock.playing(now)) {
            emit_text(encoder.break_playback());
            clock.on_break(now);
            echo->on_break(now);
            bot_envelope.cut(now);
            if (tap) tap->bot_cut(now);
            if (aec) aec->on_break(now);
        }
        if (!reply.active) return;
        if (!key && cfg.false_interruption_ms > 0 && reply_audio.sent() > 0) {
            pause_reply(now);
            return;
        }
        ++stats.interruptions;
        turns[reply.turn].interrupted = true;
        cut_reply(now, false);
    }

    // The reply stops where the caller is; it may yet go on (the file comment).
    void pause_reply(std::int64_t now) {
        paused = true;
        paused_at = heard_in_reply(now);
        resume_at = kNever;
        drop_late_final = false;
        TurnMetrics& t = turns[reply.turn];
        t.interrupted = true;  // unless it resumes
        t.paused_us.push_back(now);
        t.heard_text = reply.spoken.heard(paused_at);
        t.playout_end_us = std::min(now, clock.playout_end_us());
        // Actions whose time had come but that have not run wait for their audio again.
        for (auto& a : reply.actions)
            if (a.armed && a.due_us != kNever) a.armed = false;
    }

    // The interruption stands: the reply is cut where it paused.
    void stand(std::int64_t now) {
        ++stats.interruptions;
        cut_reply(now, false);
    }

    // A false interruption: the reply goes on from the start of the cut word.
    void resume(std::int64_t now) {
        paused = false;
        resume_at = kNever;
        ++stats.false_interruptions;
        TurnMetrics& t = turns[reply.turn];
        t.interrupted = false;
        t.heard_text.clear();
        t.playout_end_us = -1;
        // A backchannel or a noise: neither answered nor kept.
        pending_text.clear();
        pending_speech_ms = 0;
        pending_speech_end = pending_stt_final = -1;
        pending_confidence = providers::kUnknownConfidence;
        pending_key = false;
        drop_late_final = awaiting_final;
        const std::uint64_t from = std::clamp(reply.spoken.word_start(paused_at),
                                              reply_audio.oldest_kept(), reply_audio.sent());
        (void)reply_audio.rewind_to(from);
        reply.start_abs = clock.sent_samples() - from;  // the replay follows what was played
        if (reply_audio.queued_samples() > 0 || !reply.synthesis_complete()) {
            ++stats.resumes;
            ++t.resumes;
            t.resumed_us.push_back(now);
        }
        advance_tts(now);
        pump(now);
    }

    bool trusted(double confidence) const {
        return !(confidence >= 0.0 && confidence <= 1.0 && confidence < cfg.min_confidence);
    }

    // Words that interrupt: at least min_interruption_words of them, not all backchannel
    // (unless the reply asks a question they may answer), and not all words the bot itself was
    // saying when it paused: over a speakerphone the STT's turn holds the bot's echo around the
    // noise that paused it, and hears its words there (the canceller leaves enough of them at
    // 6 dB of return loss).
    bool interrupting_words(std::string_view text) const {
        const auto words = text::normalize_words(text);
        if (words.empty() || words.size() < cfg.min_interruption_words) return false;
        if (turns[reply.turn].confirmation) return true;
        const auto own = echo_words();
        return std::any_of(words.begin(), words.end(), [&](const std::string& w) {
            return std::find(backchannel.begin(), backchannel.end(), w) == backchannel.end() &&
                   std::find(own.begin(), own.end(), w) == own.end();
        });
    }

    // The reply's words whose echo may be in the paused turn: those played within
    // kEchoWordsMs before the pause, and the word it cut.
    std::vector<std::string> echo_words() const {
        if (!reply.active) return {};
        const std::uint64_t window = std::uint64_t{out_rate} * kEchoWordsMs / 1000;
        const std::uint64_t cut_end = paused_at + std::uint64_t{out_rate} * kCutWordMs / 1000;
        auto played = text::normalize_words(reply.spoken.heard(cut_end));
        const std::size_t before =
            text::normalize_words(reply.spoken.heard(paused_at > window ? paused_at - window : 0))
                .size();
        // The word being played at the window's start may be partly in it.
        played.erase(played.begin(),
                     played.begin() + static_cast<std::ptrdiff_t>(before > 0 ? before - 1 : 0));
        return played;
    }

    // The caller's words so far (their finals) interrupt the paused reply.
    bool interruption_heard() const {
        return trusted(pending_confidence) && interrupting_words(pending_text);
    }

    // The caller's turn is over: usable words decide; without them, speech as long as a
    // misheard turn's was someone talking (the fallback asks again), shorter was noise.
    bool interruption_stands() const {
        if (trusted(pending_confidence) && !text::normalize_words(pending_text).empty())
            return interrupting_words(pending_text);
        return cfg.misheard_speech_ms > 0 && pending_speech_ms >= cfg.misheard_speech_ms;
    }

    // ---- the idle caller -----------------------------------------------------------------
    bool caller_idle(std::int64_t now) const {
        return started && cfg.idle_reprompt_ms > 0 && !reply.active && !clock.playing(now) &&
               !detector.in_turn() && !awaiting_final && pending_text.empty() && close_at == kNever;
    }

    void watch_idle(std::int64_t now) {
        if (!caller_idle(now)) {
            idle_at = kNever;
            return;
        }
        if (idle_at == kNever) {
            idle_at = now + ms_to_us(cfg.idle_reprompt_ms);
            return;
        }
        if (idle_at > now) return;
        idle_at = kNever;
        TurnMetrics t;
        t.reprompt = true;
        const bool last = reprompts_said >= cfg.idle_max_reprompts;
        t.bot_text = last ? cfg.idle_goodbye : cfg.reprompt;
        begin_reply(push_turn(std::move(t)), now);
        if (last) {
            ++stats.idle_hangups;
            queue_speech(cfg.idle_goodbye);
            reply.items.push_back(ReplyItem{true, {}, Action{ActionKind::end_call, {}}});
            reply.ending = true;
            reply.end_reason = "idle";
        } else {
            ++reprompts_said;
            ++stats.reprompts;
            queue_speech(cfg.reprompt);
        }
        advance_tts(now);
        pump(now);
    }

    void end_call(std::string reason, std::int64_t now, bool peer_gone) {
        if (ended) return;
        if (reply.active) cut_reply(now, true);
        idle_at = kNever;
        drop_speculation();
        ended = true;
        bot_envelope.cut(now);  // what was queued is never played
        end_reason = std::move(reason);
        drop_stt(now);
        close_at = kNever;
        pending_text.clear();
        inbox->close();  // nothing a provider says matters any more
        if (peer_gone)
            outputs.clear();
        else
            outputs.push_back(Output{OutputKind::close, end_reason});
    }

    // ---- the speculative reply (see the file comment) -------------------------------------
    // The caller's words so far changed: an interim (after the turn's finals) or a final.
    void note_words(std::string_view interim, bool is_final) {
        if (!speculating) return;
        std::string words = pending_text;
        if (!is_final) append_words(words, text::trim(interim));
        if (spec.set_candidate(words)) drop_speculation(false);
    }

    // Starts the LLM on the candidate once the caller paused (or the turn ended, its final
    // still due), when the answer would go to the LLM.
    void maybe_speculate(std::int64_t now) {
        (void)now;
        if (!speculating || !spec.wants_start() || reply.active || !confirming.empty() ||
            pending_key || close_at != kNever)
            return;
        const bool caller_paused = detector.in_turn()
                                       ? detector.silence_run_ms() >= cfg.speculate_after_ms
                                       : awaiting_final;
        if (!caller_paused) return;
        std::vector<Message> hist = history;
        append_history(hist, Role::user, spec.candidate());
        providers::LlmRequest req = llm_request(std::move(hist));
        const std::uint64_t id = next_id++;
        spec.start(id, req.messages);
        auto r = prov.llm->start(req, std::make_shared<InboxLlmSink>(inbox, id));
        if (!r || !r.value()) {
            drop_speculation(false);  // the answer will ask again, and count a failure then
            return;
        }
        spec.set_request(std::move(r.value()));
    }

    // Output of the running speculation is buffered; its failure cancels it.
    bool speculation_event(const InboxEvent& e) {
        if (!spec.running() || e.request != spec.id()) return false;
        switch (e.kind) {
            case InboxEventKind::llm_token:
                spec.on_token(e.text);
                return true;
            case InboxEventKind::llm_action:
                spec.on_action(e.action);
                return true;
            case InboxEventKind::llm_done:
                spec.on_done();
                return true;
            case InboxEventKind::llm_error:
                drop_speculation(false);
                return true;
            default:
                return false;
        }
    }

    // The turn is answered with `req` (past the gates): keep the speculation when it asked the
    // same, replaying what it streamed; else cancel it. True when kept.
    bool adopt_speculation(const providers::LlmRequest& req, std::int64_t now) {
        if (!spec.running() || !spec.matches(req.messages)) {
            drop_speculation();
            return false;
        }
        spec.clear_candidate();
        ++stats.speculations_kept;
        turns[reply.turn].speculative = true;
        Speculation::Adopted a = spec.take();
        reply.llm_id = a.id;
        reply.llm = std::move(a.request);
        for (const auto& item : a.items) {
            if (!reply.active || reply.llm_id != a.id) break;  // an end_call closed it
            switch (item.kind) {
                case Speculation::Item::Kind::token:
                    on_token(item.text, now);
                    break;
                case Speculation::Item::Kind::action:
                    on_action(item.action, now);
                    break;
                case Speculation::Item::Kind::done:
                    on_llm_done(now);
                    break;
            }
        }
        return true;
    }

    // Cancels a running speculation (counted) and, unless only its words went stale, forgets
    // the candidate.
    void drop_speculation(bool forget_candidate = true) {
        if (spec.cancel()) ++stats.speculations_cancelled;
        if (forget_candidate) spec.clear_candidate();
    }

    // ---- the clock -----------------------------------------------------------------------
    void service(std::int64_t now) {
        if (ended) return;
        drain(now);
        if (ended) return;
        if (stt_deadline <= now) on_stt_failure(now, true);
        if (reply.active && (reply.llm_first_deadline <= now || reply.llm_total_deadline <= now)) {
            ++stats.llm_errors;
            ++stats.timeouts;
            fail_reply(now);
        }
        if (reply.active && reply.tts_active && reply.tts_deadline <= now)
            on_tts_failure(now, true);
        if (paused && resume_at <= now) {
            if (interruption_stands()) {
                stand(now);
                maybe_answer(now);
            } else {
                resume(now);
            }
        }
        pump(now);
        run_due_actions(now);
        if (ended) return;
        finish_reply_if_played(now);
        if (close_at <= now) {
            end_call(close_reason, now, false);
            return;
        }
        watch_idle(now);
        if (!ended) maybe_speculate(now);
    }

    std::int64_t next_wakeup() const {
        if (ended) return kNever;
        std::int64_t w = std::min({stt_deadline, close_at, idle_at});
        if (!reply.active) return w;
        w = std::min({w, reply.llm_first_deadline, reply.llm_total_deadline});
        if (reply.tts_active) w = std::min(w, reply.tts_deadline);
        if (paused) return std::min(w, resume_at);
        const std::size_t chunk = pacer.chunk_samples(out_rate);
        const std::int64_t chunk_us = ms_to_us(cfg.chunk_ms);
        if (reply_audio.queued_samples() >= chunk ||
            (reply_audio.queued_samples() > 0 && reply.synthesis_complete())) {
            w = std::min(w, clock.playout_end_us() + chunk_us - ms_to_us(cfg.max_lead_ms));
        } else if (reply_audio.queued_samples() >=
                   streamer::samples_per_chunk(out_rate, streamer::kMinChunkMs)) {
            // When the line starts to run dry, if the pacer lets a chunk go by then.
            w = std::min(w,
                         std::max(clock.playout_end_us() - chunk_us,
                                  clock.playout_end_us() + chunk_us - ms_to_us(cfg.max_lead_ms)));
        }
        for (const auto& a : reply.actions)
            if (a.armed && a.due_us != kNever) w = std::min(w, a.due_us);
        if (reply_settled()) w = std::min(w, clock.playout_end_us());
        return w;
    }
};

// ---- the public face ----------------------------------------------------------------------

Result<std::unique_ptr<Call>> Call::create(CallConfig config, Providers providers, Waker waker) {
    return create(std::make_shared<const CallConfig>(std::move(config)), std::move(providers),
                  std::move(waker));
}

Result<std::unique_ptr<Call>> Call::create(std::shared_ptr<const CallConfig> config,
                                           Providers providers, Waker waker) {
    if (!config) return Error{Errc::invalid_argument, "no call config"};
    if (auto st = validate(*config, providers); !st) return st.error();
    return std::unique_ptr<Call>(new Call(
        std::make_unique<Impl>(std::move(config), std::move(providers), std::move(waker))));
}

Call::Call(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Call::~Call() = default;

void Call::on_message(std::span<const std::uint8_t> message, bool is_binary, std::int64_t now_us) {
    impl_->on_message(message, is_binary, now_us);
}

void Call::on_closed(std::string_view reason, std::int64_t now_us) {
    if (impl_->ended) return;
    const streamer::InboundEvent& ev = impl_->decoder.close(reason);
    std::string why = ev.kind == streamer::EventKind::end && !ev.reason.empty()
                          ? ev.reason
                          : std::string(reason.empty() ? "close" : reason);
    impl_->end_call(std::move(why), now_us, true);
}

void Call::poll(std::int64_t now_us) {
    impl_->service(now_us);
}
std::int64_t Call::next_wakeup_us() const {
    return impl_->next_wakeup();
}

bool Call::next_output(Output& out) {
    if (impl_->outputs.empty()) return false;
    out = std::move(impl_->outputs.front());
    impl_->outputs.pop_front();
    return true;
}

void Call::set_audio_tap(std::shared_ptr<AudioTap> tap) {
    impl_->tap = std::move(tap);
}

bool Call::next_finished_turn(TurnMetrics& out) {
    if (impl_->finished_turns.empty()) return false;
    out = impl_->turns[impl_->finished_turns.front()];
    impl_->finished_turns.pop_front();
    return true;
}

bool Call::next_action(providers::Action& out) {
    if (impl_->ran_actions.empty()) return false;
    out = std::move(impl_->ran_actions.front());
    impl_->ran_actions.pop_front();
    return true;
}

void Call::set_context(std::string text) {
    impl_->host_context = std::move(text);
}

bool Call::ended() const {
    return impl_->ended;
}
bool Call::finished() const {
    return impl_->ended && impl_->outputs.empty();
}
std::string_view Call::end_reason() const {
    return impl_->end_reason;
}
const streamer::Metadata& Call::metadata() const {
    return impl_->metadata;
}
const streamer::AudioFormat& Call::format() const {
    return impl_->decoder.format();
}
const CallStats& Call::stats() const {
    return impl_->stats;
}
const std::vector<TurnMetrics>& Call::turns() const {
    return impl_->turns;
}
const std::vector<providers::Message>& Call::history() const {
    return impl_->history;
}
const AudioEnvelope& Call::caller_envelope() const {
    return impl_->caller_envelope;
}
const AudioEnvelope& Call::bot_envelope() const {
    return impl_->bot_envelope;
}

}  // namespace ringoverbot::agent
