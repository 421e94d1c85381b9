// One simulated call, as Ringover's media server and the caller would live it, without I/O:
// the host feeds it the time (20 ms ticks on a wall clock), the bot's messages and the socket's
// fate, and sends what it hands back.
//
// The caller: waits for the greeting to finish playing, says each line (20 ms frames, silence
// otherwise), waits for the bot's reply to finish (the bot silent for `pause_ms`) and says the
// next. With barge-in, every line after the first starts `barge_in_ms` into the bot's reply.
// After the last reply (or a transfer) it sends call_end and closes.
//
// The media server: plays streamAudio in order on its own playout clock (one 20 ms frame per
// tick), drops what is queued on `break`, and records play/digits/transfer.
//
// Turn n (n >= 1) is the caller's line n and the bot's reply to it; turn 0 is the greeting. A
// bot message belongs to the turn of the last line the caller finished; a break belongs to the
// reply it cut.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "call/bot_message.hpp"
#include "call/caller_lines.hpp"
#include "call/options.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/timeline.hpp"

namespace ringoverbot::callsim {

struct CallSetup {
    std::uint32_t rate_hz = 8000;
    InboundForm inbound = InboundForm::l16;
    streamer::Encoding encoding = streamer::Encoding::l16;
    bool barge_in = false;
    std::uint32_t barge_in_ms = 1000;
    std::uint32_t pause_ms = 800;
    std::uint32_t greeting_timeout_ms = 10000;
    std::uint32_t reply_timeout_ms = 10000;
    std::uint32_t timeout_ms = 120000;
    std::string from_number, to_number;
    bool record_stereo = false;    // keep both channels for a WAV
    bool record_timeline = false;  // keep both channels' envelopes for a timeline
    // A speakerphone (Options): the echo's gain (0 = none) and delay; line noise RMS (0 = none).
    double echo_gain = 0;
    std::uint32_t echo_delay_ms = 100;
    double noise_rms = 0;
};

struct CommandRecord {
    BotCommandKind kind = BotCommandKind::error;
    std::string value;       // URL, digits, number
    std::int64_t at_us = 0;  // arrival (host clock)
};

struct TurnRecord {
    std::size_t index = 0;
    std::string caller;                   // the line said; empty for the greeting
    bool barged_in = false;               // the line started while the bot's previous reply played
    std::int64_t speech_start_us = -1;    // first frame of the line handed to the socket
    std::int64_t speech_end_us = -1;      // last frame of the line handed to the socket
    std::int64_t first_audio_us = -1;     // first streamAudio of the reply received
    std::vector<CommandRecord> commands;  // everything but streamAudio
    bool interrupted = false;             // a break cut this reply while it played
    std::int64_t break_us = -1;           // that break's arrival
    std::int64_t break_after_line_us = -1;  // break - start of the line that interrupted
    std::vector<std::int16_t> played;       // the reply as played to the caller (call rate)
    std::uint64_t received_samples = 0;     // streamAudio received for this reply (call rate)
    std::uint64_t dropped_samples = 0;      // queued, then dropped by break
    std::uint64_t after_break_samples = 0;  // received after its break (the bot kept talking)
    std::uint64_t overlap_samples = 0;      // bot audio played while the caller said this line
    std::int64_t play_start_us = -1;        // the reply's first sample played (tick clock)
    std::int64_t play_end_us = -1;          // after its last sample played
    std::string transcript;                 // filled in after the call
    bool transcribed = false;

