#include "call/load_command.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

#include "call/caller_lines.hpp"
#include "call/load_client.hpp"
#include "call/load_options.hpp"
#include "call/load_report.hpp"

namespace ringoverbot::callsim {

namespace {

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// One socket per call: the soft descriptor limit (often 1024) goes up to the hard one.
bool raise_fd_limit(std::uint32_t calls) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
    }
    return lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= rlim_t{calls} + 64;
}

// The phrase as little-endian L16 bytes at 8 kHz, padded with silence to whole 20 ms frames.
Result<std::vector<std::uint8_t>> render_talk(const std::string& path) {
    Options o;
    o.rate_hz = 8000;
    o.lines.push_back(LineSource{true, path});
    auto lines = prepare_caller_lines(o, providers::WorkerPool::create(1));
    if (!lines) return lines.error();
    const std::vector<std::int16_t>& pcm = lines->front().samples;
    std::vector<std::uint8_t> bytes;
    const std::size_t frames = (pcm.size() * 2 + kFrameBytes - 1) / kFrameBytes;
    bytes.assign(frames * kFrameBytes, 0);
    for (std::size_t i = 0; i < pcm.size(); ++i) {
        const auto u = static_cast<std::uint16_t>(pcm[i]);
        bytes[2 * i] = static_cast<std::uint8_t>(u & 0xff);
        bytes[2 * i + 1] = static_cast<std::uint8_t>(u >> 8);
    }
    return bytes;
}

std::uint64_t call_id_base() {
    const auto t = static_cast<std::uint64_t>(now_us());
    return 7'100'000'000'000'000'000ULL + (t % 1'000'000'000'000ULL) * 100000;
}

}  // namespace

int run_load_command(int argc, char** argv) {
    LoadParseOutcome parsed = parse_load_options(argc, argv);
    if (!parsed.options) return parsed.exit_code;
    const LoadOptions& o = *parsed.options;

    auto url = parse_ws_url(o.url);
    if (!url) {
        std::fprintf(stderr, "ringoverbot-call: --url %s: %s\n", o.url.c_str(),
                     url.error().message.c_str());
        return 2;
    }
    if (!raise_fd_limit(o.calls)) {
        std::fprintf(stderr,
                     "ringoverbot-call: --load %u needs that many file descriptors; the limit "
                     "(ulimit -n) is lower\n",
                     o.calls);
        return 2;
    }
    std::vector<std::uint8_t> talk;
    if (!o.talk_wav.empty()) {
        auto rendered = render_talk(o.talk_wav);
        if (!rendered) {
            std::fprintf(stderr, "ringoverbot-call: --talk %s: %s\n", o.talk_wav.c_str(),
                         rendered.error().message.c_str());
            return 2;
        }
        talk = std::move(*rendered);
    }

    LoadCallSetup setup;
    setup.duration_us = std::int64_t{o.duration_s} * 1'000'000;
    setup.talk = talk;
    setup.talk_every_us = std::int64_t{o.talk_every_ms} * 1000;
    setup.pause_us = std::int64_t{o.pause_ms} * 1000;
    setup.greeting_timeout_us = std::int64_t{o.greeting_timeout_ms} * 1000;
    setup.reply_timeout_us = std::int64_t{o.reply_timeout_ms} * 1000;
    std::vector<LoadCall> calls;
    calls.reserve(o.calls);
    const std::uint64_t base = call_id_base();
    for (std::uint32_t i = 0; i < o.calls; ++i) calls.emplace_back(base + i, setup);

    LoadClientConfig client;
    client.url = *url;
    client.token = o.token;
    if (const char* ca = std::getenv("RINGOVERBOT_CA_FILE")) client.ca_file = ca;
    client.ramp_us = std::int64_t{o.ramp_s} * 1'000'000;
    client.hard_limit_us =
        (std::int64_t{o.ramp_s} + o.duration_s + o.greeting_timeout_ms / 1000 + 30) * 1'000'000;

    std::vector<std::int64_t> reply_latencies;
    const double cpu0 = cpu_seconds();
    const std::int64_t wall0 = now_us();
    if (auto st = run_load_calls(client, calls, reply_latencies); !st) {
        std::fprintf(stderr, "ringoverbot-call: %s\n", st.error().message.c_str());
        return 1;
    }
    LoadRunInfo info;
    info.url = o.url;
    info.duration_s = o.duration_s;
    info.ramp_s = o.ramp_s;
    info.talk = o.talk_wav;
    info.wall_s = static_cast<double>(now_us() - wall0) / 1e6;
    info.cpu_s = cpu_seconds() - cpu0;

    const LoadSummary summary = summarize_load(calls, reply_latencies);
    const std::string text =
        o.json ? format_load_json(summary, info) : format_load_text(summary, info);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return summary.failed == 0 ? 0 : 1;
}

}  // namespace ringoverbot::callsim
