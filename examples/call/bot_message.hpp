// The media server's reading of the bot's commands (src/streamer/README.md §Outbound): play,
// streamAudio, break, digits, transfer. Anything else is a protocol error with a reason.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::callsim {

enum class BotCommandKind { stream_audio, play, break_playback, digits, transfer, error };

struct BotCommand {
    BotCommandKind kind = BotCommandKind::error;
    // stream_audio: mono samples (raw s16le, or a decoded WAV file) at sample_rate_hz; empty
    // with `unplayable` set for mp3/ogg files (the simulator cannot decode them).
    std::vector<std::int16_t> samples;
    std::uint32_t sample_rate_hz = 0;
    std::string audio_type;  // raw | mp3 | wav | ogg
    bool unplayable = false;
    // play: the URL; digits/transfer: the value as written (a number's digits, or the string);
    // error: why the message was refused.
    std::string value;
    bool value_was_number = false;  // digits/transfer: JSON number (true) or string (false)
};

// Parses one text message from the bot. Keeps a simdjson parser and buffers across calls.
class BotMessageParser {
  public:
    BotMessageParser();
    ~BotMessageParser();
    BotMessageParser(const BotMessageParser&) = delete;
    BotMessageParser& operator=(const BotMessageParser&) = delete;

    // The returned command stays valid until the next parse().
    const BotCommand& parse(std::string_view text);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

std::string_view command_name(BotCommandKind kind);

}  // namespace ringoverbot::callsim
