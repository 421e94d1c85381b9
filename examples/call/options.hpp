// ringoverbot-call's command line (examples/ringoverbot-call.md): the flags users script and
// the ones added beside them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ringoverbot/streamer.hpp"

namespace ringoverbot::callsim {

// How the caller's audio travels (src/streamer/README.md §Inbound): binary L16 frames (form A) or
// `audio_data` JSON events (form B).
enum class InboundForm { l16, json };

// One thing the caller says, in command-line order: a --say text or a --wav file.
struct LineSource {
    bool is_wav = false;
    std::string text;  // the text, or the file's path
};

struct Options {
    std::string url = "ws://127.0.0.1:8765/ws";
    std::vector<LineSource> lines;
    std::uint32_t calls = 1;
    InboundForm inbound = InboundForm::l16;
    // The encoding of json audio_data events (binary frames are always L16). Unset: PCMU at
    // 8 kHz (what a telephone switch carries), L16 at 16 kHz.
    std::optional<streamer::Encoding> json_encoding;
    std::uint32_t rate_hz = 8000;
    bool barge_in = false;
    std::uint32_t barge_in_ms = 1000;  // into the bot's reply when the caller talks over it
    std::uint32_t pause_ms = 800;      // of bot silence that ends its reply, before the next line
    // A speakerphone: the bot's played audio comes back into the caller's line `echo_db`
    // quieter (the return loss), `echo_delay_ms` after it played; line noise at `noise_dbfs`.
    std::optional<double> echo_db;
    std::uint32_t echo_delay_ms = 100;
    std::optional<double> noise_dbfs;
    std::string out_wav;
    std::string timeline_svg;  // written for the first call, when not empty
    bool json = false;

    std::string dialog;  // the bot's phrases (transcription grammar); empty = the bundled demo
    std::string voice = "slt";
    std::string token;  // Authorization: Bearer; default $RINGOVERBOT_STREAM_TOKEN
    std::string from_number = "33612345678";
    std::string to_number = "33182880000";
    std::uint32_t timeout_s = 120;  // per call
    std::uint32_t greeting_timeout_ms = 10000;
    std::uint32_t reply_timeout_ms = 10000;  // end of a line -> first audio of the reply
    std::uint32_t ramp_ms = 0;               // spread the connections over this time
    enum class Transcribe { automatic, on, off } transcribe = Transcribe::automatic;

    streamer::Encoding wire_encoding() const;
    bool transcribing() const;
};

// Parses argv. Returns the options, or nullopt after printing the problem (exit_code 2) or
// the help/version text (exit_code 0) on `out`/`err`.
struct ParseOutcome {
    std::optional<Options> options;
    int exit_code = 0;
};
ParseOutcome parse_options(int argc, char** argv);

}  // namespace ringoverbot::callsim
