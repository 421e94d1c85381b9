#include "call/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "call/json_writer.hpp"

namespace ringoverbot::callsim {

namespace {

double ms(std::int64_t us) {
    return static_cast<double>(us) / 1000.0;
}

double samples_ms(std::uint64_t samples, std::uint32_t rate_hz) {
    return rate_hz ? static_cast<double>(samples) * 1000.0 / rate_hz : 0.0;
}

std::string fixed(double v, int decimals = 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string command_text(const CommandRecord& c, const TurnRecord& turn) {
    switch (c.kind) {
        case BotCommandKind::break_playback:
            if (turn.interrupted && c.at_us == turn.break_us && turn.break_after_line_us >= 0)
                return "break, " + fixed(ms(turn.break_after_line_us)) +
                       " ms after the caller cut in";
            return "break";
        case BotCommandKind::stream_audio:
            return "streamAudio " + c.value;
        default:
            return std::string(command_name(c.kind)) + " " + c.value;
    }
}

std::string bot_text(const TurnRecord& t, std::uint32_t rate_hz) {
    std::string s;
    if (t.played.empty()) {
        s = t.received_samples ? "(audio received, none played)" : "(no audio)";
    } else if (t.transcribed) {
        s = t.transcript.empty() ? "(not recognised)" : t.transcript;
    } else {
        s = "(" + fixed(samples_ms(t.played.size(), rate_hz) / 1000.0, 1) + " s of audio)";
    }
    if (t.interrupted)
        s += " [cut after " + fixed(samples_ms(t.played.size(), rate_hz) / 1000.0, 1) + " s]";
    return s;
}

// Word-wraps `text` into lines of at most `width` characters (long words are split).
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
    std::vector<std::string> lines;
    std::string line;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        std::size_t j = text.find(' ', i);
        if (j == std::string::npos) j = text.size();
        std::string word = text.substr(i, j - i);
        i = j;
        while (word.size() > width) {
            if (!line.empty()) lines.push_back(std::move(line)), line.clear();
            lines.push_back(word.substr(0, width));
            word.erase(0, width);
        }
        if (word.empty()) continue;
        if (!line.empty() && line.size() + 1 + word.size() > width) {
            lines.push_back(std::move(line));
            line.clear();
        }
        if (!line.empty()) line.push_back(' ');
        line += word;
    }
    if (!line.empty() || lines.empty()) lines.push_back(line);
    return lines;
}

void append_row(std::string& out, const std::vector<std::string>& cells,
                const std::vector<std::size_t>& widths) {
    std::vector<std::vector<std::string>> wrapped;
    std::size_t rows = 1;
    for (std::size_t c = 0; c < cells.size(); ++c) {
        wrapped.push_back(wrap(cells[c], widths[c]));
        rows = std::max(rows, wrapped.back().size());
    }
    for (std::size_t r = 0; r < rows; ++r) {
        std::string line;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::string& part = r < wrapped[c].size() ? wrapped[c][r] : std::string();
            line += part;
            if (c + 1 < cells.size()) line += std::string(widths[c] - part.size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line;
        out += '\n';
    }
}

void write_percentiles(JsonWriter& w, std::string_view key, const Percentiles& p) {
    w.key(key).begin_object().key("n").uinteger(p.n);
    if (p.n) {
        w.key("p50").number(p.p50).key("p95").number(p.p95).key("max").number(p.max);
    } else {
        w.key("p50").null().key("p95").null().key("max").null();
    }
    w.end_object();
}

std::string percentile_line(const char* label, const Percentiles& p) {
    char buf[160];
    if (!p.n) {
        std::snprintf(buf, sizeof buf, "%-24s  (none)\n", label);
    } else {
        std::snprintf(buf, sizeof buf, "%-24s  p50 %6.0f  p95 %6.0f  max %6.0f   (n=%zu)\n", label,
                      p.p50, p.p95, p.max, p.n);
    }
    return buf;
}

}  // namespace

Percentiles percentiles(std::vector<double> values) {
    Percentiles p;
    p.n = values.size();
    if (values.empty()) return p;
    std::sort(values.begin(), values.end());
    auto rank = [&](double q) {
        const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
        return values[std::clamp<std::size_t>(k, 1, values.size()) - 1];
    };
    p.p50 = rank(0.50);
    p.p95 = rank(0.95);
    p.max = values.back();
    return p;
}

Summary summarize(const std::vector<const CallRecord*>& calls) {
    Summary s;
    std::vector<double> greeting, turn, brk;
    std::map<std::string, std::size_t> errors;
    for (const CallRecord* c : calls) {
        ++s.calls;
        (c->clean ? s.clean : s.failed) += 1;
        for (const TurnRecord& t : c->turns) {
            const std::int64_t l = t.latency_us(c->start_us);
            if (l >= 0) (t.index == 0 ? greeting : turn).push_back(ms(l));
            if (t.interrupted && t.break_after_line_us >= 0)
                brk.push_back(ms(t.break_after_line_us));
        }
        for (const std::string& e : c->errors) ++errors[e];
    }
    s.greeting_ms = percentiles(std::move(greeting));
    s.turn_ms = percentiles(std::move(turn));
    s.break_ms = percentiles(std::move(brk));
    s.errors.assign(errors.begin(), errors.end());
    std::sort(s.errors.begin(), s.errors.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    return s;
}

std::string format_table(const CallRecord& call, const RunInfo& info) {
    std::string out;
    out += "call " + std::to_string(call.index + 1) + " (call_id " + call.call_id + ") " +
           info.url + ", " + info.inbound + " " + info.encoding + " at " +
           std::to_string(info.rate_hz) + " Hz\n";
    const std::vector<std::size_t> widths = {2, 28, 40, 30, 10};
    append_row(out, {"#", "caller said", "bot said (transcribed)", "commands", "latency"}, widths);
    append_row(out,
               {"--", std::string(28, '-'), std::string(40, '-'), std::string(30, '-'),
                std::string(10, '-')},
               widths);
    for (const TurnRecord& t : call.turns) {
        if (t.index > call.lines_said && t.played.empty() && t.commands.empty()) continue;
        std::string caller = t.index == 0 ? "(greeting)" : t.caller;
        if (t.barged_in) caller += " [over the bot]";
        std::string cmds;
        for (const CommandRecord& c : t.commands) {
            if (!cmds.empty()) cmds += "; ";
            cmds += command_text(c, t);
        }
        if (cmds.empty()) cmds = "-";
        const std::int64_t l = t.latency_us(call.start_us);
        append_row(out,
                   {std::to_string(t.index), caller, bot_text(t, info.rate_hz), cmds,
                    l >= 0 ? fixed(ms(l)) + " ms" : "-"},
                   widths);
    }
    out += "ended: " + (call.end_reason.empty() ? std::string("-") : call.end_reason) + "; " +
           (call.clean ? "clean" : "NOT clean") + "; " +
           fixed(static_cast<double>(call.ticks) * 0.02, 1) + " s\n";
    for (const std::string& e : call.errors) out += "error: " + e + "\n";
    return out;
}

std::string format_summary(const Summary& s, const RunInfo& info) {
    std::string out;
    out += std::to_string(s.calls) + " call(s) to " + info.url + ": " + std::to_string(s.clean) +
           " ended cleanly, " + std::to_string(s.failed) + " failed\n";
    out += "latency, ms:\n";
    out += percentile_line("  greeting", s.greeting_ms);
    out += percentile_line("  reply (end of speech)", s.turn_ms);
    out += percentile_line("  break (barge-in)", s.break_ms);
    for (const auto& [message, n] : s.errors)
        out += "error in " + std::to_string(n) + " call(s): " + message + "\n";
    char buf[160];
    std::snprintf(buf, sizeof buf, "simulator CPU: %.2f s over %.1f s (%.1f %% of one core)\n",
                  info.cpu_s, info.wall_s,
                  info.wall_s > 0 ? 100.0 * info.cpu_s / info.wall_s : 0.0);
    out += buf;
    if (!info.out_wav.empty()) out += "wrote " + info.out_wav + "\n";
    if (!info.timeline_svg.empty()) out += "wrote " + info.timeline_svg + "\n";
    return out;
}

std::string format_json(const std::vector<const CallRecord*>& calls, const Summary& s,
                        const RunInfo& info) {
    std::string out;
    JsonWriter w(out);
    w.begin_object()
        .field("url", info.url)
        .field("inbound", info.inbound)
        .field("encoding", info.encoding)
        .key("rate")
        .uinteger(info.rate_hz)
        .field_bool("barge_in", info.barge_in)
        .key("calls")
        .begin_array();
    for (const CallRecord* c : calls) {
        w.begin_object()
            .key("index")
            .uinteger(c->index)
            .field("call_id", c->call_id)
            .field_bool("ok", c->clean)
            .field("end", c->end_reason)
            .key("errors")
            .begin_array();
        for (const std::string& e : c->errors) w.string(e);
        w.end_array();
        const std::int64_t g = c->turns.empty() ? -1 : c->turns[0].latency_us(c->start_us);
        w.key("greeting_ms");
        g >= 0 ? w.number(ms(g)) : w.null();
        w.key("duration_ms").number(static_cast<double>(c->ticks) * 20.0);
        w.key("lines_said").uinteger(c->lines_said);
        w.key("protocol_errors").uinteger(c->protocol_errors);
        w.key("turns").begin_array();
        for (const TurnRecord& t : c->turns) {
            w.begin_object().key("turn").uinteger(t.index);
            w.key("caller");
            t.index == 0 ? w.null() : w.string(t.caller);
            w.field_bool("barged_in", t.barged_in);
            w.key("bot");
            t.transcribed ? w.string(t.transcript) : w.null();
            const std::int64_t l = t.latency_us(c->start_us);
            w.key("latency_ms");
            l >= 0 ? w.number(ms(l)) : w.null();
            w.key("speech_start_ms");
            t.speech_start_us >= 0 ? w.number(ms(t.speech_start_us - c->start_us)) : w.null();
            w.key("speech_end_ms");
            t.speech_end_us >= 0 ? w.number(ms(t.speech_end_us - c->start_us)) : w.null();
            w.key("first_audio_ms");
            t.first_audio_us >= 0 ? w.number(ms(t.first_audio_us - c->start_us)) : w.null();
            w.key("commands").begin_array();
            for (const CommandRecord& cmd : t.commands) {
                w.begin_object().field("event", command_name(cmd.kind));
                if (cmd.kind != BotCommandKind::break_playback) w.field("data", cmd.value);
                w.key("at_ms").number(ms(cmd.at_us - c->start_us)).end_object();
            }
            w.end_array();
            w.field_bool("interrupted", t.interrupted);
            w.key("break_ms");
            t.break_after_line_us >= 0 ? w.number(ms(t.break_after_line_us)) : w.null();
            w.key("bot_audio_ms").number(samples_ms(t.played.size(), info.rate_hz));
            w.key("received_audio_ms").number(samples_ms(t.received_samples, info.rate_hz));
            w.key("dropped_audio_ms").number(samples_ms(t.dropped_samples, info.rate_hz));
            w.key("audio_after_break_ms").number(samples_ms(t.after_break_samples, info.rate_hz));
            w.key("overlap_ms").number(samples_ms(t.overlap_samples, info.rate_hz));
            w.end_object();
        }
        w.end_array().end_object();
    }
    w.end_array();
    w.key("summary").begin_object();
    w.key("calls").uinteger(s.calls).key("ok").uinteger(s.clean).key("failed").uinteger(s.failed);
    write_percentiles(w, "greeting_ms", s.greeting_ms);
    write_percentiles(w, "turn_ms", s.turn_ms);
    write_percentiles(w, "break_ms", s.break_ms);
    w.key("errors").begin_array();
    for (const auto& [message, n] : s.errors)
        w.begin_object().field("error", message).key("calls").uinteger(n).end_object();
    w.end_array();
    w.key("cpu_s").number(info.cpu_s).key("wall_s").number(info.wall_s);
    w.key("cpu_percent").number(info.wall_s > 0 ? 100.0 * info.cpu_s / info.wall_s : 0.0);
    w.end_object();
    w.key("out");
    info.out_wav.empty() ? w.null() : w.string(info.out_wav);
    w.key("timeline");
    info.timeline_svg.empty() ? w.null() : w.string(info.timeline_svg);
    w.end_object();
    out += '\n';
    return out;
}

}  // namespace ringoverbot::callsim