    // End of the caller's speech (the call's start for the greeting) -> first bot audio.
    // The wire does not say which reply a chunk belongs to: when the bot neither breaks nor
    // finishes before the caller's line ends, the rest of its old reply counts as the first
    // audio of the new one (overlap_samples then shows the bot talked over the caller).
    std::int64_t latency_us(std::int64_t call_start_us) const;
};

struct CallRecord {
    std::size_t index = 0;
    std::string call_id;
    std::int64_t connect_us = -1;  // connection attempt
    std::int64_t start_us = -1;    // WebSocket established, call_start sent
    std::int64_t end_us = -1;
    bool clean = false;
    std::string end_reason;
    std::vector<std::string> errors;
    std::vector<TurnRecord> turns;  // the greeting, then one per line
    std::size_t lines_said = 0;
    std::uint64_t frames_sent = 0, messages_received = 0, protocol_errors = 0;
    std::uint64_t ticks = 0;           // 20 ms frames of the call (the WAV's length)
    std::vector<std::int16_t> stereo;  // caller left, bot right (when recording)
    // What each side heard, by the tick clock (when record_timeline): the caller's line as the
    // bot decodes it, the bot's audio as the media server played it.
    agent::AudioEnvelope caller_envelope, bot_envelope;
};

// A message for the socket. `line` tags the first/last frame of a caller's line.
struct OutMessage {
    std::string data;
    bool binary = false;
    int line_start = -1;
    int line_end = -1;
};

class SimulatedCall {
  public:
    SimulatedCall(std::size_t index, std::uint64_t call_id, const CallSetup& setup,
                  const std::vector<CallerLine>& lines);

    void connecting(std::int64_t now_us);
    // The socket is open: queues call_start and starts the clock.
    void established(std::int64_t now_us);
    // Runs every 20 ms frame due by `now_us` (catching up when the host was late).
    void advance(std::int64_t now_us);
    void on_message(std::string_view data, bool binary, std::int64_t now_us);
    // The socket closed. `peer_code` is the close code the bot sent (0: none, e.g. a drop).
    void on_closed(int peer_code, std::string_view why, std::int64_t now_us);
    void on_connect_error(std::string_view why, std::int64_t now_us);

    // Output, in order. sent() pops the front after the host wrote it.
    bool has_output() const { return !out_.empty(); }
    const OutMessage& front() const { return out_.front(); }
    void sent(std::int64_t now_us);
    // Close once the output is drained.
    bool wants_close() const { return phase_ == Phase::closing; }
    bool done() const { return phase_ == Phase::done; }

    const CallRecord& record() const { return rec_; }
    CallRecord& record() { return rec_; }

  private:
    enum class Phase { idle, awaiting, speaking, closing, done };
    struct Queued {
        std::size_t turn;
        std::vector<std::int16_t> samples;
        std::size_t offset = 0;
    };

    void tick(std::int64_t t_us);
    void decide(std::int64_t t_us);
    void start_line(std::int64_t t_us, bool barge);
    void begin_closing(std::string reason, std::int64_t t_us);
    void error(std::string what);
    void push_audio_frame(std::span<const std::int16_t> frame, int line_start, int line_end);
    OutMessage& push_message();
    std::size_t play_tick(std::span<std::int16_t> bot, std::int64_t t_us);
    void queue_bot_audio(const BotCommand& cmd, std::int64_t now_us);
    void on_break(std::int64_t now_us);

    CallSetup setup_;
    const std::vector<CallerLine>& lines_;
    CallRecord rec_;
    Phase phase_ = Phase::idle;
    std::size_t frame_samples_;
    std::int64_t frame_us_ = 20000;

    std::size_t next_line_ = 0;     // the next line to say; the awaited turn while awaiting
    std::size_t line_pos_ = 0;      // samples of the current line sent
    std::size_t current_turn_ = 0;  // the turn bot messages belong to
    std::int64_t awaiting_since_us_ = -1;
    std::int64_t last_play_us_ = -1;  // the end of the last tick that played bot audio
    bool transferred_ = false;

    std::deque<Queued> queue_;
    std::optional<audio::Resampler> bot_resampler_;  // bot rate -> call rate, per stream run
    std::vector<std::int16_t> resampled_;
    BotMessageParser parser_;

    std::deque<OutMessage> out_;
    std::vector<std::string> spare_;  // recycled message buffers
    std::vector<std::int16_t> caller_frame_, bot_frame_, heard_frame_;
    std::vector<std::uint8_t> frame_bytes_;
    std::deque<std::int16_t> echo_line_;  // played bot audio on its way back (the delay)
    std::uint32_t noise_seed_;
    void add_line_effects(std::span<std::int16_t> frame);
};

}  // namespace ringoverbot::callsim
