// render_timeline_svg: a CallTimeline as one SVG document (timeline.hpp). Pure: no clock, no
// locale (numbers through std::to_chars), no I/O.
//
// Layout, top to bottom: the title and a summary line, the time axis, the caller's lane, the
// bot's lane (each with its audio envelope, on a dB scale so that quiet speech shows), the marks
// across both lanes, each turn's latency between the lanes, then one row per turn with its
// words in full.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/timeline.hpp"

namespace ringoverbot::agent {

std::string_view mark_kind_name(MarkKind kind) noexcept {
    switch (kind) {
        case MarkKind::barge_in:
            return "barge_in";
        case MarkKind::resume:
            return "resume";
        case MarkKind::action:
            return "action";
        case MarkKind::note:
            return "note";
    }
    return "note";
}

namespace {

constexpr double kWidth = 1200;
constexpr double kLeft = 96;  // lane names
constexpr double kRight = 24;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kAxisY = 64;
constexpr double kLaneHeight = 96;
constexpr double kCallerTop = 84;
constexpr double kLatencyBand = 28;  // between the lanes
constexpr double kBotTop = kCallerTop + kLaneHeight + kLatencyBand;
constexpr double kLanesBottom = kBotTop + kLaneHeight;
constexpr double kRowsTop = kLanesBottom + 44;
constexpr double kRowHeight = 20;
constexpr double kCharWidth = 6.2;  // of the 11 px sans-serif labels, on average
constexpr double kFloorDb = -60;    // an envelope's silence

constexpr std::string_view kCallerColour = "#2563eb";
constexpr std::string_view kBotColour = "#0d9488";

std::string_view mark_colour(MarkKind kind) {
    switch (kind) {
        case MarkKind::barge_in:
            return "#dc2626";
        case MarkKind::resume:
            return "#16a34a";
        case MarkKind::action:
            return "#7c3aed";
        case MarkKind::note:
            return "#6b7280";
    }
    return "#6b7280";
}

// ---- text ----------------------------------------------------------------------------------

// The next code point of valid UTF-8 at `s[i]` (advancing i), or U+FFFD for an invalid byte
// (overlong forms, surrogates and values past U+10FFFF are invalid too).
char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        ++i;
        return 0xFFFD;
    }
    if (i + static_cast<std::size_t>(len) > s.size()) {
        ++i;
        return 0xFFFD;
    }
    for (int k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((b & 0xC0) != 0x80) {
            ++i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return 0xFFFD;
    }
    i += static_cast<std::size_t>(len);
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// `s` as code points XML 1.0 allows, blanks folded to single spaces, at most `max_chars` of
// them (the cut marked with an ellipsis).
std::u32string clean(std::string_view s, std::size_t max_chars = std::string::npos) {
    std::u32string out;
    for (std::size_t i = 0; i < s.size();) {
        char32_t cp = next_code_point(s, i);
        const bool blank = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
        if (blank) {
            if (!out.empty() && out.back() != U' ') out.push_back(U' ');
            continue;
        }
        if (cp < 0x20 || cp == 0x7F || (cp >= 0xFFFE && cp <= 0xFFFF)) cp = 0xFFFD;
        out.push_back(cp);
    }
    while (!out.empty() && out.back() == U' ') out.pop_back();
    if (out.size() > max_chars) {
        out.resize(max_chars > 0 ? max_chars - 1 : 0);
        while (!out.empty() && out.back() == U' ') out.pop_back();
        if (max_chars > 0) out.push_back(U'\u2026');
    }
    return out;
}

// Character data or an attribute value: the five XML specials become entities.
void append_escaped(std::string& out, std::u32string_view text) {
    for (const char32_t cp : text) {
        switch (cp) {
            case U'&':
                out += "&amp;";
                break;
            case U'<':
                out += "&lt;";
                break;
            case U'>':
                out += "&gt;";
                break;
            case U'"':
                out += "&quot;";
                break;
            case U'\'':
                out += "&apos;";
                break;
            default:
                append_utf8(out, cp);
        }
    }
}

void append_text(std::string& out, std::string_view s, std::size_t max_chars = std::string::npos) {
    append_escaped(out, clean(s, max_chars));
}

// ---- numbers -------------------------------------------------------------------------------

void append_number(std::string& out, double v, int decimals = 1) {
    std::array<char, 48> buf{};
    if (!std::isfinite(v)) v = 0;
    auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
    if (ec != std::errc{}) return;
    std::string_view s(buf.data(), static_cast<std::size_t>(end - buf.data()));
    // "12.0" -> "12": shorter paths.
    if (s.find('.') != std::string_view::npos) {
        while (s.back() == '0') s.remove_suffix(1);
        if (s.back() == '.') s.remove_suffix(1);
    }
    if (s == "-0") s = "0";
    out += s;
}

void append_int(std::string& out, std::int64_t v) {
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    if (ec == std::errc{}) out.append(buf.data(), end);
}

// "1:05.2" (minutes:seconds) or "5.2 s".
void append_clock(std::string& out, std::int64_t us, bool tenths) {
    const std::int64_t total_ds = std::max<std::int64_t>(us, 0) / 100000;
    const std::int64_t minutes = total_ds / 600;
    const std::int64_t ds = total_ds % 600;
    append_int(out, minutes);
    out += ':';
    if (ds < 100) out += '0';
    append_int(out, ds / 10);
    if (tenths) {
        out += '.';
        append_int(out, ds % 10);
    }
}

void append_ms(std::string& out, std::int64_t us) {
    append_int(out, (us + 500) / 1000);
    out += " ms";
}

// ---- the document --------------------------------------------------------------------------

class Svg {
  public:
    std::string out;

    // <tag a="v" ...> with numeric or text attributes, written by the callers.
    void attr(std::string_view name, double v) {
        out += ' ';
        out += name;
        out += "=\"";
        append_number(out, v);
        out += '"';
    }
    void attr(std::string_view name, std::string_view v) {
        out += ' ';
        out += name;
        out += "=\"";
        append_text(out, v);
        out += '"';
    }
    void text(double x, double y, std::string_view cls, std::string_view content,
              std::string_view anchor = "start", std::size_t max_chars = std::string::npos) {
        out += "<text";
        attr("x", x);
        attr("y", y);
        attr("class", cls);
        if (anchor != "start") attr("text-anchor", anchor);
        out += '>';
        append_text(out, content, max_chars);
        out += "</text>\n";
    }
    void line(double x1, double y1, double x2, double y2, std::string_view cls) {
        out += "<line";
        attr("x1", x1);
        attr("y1", y1);
        attr("x2", x2);
        attr("y2", y2);
        attr("class", cls);
        out += "/>\n";
    }
    void rect(double x, double y, double w, double h, std::string_view cls) {
        out += "<rect";
        attr("x", x);
        attr("y", y);
        attr("width", std::max(w, 0.0));
        attr("height", std::max(h, 0.0));
        attr("class", cls);
        out += "/>\n";
    }
    void title(std::string_view content) {
        out += "<title>";
        append_text(out, content);
        out += "</title>";
    }
};

struct Scale {
    std::int64_t start_us = 0;
    std::int64_t span_us = 1;
    double x(std::int64_t t_us) const {
        const double f = static_cast<double>(t_us - start_us) / static_cast<double>(span_us);
        return kLeft + std::clamp(f, 0.0, 1.0) * kPlotWidth;
    }
};

std::int64_t last_seen_us(const CallTimeline& t) {
    std::int64_t end = t.start_us;
    for (const AudioEnvelope* e : {&t.caller, &t.bot})
        if (!e->empty())
            end = std::max(end, e->origin_us() +
                                    static_cast<std::int64_t>(e->peaks().size()) * e->bucket_us());
    for (const auto& turn : t.turns)
        end = std::max({end, turn.said_end_us, turn.reply_start_us, turn.reply_end_us});
    for (const auto& m : t.marks) end = std::max(end, m.at_us);
    return end;
}

// A tick step of 1, 2 or 5 times a power of ten seconds giving at most ~12 ticks.
std::int64_t tick_step_us(std::int64_t span_us) {
    std::int64_t step = 100000;
    for (;;) {
        for (const std::int64_t k : {1, 2, 5})
            if (span_us / (step * k) <= 12) return step * k;
        step *= 10;
    }
}

void axis(Svg& svg, const Scale& scale) {
    svg.out += "<g class=\"axis\">\n";
    svg.line(kLeft, kAxisY, kLeft + kPlotWidth, kAxisY, "axis-line");
    const std::int64_t step = tick_step_us(scale.span_us);
    for (std::int64_t t = 0; t <= scale.span_us; t += step) {
        const double x = scale.x(scale.start_us + t);
        svg.line(x, kAxisY, x, kLanesBottom, "grid");
        std::string label;
        append_clock(label, t, step < 1000000);
        svg.text(x, kAxisY - 6, "tick", label, "middle");
    }
    svg.out += "</g>\n";
}

// The envelope as one closed path mirrored around the lane's middle, one column per pixel.
void envelope(Svg& svg, const AudioEnvelope& env, const Scale& scale, double top,
              std::string_view colour) {
    if (env.empty()) return;
    constexpr auto kColumns = static_cast<std::size_t>(kPlotWidth);
    std::vector<double> amp(kColumns, 0.0);
    const auto peaks = env.peaks();
    for (std::size_t i = 0; i < peaks.size(); ++i) {
        if (peaks[i] == 0) continue;
        const std::int64_t b0 = env.origin_us() + static_cast<std::int64_t>(i) * env.bucket_us();
        const double db = 20.0 * std::log10(static_cast<double>(peaks[i]) / 32768.0);
        const double a = std::clamp((db - kFloorDb) / -kFloorDb, 0.0, 1.0);
        const auto c0 = static_cast<std::size_t>(scale.x(b0) - kLeft);
        const auto c1 = static_cast<std::size_t>(scale.x(b0 + env.bucket_us()) - kLeft);
        for (std::size_t c = c0; c <= std::min(c1, kColumns - 1); ++c) amp[c] = std::max(amp[c], a);
    }
    const double mid = top + kLaneHeight / 2;
    const double half = kLaneHeight / 2 - 20;  // a strip above and below for the words
    std::string& o = svg.out;
    o += "<path class=\"envelope\" fill=\"";
    o += colour;
    o += "\" d=\"M";
    append_number(o, kLeft);
    o += ' ';
    append_number(o, mid);
    for (std::size_t c = 0; c < kColumns; ++c) {
        o += 'L';
        append_number(o, kLeft + static_cast<double>(c));
        o += ' ';
        append_number(o, mid - std::max(amp[c] * half, 0.5));
    }
    for (std::size_t c = kColumns; c-- > 0;) {
        o += 'L';
        append_number(o, kLeft + static_cast<double>(c));
        o += ' ';
        append_number(o, mid + std::max(amp[c] * half, 0.5));
    }
    o += "Z\"/>\n";
}

void lane(Svg& svg, std::string_view name, std::string_view label, const AudioEnvelope& env,
          const Scale& scale, double top, std::string_view colour) {
    svg.out += "<g class=\"lane\"";
    svg.attr("data-lane", name);
    svg.out += ">\n";
    svg.rect(kLeft, top, kPlotWidth, kLaneHeight, "lane-bg");
    svg.text(kLeft - 10, top + kLaneHeight / 2 + 4, "lane-name", label, "end");
    envelope(svg, env, scale, top, colour);
    svg.out += "</g>\n";
}

// The room, in characters, for a label from `x` to the next turn's anchor.
std::size_t room(double x, double next_x) {
    return static_cast<std::size_t>(std::max(next_x - x - 8, 0.0) / kCharWidth);
}

void turn_in_lanes(Svg& svg, const TimelineTurn& turn, const Scale& scale, double prev_said_x,
                   double next_reply_x) {
    std::string n = "#";
    append_int(n, turn.index);
    if (!turn.said.empty() && turn.said_end_us >= 0) {
        // The caller's words end where the caller stopped: right-aligned there.
        const double x = scale.x(turn.said_end_us);
        svg.text(x, kCallerTop + 14, "words said", n + " " + turn.said, "end",
                 room(prev_said_x, x));
    }
    if (turn.reply_start_us >= 0) {
        const double x0 = scale.x(turn.reply_start_us);
        const double x1 = turn.reply_end_us >= 0 ? scale.x(turn.reply_end_us) : x0;
        svg.rect(x0, kBotTop + 2, x1 - x0, kLaneHeight - 4,
                 turn.interrupted ? "reply cut" : "reply");
        const std::string_view words = turn.heard.empty() ? turn.reply : turn.heard;
        if (!words.empty())
            svg.text(x0 + 3, kBotTop + kLaneHeight - 6, "words heard", n + " " + std::string(words),
                     "start", room(x0, next_reply_x));
    }
    if (turn.latency_us >= 0 && turn.reply_start_us >= 0) {
        const double x1 = scale.x(turn.reply_start_us);
        const double x0 = scale.x(turn.reply_start_us - turn.latency_us);
        const double y = kCallerTop + kLaneHeight + kLatencyBand / 2 + 4;
        svg.out += "<g class=\"latency\"";
        svg.attr("data-ms", static_cast<double>((turn.latency_us + 500) / 1000));
        svg.out += ">";
        svg.line(x0, y, x1, y, "latency-line");
        svg.line(x0, y - 4, x0, y + 4, "latency-line");
        svg.line(x1, y - 4, x1, y + 4, "latency-line");
        std::string ms;
        append_ms(ms, turn.latency_us);
        svg.text(x1 + 4, y + 4, "latency-text", ms);
        svg.out += "</g>\n";
    }
}

void turn_row(Svg& svg, const TimelineTurn& turn, const Scale& scale, double y) {
    std::string head = "#";
    append_int(head, turn.index);
    svg.text(kLeft - 10, y, "row-index", head, "end");
    std::string when;
    const std::int64_t at = turn.said_end_us >= 0 ? turn.said_end_us : turn.reply_start_us;
    if (at >= 0) append_clock(when, at - scale.start_us, true);
    svg.text(kLeft, y, "row-time", when);
    std::string latency;
    if (turn.latency_us >= 0) append_ms(latency, turn.latency_us);
    svg.text(kLeft + 56, y, "row-latency", latency);
    std::string words;
    if (turn.index == 0 && turn.said.empty())
        words = "greeting";
    else
        words = "said \u201c" + turn.said + "\u201d";
    const std::string& heard = turn.heard.empty() ? turn.reply : turn.heard;
    if (!heard.empty()) words += " \u2192 heard \u201c" + heard + "\u201d";
    if (turn.interrupted) words += " (cut)";
    svg.text(kLeft + 120, y, "row-words", words, "start",
             static_cast<std::size_t>((kPlotWidth - 120) / kCharWidth));
}

void mark(Svg& svg, const TimelineMark& m, const Scale& scale, int row) {
    const double x = scale.x(m.at_us);
    svg.out += "<g class=\"mark\"";
    svg.attr("data-kind", mark_kind_name(m.kind));
    svg.out += " stroke=\"";
    svg.out += mark_colour(m.kind);
    svg.out += "\" fill=\"";
    svg.out += mark_colour(m.kind);
    svg.out += "\">";
    const std::string label = m.label.empty() ? std::string(mark_kind_name(m.kind)) : m.label;
    svg.title(label);
    svg.line(x, kCallerTop - 2, x, kLanesBottom + 2, "mark-line");
    // Labels of marks close together alternate between two heights below the lanes.
    // Near the right edge the label ends at the line instead of starting there.
    const bool at_end = x > kLeft + kPlotWidth - 180;
    svg.text(at_end ? x - 3 : x + 3, kLanesBottom + 14 + 12 * row, "mark-text", label,
             at_end ? "end" : "start", 28);
    svg.out += "</g>\n";
}

constexpr std::string_view kStyle =
    "<style>\n"
    ".page{fill:#ffffff}\n"
    "text{font-family:'DejaVu Sans',Arial,sans-serif;font-size:11px;fill:#1f2937}\n"
    ".title{font-size:15px;font-weight:bold}.summary{fill:#4b5563}\n"
    ".tick{fill:#6b7280;font-size:10px}.axis-line{stroke:#9ca3af}\n"
    ".grid{stroke:#e5e7eb}.lane-bg{fill:#f9fafb;stroke:#e5e7eb}\n"
    ".lane-name{font-weight:bold}.envelope{fill-opacity:0.75}\n"
    ".reply{fill:#0d9488;fill-opacity:0.08}.reply.cut{fill:#dc2626;fill-opacity:0.08}\n"
    ".words{font-size:11px;paint-order:stroke;stroke:#ffffff;stroke-width:3px;"
    "stroke-linejoin:round;stroke-opacity:0.85}.latency-line{stroke:#b45309}.latency-text{fill:#"
    "b45309;"
    "font-size:10px}\n"
    ".mark-line{stroke-dasharray:4 3;stroke-width:1.5}.mark-text{stroke:none;font-size:10px}\n"
    ".row-index,.row-time{fill:#6b7280}.row-latency{fill:#b45309}\n"
    "</style>\n";

}  // namespace

std::string render_timeline_svg(const CallTimeline& t) {
    const std::int64_t end_us = t.end_us >= 0 ? t.end_us : last_seen_us(t);
    Scale scale;
    scale.start_us = t.start_us;
    scale.span_us = std::max<std::int64_t>(end_us - t.start_us, 1000000);

    const double height = kRowsTop + kRowHeight * static_cast<double>(t.turns.size()) + 12;
    Svg svg;
    svg.out.reserve(64 * 1024);
    svg.out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    svg.out += "<svg xmlns=\"http://www.w3.org/2000/svg\"";
    svg.attr("width", kWidth);
    svg.attr("height", height);
    svg.out += " viewBox=\"0 0 ";
    append_number(svg.out, kWidth);
    svg.out += ' ';
    append_number(svg.out, height);
    svg.out += '"';
    svg.attr("data-turns", static_cast<double>(t.turns.size()));
    svg.out += ">\n";
    svg.out += kStyle;
    svg.rect(0, 0, kWidth, height, "page");

    // Title and summary.
    svg.text(16, 22, "title", t.title.empty() ? std::string("call") : "call " + t.title);
    std::size_t barge_ins = 0;
    std::vector<std::int64_t> latencies;
    for (const auto& m : t.marks) barge_ins += m.kind == MarkKind::barge_in ? 1 : 0;
    for (const auto& turn : t.turns)
        if (turn.latency_us >= 0 && !turn.said.empty()) latencies.push_back(turn.latency_us);
    std::string summary;
    append_int(summary, static_cast<std::int64_t>(t.turns.size()));
    summary += t.turns.size() == 1 ? " turn" : " turns";
    summary += " \u00b7 ";
    append_int(summary, static_cast<std::int64_t>(barge_ins));
    summary += barge_ins == 1 ? " barge-in" : " barge-ins";
    summary += " \u00b7 ";
    append_clock(summary, end_us - t.start_us, true);
    if (!latencies.empty()) {
        std::sort(latencies.begin(), latencies.end());
        summary += " \u00b7 median latency ";
        append_ms(summary, latencies[(latencies.size() - 1) / 2]);
    }
    svg.text(16, 40, "summary", summary);

    axis(svg, scale);
    lane(svg, "caller", "caller", t.caller, scale, kCallerTop, kCallerColour);
    lane(svg, "bot", "bot (heard)", t.bot, scale, kBotTop, kBotColour);

    for (std::size_t i = 0; i < t.turns.size(); ++i) {
        const TimelineTurn& turn = t.turns[i];
        // The room of a turn's labels: the caller's from the previous words said, the bot's
        // to the next reply.
        double prev_said = kLeft, next_reply = kLeft + kPlotWidth;
        for (std::size_t j = 0; j < i; ++j)
            if (t.turns[j].said_end_us >= 0)
                prev_said = std::max(prev_said, scale.x(t.turns[j].said_end_us));
        for (std::size_t j = i + 1; j < t.turns.size(); ++j)
            if (t.turns[j].reply_start_us >= 0)
                next_reply = std::min(next_reply, scale.x(t.turns[j].reply_start_us));
        svg.out += "<g class=\"turn\"";
        svg.attr("data-turn", static_cast<double>(turn.index));
        if (turn.interrupted) svg.out += " data-interrupted=\"true\"";
        svg.out += ">\n";
        turn_in_lanes(svg, turn, scale, prev_said, next_reply);
        turn_row(svg, turn, scale, kRowsTop + kRowHeight * static_cast<double>(i));
        svg.out += "</g>\n";
    }

    std::vector<const TimelineMark*> marks;
    for (const auto& m : t.marks) marks.push_back(&m);
    std::stable_sort(marks.begin(), marks.end(),
                     [](const auto* a, const auto* b) { return a->at_us < b->at_us; });
    double last_x = -1e9;
    int row = 0;
    for (const TimelineMark* m : marks) {
        const double x = scale.x(m->at_us);
        row = x - last_x < 180 ? (row + 1) % 2 : 0;
        last_x = x;
        mark(svg, *m, scale, row);
    }
    svg.out += "</svg>\n";
    return std::move(svg.out);
}

}  // namespace ringoverbot::agent
