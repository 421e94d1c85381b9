// ringoverbot-call (examples/ringoverbot-call.md): a simulated Ringover media server and caller.
// It opens the streamer socket like Ringover would, says each --say/--wav line in real time, plays
// the bot's audio, honours break, records play/digits/transfer, transcribes what the caller heard,
// and prints one row per turn (or, with --calls N, a latency and error summary).
// Exit 0 when every call ended cleanly, 1 otherwise, 2 on bad usage.
// With --load N it is the load generator instead (call/load_command.hpp).
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "call/caller_lines.hpp"
#include "call/load_command.hpp"
#include "call/load_options.hpp"
#include "call/media_client.hpp"
#include "call/options.hpp"
#include "call/report.hpp"
#include "call/simulated_call.hpp"
#include "call/timeline.hpp"
#include "call/transcriber.hpp"
#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"

namespace {

using namespace ringoverbot;
using namespace ringoverbot::callsim;

#ifndef ROB_DEMO_DIALOG
#define ROB_DEMO_DIALOG "examples/demo-dialog.json"
#endif

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// The bundled demo dialog, found as ringoverbot-agent finds it: installed beside the program
// (../share/ringoverbot/), else the source tree's copy.
std::string bundled_dialog() {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed =
            exe.parent_path() / ".." / "share" / "ringoverbot" / "demo-dialog.json";
        if (fs::exists(installed, ec)) return installed.string();
    }
    return ROB_DEMO_DIALOG;
}

// The bot's phrases (greeting, fallback, replies) from the dialog, for the grammar.
std::vector<std::string> dialog_replies(const Options& options, bool& ok) {
    ok = true;
    const std::string path = options.dialog.empty() ? bundled_dialog() : options.dialog;
    std::string text;
    if (!read_file(path, text)) {
        if (!options.dialog.empty()) {
            std::fprintf(stderr, "ringoverbot-call: cannot read --dialog %s\n", path.c_str());
            ok = false;
        } else if (options.transcribing()) {
            std::fprintf(stderr,
                         "ringoverbot-call: no bundled dialog at %s: transcribing without a "
                         "grammar (give --dialog)\n",
                         path.c_str());
        }
        return {};
    }
    auto summary = providers::describe_dialog(text);
    if (!summary) {
        std::fprintf(stderr, "ringoverbot-call: %s: %s\n", path.c_str(),
                     summary.error().message.c_str());
        ok = false;
        return {};
    }
    std::vector<std::string> replies = summary->replies;
    for (const std::string* said :
         {&summary->confirm_end, &summary->confirm_transfer, &summary->misunderstood_say})
        if (!said->empty()) replies.push_back(*said);
    replies.insert(replies.begin(), summary->fallback);
    replies.insert(replies.begin(), summary->greeting);
    return replies;
}

std::uint64_t call_id_base() {
    // Distinct across runs (Ringover's ids are large uint64 numbers).
    const auto t = static_cast<std::uint64_t>(now_us());
    return 7'000'000'000'000'000'000ULL + (t % 1'000'000'000'000ULL) * 1000;
}

}  // namespace

