#include "call/load_options.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ringoverbot::callsim {

namespace {

constexpr const char* kUsage =
    "usage: ringoverbot-call --load N [--duration S] [--ramp S] [--talk FILE.wav]\n"
    "                        [--url ws://127.0.0.1:8765/ws] [--json]\n"
    "The load generator: N simulated Ringover calls on one event loop. Each sends call_start,\n"
    "then 20 ms binary L16 frames at 8 kHz (silence, or FILE.wav every ~6 s once the bot's\n"
    "reply has finished), and follows the bot's audio on its own playout clock.\n"
    "  --load N             concurrent calls\n"
    "  --duration S         each call's length after its socket opened (default 60)\n"
    "  --ramp S             spread the connection attempts over S seconds (default 0)\n"
    "  --talk FILE.wav      what the caller says (read and resampled once, before any call)\n"
    "  --talk-every-ms MS   from the start of one phrase to the next, at least (default 6000)\n"
    "  --pause-ms MS        bot silence before the caller talks again (default 800)\n"
    "  --greeting-timeout MS, --reply-timeout MS  waits for the bot (default 10000 each)\n"
    "  --url URL            the agent's streamer socket (ws:// or wss://)\n"
    "  --token TOKEN        sent as Authorization: Bearer (default $RINGOVERBOT_STREAM_TOKEN)\n"
    "  --json               one JSON object instead of the text summary\n"
    "Reports calls started/greeted/failed, greeting and reply latency percentiles, audio gaps\n"
    "and the generator's own CPU. Exit 0 when no call failed, 1 otherwise, 2 on bad usage.\n";

bool parse_u32(std::string_view s, std::uint32_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

LoadParseOutcome fail(const std::string& message) {
    std::fprintf(stderr, "ringoverbot-call: %s (see --load --help)\n", message.c_str());
    return {std::nullopt, 2};
}

}  // namespace

bool wants_load(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--load" || a.starts_with("--load=")) return true;
    }
    return false;
}

LoadParseOutcome parse_load_options(int argc, char** argv) {
    LoadOptions o;
    if (const char* t = std::getenv("RINGOVERBOT_STREAM_TOKEN")) o.token = t;
    bool have_calls = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view value;
        bool has_inline = false;
        if (arg.starts_with("--")) {
            if (const auto eq = arg.find('='); eq != std::string_view::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline = true;
            }
        }
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return {std::nullopt, 0};
        }
        if (arg == "--json") {
            o.json = true;
            continue;
        }
        if (!has_inline) {
            if (i + 1 >= argc) return fail(std::string(arg) + " needs a value");
            value = argv[++i];
        }
        std::uint32_t n = 0;
        auto number = [&](std::uint32_t lo, std::uint32_t hi, std::uint32_t& out) {
            if (!parse_u32(value, n) || n < lo || n > hi) return false;
            out = n;
            return true;
        };
        const std::string bad = std::string(arg) + ": bad value '" + std::string(value) + "'";
        if (arg == "--load") {
            if (!number(1, 100000, o.calls)) return fail(bad);
            have_calls = true;
        } else if (arg == "--duration") {
            if (!number(1, 86400, o.duration_s)) return fail(bad);
        } else if (arg == "--ramp") {
            if (!number(0, 3600, o.ramp_s)) return fail(bad);
        } else if (arg == "--talk") {
            o.talk_wav = std::string(value);
        } else if (arg == "--talk-every-ms") {
            if (!number(1000, 600000, o.talk_every_ms)) return fail(bad);
        } else if (arg == "--pause-ms") {
            if (!number(0, 60000, o.pause_ms)) return fail(bad);
        } else if (arg == "--greeting-timeout") {
            if (!number(100, 600000, o.greeting_timeout_ms)) return fail(bad);
        } else if (arg == "--reply-timeout") {
            if (!number(100, 600000, o.reply_timeout_ms)) return fail(bad);
        } else if (arg == "--url") {
            o.url = std::string(value);
        } else if (arg == "--token") {
            o.token = std::string(value);
        } else {
            return fail("unknown flag " + std::string(arg));
        }
    }
    if (!have_calls) return fail("--load N is required");
    return {o, 0};
}

}  // namespace ringoverbot::callsim
