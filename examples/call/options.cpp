#include "call/options.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "ringoverbot.h"

namespace ringoverbot::callsim {

namespace {

constexpr const char* kUsage =
    "usage: ringoverbot-call [--url ws://127.0.0.1:8765/ws] [--say TEXT]... [--wav FILE]...\n"
    "                        [--calls N] [--inbound l16|json] [--rate 8000|16000] [--barge-in]\n"
    "                        [--out FILE.wav] [--timeline FILE.svg] [--json]\n"
    "                        [--echo-db DB [--echo-delay-ms MS]] [--noise-dbfs DB]\n"
    "A simulated Ringover media server and caller: opens the streamer socket, sends call_start,\n"
    "then the caller's audio in real time (20 ms frames); plays the bot's streamAudio on its own\n"
    "clock, honours break, records play/digits/transfer, and prints one row per turn.\n"
    "  --url URL            the agent's streamer socket (ws:// or wss://)\n"
    "  --say TEXT           a line the caller says (synthesized with flite); repeatable\n"
    "  --wav FILE           a line the caller says, from a WAV file; repeatable, in order with "
    "--say\n"
    "  --calls N            N calls at once (prints a latency and error summary)\n"
    "  --inbound l16|json   binary L16 frames, or audio_data JSON events (default l16)\n"
    "  --encoding L16|PCMU|PCMA  audio_data encoding with --inbound json (default PCMU at 8 kHz,\n"
    "                       L16 at 16 kHz)\n"
    "  --rate 8000|16000    the line's sample rate (default 8000)\n"
    "  --barge-in           every line after the first starts while the bot is still answering\n"
    "  --barge-in-ms MS     how far into the bot's reply the caller barges in (default 1000)\n"
    "  --pause-ms MS        bot silence that ends a reply before the next line (default 800)\n"
    "  --echo-db DB         a speakerphone: the bot's played audio comes back into the caller's\n"
    "                       line DB quieter (the echo return loss, 0..60)\n"
    "  --echo-delay-ms MS   that echo's delay after the bot's audio played (20..1000, default "
    "100)\n"
    "  --noise-dbfs DB      white line noise under the caller's audio at DB dBFS (-100..0)\n"
    "  --out FILE.wav       stereo WAV of the (first) call: caller left, bot right\n"
    "  --timeline FILE.svg  SVG timeline of the (first) call: both lanes' audio, each turn's\n"
    "                       words and latency, barge-ins and actions\n"
    "  --json               one JSON object instead of the table\n"
    "  --dialog FILE        the agent's dialog: its replies are the transcription grammar\n"
    "                       (default: the bundled examples/demo-dialog.json)\n"
    "  --voice slt|kal      the caller's flite voice (default slt)\n"
    "  --transcribe auto|on|off  transcribe the bot's replies (auto: only for a single call)\n"
    "  --token TOKEN        sent as Authorization: Bearer (default $RINGOVERBOT_STREAM_TOKEN)\n"
    "  --from NUMBER, --to NUMBER  the call's numbers in call_start\n"
    "  --timeout S          per-call limit (default 120)\n"
    "  --greeting-timeout MS, --reply-timeout MS  waits for the bot (default 10000 each)\n"
    "  --ramp-ms MS         spread the connections of --calls over MS (default 0: all at once)\n"
    "Exit 0 when every call ended cleanly, 1 otherwise, 2 on bad usage.\n";

bool parse_u32(std::string_view s, std::uint32_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool parse_double(std::string_view s, double& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size() && std::isfinite(out);
}

ParseOutcome fail(const std::string& message) {
    std::fprintf(stderr, "ringoverbot-call: %s (see --help)\n", message.c_str());
    return {std::nullopt, 2};
}

}  // namespace

streamer::Encoding Options::wire_encoding() const {
    if (inbound == InboundForm::l16) return streamer::Encoding::l16;
    if (json_encoding) return *json_encoding;
    return rate_hz == 8000 ? streamer::Encoding::pcmu : streamer::Encoding::l16;
}

bool Options::transcribing() const {
    switch (transcribe) {
        case Transcribe::on:
            return true;
        case Transcribe::off:
            return false;
        case Transcribe::automatic:
            break;
    }
    return calls == 1;
}

ParseOutcome parse_options(int argc, char** argv) {
    Options o;
    if (const char* t = std::getenv("RINGOVERBOT_STREAM_TOKEN")) o.token = t;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::fputs(kUsage, stdout);
            return {std::nullopt, 0};
        }
        if (flag == "--version") {
            std::printf("ringoverbot-call %s\n", rob_version_string());
            return {std::nullopt, 0};
        }
        if (flag == "--barge-in") {
            o.barge_in = true;
            continue;
        }
        if (flag == "--json") {
            o.json = true;
            continue;
        }
        if (i + 1 >= argc) return fail(std::string(flag) + " needs a value");
        const std::string_view value = argv[++i];
        auto number = [&](std::uint32_t& out, std::uint32_t lo, std::uint32_t hi) -> bool {
            return parse_u32(value, out) && out >= lo && out <= hi;
        };
        auto range = [&](std::uint32_t lo, std::uint32_t hi) {
            return fail(std::string(flag) + " must be a number from " + std::to_string(lo) +
                        " to " + std::to_string(hi) + ", not '" + std::string(value) + "'");
        };
        if (flag == "--url") {
            if (!value.starts_with("ws://") && !value.starts_with("wss://"))
                return fail("--url must start with ws:// or wss://");
            o.url = value;
        } else if (flag == "--say") {
            if (value.empty()) return fail("--say needs a non-empty text");
            o.lines.push_back({false, std::string(value)});
        } else if (flag == "--wav") {
            o.lines.push_back({true, std::string(value)});
        } else if (flag == "--calls") {
            if (!number(o.calls, 1, 2000)) return range(1, 2000);
        } else if (flag == "--inbound") {
            if (value == "l16")
                o.inbound = InboundForm::l16;
            else if (value == "json")
                o.inbound = InboundForm::json;
            else
                return fail("--inbound must be l16 or json");
        } else if (flag == "--encoding") {
            if (value == "L16" || value == "l16")
                o.json_encoding = streamer::Encoding::l16;
            else if (value == "PCMU" || value == "pcmu")
                o.json_encoding = streamer::Encoding::pcmu;
            else if (value == "PCMA" || value == "pcma")
                o.json_encoding = streamer::Encoding::pcma;
            else
                return fail("--encoding must be L16, PCMU or PCMA");
        } else if (flag == "--rate") {
            if (value == "8000")
                o.rate_hz = 8000;
            else if (value == "16000")
                o.rate_hz = 16000;
            else
                return fail("--rate must be 8000 or 16000");
        } else if (flag == "--barge-in-ms") {
            if (!number(o.barge_in_ms, 0, 60000)) return range(0, 60000);
        } else if (flag == "--pause-ms") {
            if (!number(o.pause_ms, 100, 60000)) return range(100, 60000);
        } else if (flag == "--echo-db") {
            double db = 0;
            if (!parse_double(value, db) || db < 0 || db > 60)
                return fail("--echo-db must be a number of dB from 0 to 60, not '" +
                            std::string(value) + "'");
            o.echo_db = db;
        } else if (flag == "--echo-delay-ms") {
            if (!number(o.echo_delay_ms, 20, 1000)) return range(20, 1000);
        } else if (flag == "--noise-dbfs") {
            double db = 0;
            if (!parse_double(value, db) || db < -100 || db > 0)
                return fail("--noise-dbfs must be a level from -100 to 0 dBFS, not '" +
                            std::string(value) + "'");
            o.noise_dbfs = db;
        } else if (flag == "--out") {
            o.out_wav = value;
        } else if (flag == "--timeline") {
            o.timeline_svg = value;
        } else if (flag == "--dialog") {
            o.dialog = value;
        } else if (flag == "--voice") {
            if (value != "slt" && value != "kal") return fail("--voice must be slt or kal");
            o.voice = value;
        } else if (flag == "--transcribe") {
            if (value == "auto")
                o.transcribe = Options::Transcribe::automatic;
            else if (value == "on")
                o.transcribe = Options::Transcribe::on;
            else if (value == "off")
                o.transcribe = Options::Transcribe::off;
            else
                return fail("--transcribe must be auto, on or off");
        } else if (flag == "--token") {
            o.token = value;
        } else if (flag == "--from") {
            o.from_number = value;
        } else if (flag == "--to") {
            o.to_number = value;
        } else if (flag == "--timeout") {
            if (!number(o.timeout_s, 1, 86400)) return range(1, 86400);
        } else if (flag == "--greeting-timeout") {
            if (!number(o.greeting_timeout_ms, 100, 600000)) return range(100, 600000);
        } else if (flag == "--reply-timeout") {
            if (!number(o.reply_timeout_ms, 100, 600000)) return range(100, 600000);
        } else if (flag == "--ramp-ms") {
            if (!number(o.ramp_ms, 0, 600000)) return range(0, 600000);
        } else {
            return fail("unknown flag " + std::string(flag));
        }
    }
    if (o.inbound == InboundForm::l16 && o.json_encoding &&
        *o.json_encoding != streamer::Encoding::l16)
        return fail("--encoding PCMU/PCMA needs --inbound json (binary frames are L16)");
    return {std::move(o), 0};
}

}  // namespace ringoverbot::callsim