int main(int argc, char** argv) {
    if (wants_load(argc, argv)) return run_load_command(argc, argv);
    ParseOutcome parsed = parse_options(argc, argv);
    if (!parsed.options) return parsed.exit_code;
    const Options& options = *parsed.options;

    auto url = parse_ws_url(options.url);
    if (!url) {
        std::fprintf(stderr, "ringoverbot-call: --url %s: %s\n", options.url.c_str(),
                     url.error().message.c_str());
        return 2;
    }
    bool dialog_ok = true;
    const std::vector<std::string> replies = dialog_replies(options, dialog_ok);
    if (!dialog_ok) return 2;

    auto pool = providers::WorkerPool::create(1);
    auto lines = prepare_caller_lines(options, pool);
    if (!lines) {
        std::fprintf(stderr, "ringoverbot-call: %s\n", lines.error().message.c_str());
        return lines.code() == Errc::io || lines.code() == Errc::bad_wav ||
                       lines.code() == Errc::unsupported
                   ? 2
                   : 1;
    }

    CallSetup setup;
    setup.rate_hz = options.rate_hz;
    setup.inbound = options.inbound;
    setup.encoding = options.wire_encoding();
    setup.barge_in = options.barge_in;
    setup.barge_in_ms = options.barge_in_ms;
    setup.pause_ms = options.pause_ms;
    setup.greeting_timeout_ms = options.greeting_timeout_ms;
    setup.reply_timeout_ms = options.reply_timeout_ms;
    setup.timeout_ms = options.timeout_s * 1000;
    setup.from_number = options.from_number;
    setup.to_number = options.to_number;
    if (options.echo_db) setup.echo_gain = std::pow(10.0, -*options.echo_db / 20.0);
    setup.echo_delay_ms = options.echo_delay_ms;
    if (options.noise_dbfs) setup.noise_rms = 32767.0 * std::pow(10.0, *options.noise_dbfs / 20.0);

    std::vector<std::unique_ptr<SimulatedCall>> calls;
    const std::uint64_t base = call_id_base();
    for (std::uint32_t i = 0; i < options.calls; ++i) {
        CallSetup s = setup;
        s.record_stereo = i == 0 && !options.out_wav.empty();
        s.record_timeline = i == 0 && !options.timeline_svg.empty();
        calls.push_back(std::make_unique<SimulatedCall>(i, base + i, s, *lines));
    }

    ClientConfig client;
    client.url = *url;
    client.token = options.token;
    if (const char* ca = std::getenv("RINGOVERBOT_CA_FILE")) client.ca_file = ca;
    client.ramp_ms = options.ramp_ms;
    client.hard_limit_s = options.timeout_s + options.ramp_ms / 1000 + 30;

    const double cpu0 = cpu_seconds();
    const std::int64_t wall0 = now_us();
    if (auto st = run_calls(client, calls); !st) {
        std::fprintf(stderr, "ringoverbot-call: %s\n", st.error().message.c_str());
        return 1;
    }
    RunInfo info;
    info.wall_s = static_cast<double>(now_us() - wall0) / 1e6;
    info.cpu_s = cpu_seconds() - cpu0;
    info.url = options.url;
    info.rate_hz = options.rate_hz;
    info.inbound = options.inbound == InboundForm::l16 ? "l16" : "json";
    info.encoding = std::string(streamer::encoding_name(setup.encoding));
    info.barge_in = options.barge_in;

    bool all_clean = true;
    for (const auto& c : calls) all_clean = all_clean && c->record().clean;

    if (options.transcribing()) {
        auto transcriber = Transcriber::create(replies, pool);
        if (!transcriber) {
            std::fprintf(stderr, "ringoverbot-call: cannot transcribe: %s\n",
                         transcriber.error().message.c_str());
        } else {
            for (auto& c : calls) (*transcriber)->transcribe(c->record(), options.rate_hz);
        }
    }

    if (!options.out_wav.empty()) {
        const CallRecord& first = calls.front()->record();
        if (auto st = audio::write_wav_file(options.out_wav, first.stereo, options.rate_hz, 2);
            !st) {
            std::fprintf(stderr, "ringoverbot-call: --out %s: %s\n", options.out_wav.c_str(),
                         st.error().message.c_str());
            all_clean = false;
        } else {
            info.out_wav = options.out_wav;
        }
    }

    if (!options.timeline_svg.empty()) {
        const std::string svg = agent::render_timeline_svg(call_timeline(calls.front()->record()));
        std::ofstream out(options.timeline_svg, std::ios::binary | std::ios::trunc);
        out.write(svg.data(), static_cast<std::streamsize>(svg.size()));
        out.close();
        if (!out) {
            std::fprintf(stderr, "ringoverbot-call: --timeline %s: cannot write the file\n",
                         options.timeline_svg.c_str());
            all_clean = false;
        } else {
            info.timeline_svg = options.timeline_svg;
        }
    }

    std::vector<const CallRecord*> records;
    for (const auto& c : calls) records.push_back(&c->record());
    const Summary summary = summarize(records);
    std::string text;
    if (options.json) {
        text = format_json(records, summary, info);
    } else {
        if (calls.size() == 1) text = format_table(*records.front(), info) + "\n";
        text += format_summary(summary, info);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return all_clean ? 0 : 1;
}
