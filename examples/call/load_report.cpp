#include "call/load_report.hpp"

#include <algorithm>
#include <cstdio>

#include "call/json_writer.hpp"

namespace ringoverbot::callsim {

namespace {

constexpr std::size_t kFailuresShown = 10;

double ms(std::int64_t us) {
    return static_cast<double>(us) / 1000.0;
}

std::string fixed(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string line(const char* name, const Percentiles& p) {
    if (p.count == 0) return std::string(name) + ": none\n";
    return std::string(name) + " ms: p50 " + fixed(p.p50_ms) + ", p95 " + fixed(p.p95_ms) +
           ", p99 " + fixed(p.p99_ms) + ", max " + fixed(p.max_ms) + " (" +
           std::to_string(p.count) + ")\n";
}

void write_percentiles(JsonWriter& w, const char* key, const Percentiles& p) {
    w.key(key)
        .begin_object()
        .key("count")
        .uinteger(p.count)
        .key("p50")
        .number(p.p50_ms)
        .key("p95")
        .number(p.p95_ms)
        .key("p99")
        .number(p.p99_ms)
        .key("max")
        .number(p.max_ms)
        .end_object();
}

}  // namespace

Percentiles percentiles_ms(std::vector<std::int64_t> samples_us) {
    Percentiles p;
    p.count = samples_us.size();
    if (samples_us.empty()) return p;
    std::sort(samples_us.begin(), samples_us.end());
    auto rank = [&](double q) {
        // Nearest rank: the smallest sample with at least q of them at or below it.
        const auto n = samples_us.size();
        auto k = static_cast<std::size_t>(q * static_cast<double>(n) + 0.999999);
        k = std::clamp<std::size_t>(k, 1, n);
        return ms(samples_us[k - 1]);
    };
    p.p50_ms = rank(0.50);
    p.p95_ms = rank(0.95);
    p.p99_ms = rank(0.99);
    p.max_ms = ms(samples_us.back());
    return p;
}

LoadSummary summarize_load(const std::vector<LoadCall>& calls,
                           const std::vector<std::int64_t>& reply_latencies_us) {
    LoadSummary s;
    s.calls = calls.size();
    std::vector<std::int64_t> greetings;
    std::int64_t max_gap = 0, max_late = 0;
    for (std::size_t i = 0; i < calls.size(); ++i) {
        const LoadCallRecord& r = calls[i].record();
        if (r.open_us >= 0) ++s.started;
        if (r.greeting_us >= 0) {
            ++s.greeted;
            greetings.push_back(r.greeting_us - r.connect_us);
        }
        if (r.failed) {
            ++s.failed;
            if (s.failures.size() < kFailuresShown)
                s.failures.push_back("call " + std::to_string(i) + ": " + r.failure);
        }
        if (r.gaps > 0) ++s.gap_calls;
        s.gaps += r.gaps;
        max_gap = std::max(max_gap, r.max_gap_us);
        max_late = std::max(max_late, r.max_frame_late_us);
        s.phrases += r.phrases;
        s.replies += r.replies;
        s.frames_sent += r.frames_sent;
    }
    s.greeting = percentiles_ms(std::move(greetings));
    s.reply = percentiles_ms(reply_latencies_us);
    s.max_gap_ms = ms(max_gap);
    s.max_frame_late_ms = ms(max_late);
    return s;
}

std::string format_load_text(const LoadSummary& s, const LoadRunInfo& info) {
    std::string out;
    out += "load: " + std::to_string(s.calls) + " calls of " + std::to_string(info.duration_s) +
           " s (" + (info.talk.empty() ? std::string("silent") : "talking: " + info.talk) +
           "), ramp " + std::to_string(info.ramp_s) + " s, " + info.url + "\n";
    out += "calls: started " + std::to_string(s.started) + ", greeted " +
           std::to_string(s.greeted) + ", failed " + std::to_string(s.failed) + "\n";
    out += line("greeting latency (connect -> first bot audio)", s.greeting);
    if (!info.talk.empty()) {
        out += "phrases said " + std::to_string(s.phrases) + ", replied " +
               std::to_string(s.replies) + "\n";
        out += line("reply latency (end of phrase -> first bot audio)", s.reply);
    }
    out += "audio gaps: " + std::to_string(s.gap_calls) + " calls (" + std::to_string(s.gaps) +
           " gaps, longest " + fixed(s.max_gap_ms) + " ms)\n";
    const double pct = info.wall_s > 0 ? 100.0 * info.cpu_s / info.wall_s : 0.0;
    out += "generator: " + std::to_string(s.frames_sent) + " frames, worst lag " +
           fixed(s.max_frame_late_ms) + " ms; CPU " + fixed(info.cpu_s) + " s over " +
           fixed(info.wall_s) + " s = " + fixed(pct) + " % of one core\n";
    for (const auto& f : s.failures) out += "failed: " + f + "\n";
    return out;
}

std::string format_load_json(const LoadSummary& s, const LoadRunInfo& info) {
    std::string out;
    JsonWriter w(out);
    w.begin_object()
        .field("url", info.url)
        .key("duration_s")
        .uinteger(info.duration_s)
        .key("ramp_s")
        .uinteger(info.ramp_s)
        .field("talk", info.talk)
        .key("calls")
        .uinteger(s.calls)
        .key("started")
        .uinteger(s.started)
        .key("greeted")
        .uinteger(s.greeted)
        .key("failed")
        .uinteger(s.failed);
    write_percentiles(w, "greeting_ms", s.greeting);
    write_percentiles(w, "reply_ms", s.reply);
    w.key("phrases")
        .uinteger(s.phrases)
        .key("replies")
        .uinteger(s.replies)
        .key("gap_calls")
        .uinteger(s.gap_calls)
        .key("gaps")
        .uinteger(s.gaps)
        .key("max_gap_ms")
        .number(s.max_gap_ms)
        .key("frames_sent")
        .uinteger(s.frames_sent)
        .key("max_frame_late_ms")
        .number(s.max_frame_late_ms)
        .key("cpu_s")
        .number(info.cpu_s)
        .key("wall_s")
        .number(info.wall_s)
        .key("failures")
        .begin_array();
    for (const auto& f : s.failures) w.string(f);
    w.end_array().end_object();
    out += "\n";
    return out;
}

}  // namespace ringoverbot::callsim
