// One call of the load generator, without I/O: the host feeds it the time, the bot's audio
// (as durations) and the socket's fate; it hands back the next message to write. Its audio is
// shared and pre-rendered (a 20 ms silent frame, the caller's phrase as L16 bytes), so a call
// costs a few hundred bytes and no work per frame beyond choosing a pointer.
//
// The caller: silent, or with a phrase it says once the greeting has played, then again every
// `talk_every_us` (at the earliest `pause_us` after the bot's reply finished playing).
// The media server: follows the bot's audio on a playout clock (each chunk starts playing when
// it arrives or when the audio before it ends); a chunk that arrives after the audio before it
// finished playing, within the same reply, is an audio gap (the caller heard silence).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ringoverbot::callsim {

struct LoadCallSetup {
    std::int64_t duration_us = 60'000'000;
    std::span<const std::uint8_t>
        talk;  // L16 little-endian at 8 kHz, whole 20 ms frames; empty: silent
    std::int64_t talk_every_us = 6'000'000;
    std::int64_t pause_us = 800'000;
    std::int64_t greeting_timeout_us = 10'000'000;
    std::int64_t reply_timeout_us = 10'000'000;
};

// A chunk later than this after the audio before it ended starts a new utterance (a reprompt,
// a second reply), not a gap.
inline constexpr std::int64_t kGapWindowUs = 2'000'000;
inline constexpr std::size_t kFrameBytes = 320;  // 20 ms of L16 at 8 kHz
inline constexpr std::int64_t kFrameUs = 20'000;

struct LoadCallRecord {
    std::int64_t connect_us = -1;   // connection attempt
    std::int64_t open_us = -1;      // WebSocket established
    std::int64_t greeting_us = -1;  // first bot audio
    std::int64_t last_speech_end_us = -1;
    std::uint64_t frames_sent = 0;
    std::uint64_t phrases = 0, replies = 0;
    std::uint64_t gaps = 0;  // chunks that arrived after the playout ran dry
    std::int64_t gap_us = 0, max_gap_us = 0;
    std::uint64_t bot_chunks = 0;
    std::int64_t max_frame_late_us = 0;  // a frame written after its time (the generator's lag)
    std::int64_t bot_audio_us = 0;
    bool failed = false;
    std::string failure;  // the first reason
};

class LoadCall {
  public:
    LoadCall(std::uint64_t call_id, const LoadCallSetup& setup);

    void connecting(std::int64_t now_us);
    // The socket is open: queues call_start; frames are due from now on.
    void established(std::int64_t now_us);
    // One streamAudio message of `audio_us` of sound, received at now_us. Returns the reply
    // latency (end of the caller's phrase -> this chunk) when it is a reply's first chunk, else -1.
    std::int64_t on_bot_audio(std::int64_t audio_us, std::int64_t now_us);
    // A bot message the media server refused (unparsable, unknown).
    void on_protocol_error(std::string_view why);
    void on_closed(int peer_code, std::string_view why, std::int64_t now_us);
    void on_connect_error(std::string_view why, std::int64_t now_us);

    // The next message to write at now_us (call_start, a due frame, call_end), or an empty span.
    // `binary` tells the frame kind. popped() after it was written.
    std::span<const std::uint8_t> next(std::int64_t now_us, bool& binary);
    void popped(std::int64_t now_us);
    bool has_due(std::int64_t now_us) const;
    // call_end was written: close the socket.
    bool wants_close() const { return phase_ == Phase::closing && end_sent_; }
    bool done() const { return phase_ == Phase::done; }
    bool open() const { return phase_ == Phase::open || phase_ == Phase::closing; }

    const LoadCallRecord& record() const { return rec_; }

  private:
    enum class Phase { idle, connecting, open, closing, done };
    void fail(std::string_view why);
    // The caller's move at frame time t: start a phrase, time out, end the call.
    void decide(std::int64_t t);

    LoadCallSetup setup_;
    LoadCallRecord rec_;
    Phase phase_ = Phase::idle;
    std::string start_msg_;
    bool start_sent_ = false, end_sent_ = false;

    std::size_t talk_pos_ = 0;  // bytes of the phrase sent; == talk.size() when not talking
    bool talking_ = false;
    bool awaiting_reply_ = false;
    std::int64_t phrase_start_us_ = -1;
    std::int64_t playout_end_us_ = -1;  // when the bot audio received so far ends playing
    bool reply_open_ = false;           // a reply (or the greeting) is playing or streaming
    std::uint8_t pending_ = 0;          // 0 none, 1 start, 2 frame, 3 end
};

}  // namespace ringoverbot::callsim
