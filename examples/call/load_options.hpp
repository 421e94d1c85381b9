// ringoverbot-call --load: the load generator's command line (examples/ringoverbot-call.md
// §Load). Many simulated calls on one event loop, pre-rendered audio only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ringoverbot::callsim {

struct LoadOptions {
    std::string url = "ws://127.0.0.1:8765/ws";
    std::string token;                   // Authorization: Bearer; default $RINGOVERBOT_STREAM_TOKEN
    std::uint32_t calls = 0;             // --load N
    std::uint32_t duration_s = 60;       // each call lasts this long after its socket opened
    std::uint32_t ramp_s = 0;            // connection attempts spread over this time
    std::string talk_wav;                // empty: silent callers
    std::uint32_t talk_every_ms = 6000;  // from the start of one phrase to the next
    std::uint32_t pause_ms = 800;        // bot silence before the caller talks again
    std::uint32_t greeting_timeout_ms = 10000;  // connect -> first bot audio
    std::uint32_t reply_timeout_ms = 10000;     // end of a phrase -> first bot audio
    bool json = false;
};

struct LoadParseOutcome {
    std::optional<LoadOptions> options;
    int exit_code = 0;
};

// True when argv asks for the load generator (a --load flag anywhere).
bool wants_load(int argc, char** argv);

// Parses argv. Returns the options, or nullopt after printing the problem (exit_code 2) or the
// help text (exit_code 0).
LoadParseOutcome parse_load_options(int argc, char** argv);

}  // namespace ringoverbot::callsim
