// render_timeline_svg: a well-formed document whatever the words, its lanes, turns, marks and
// latencies where the data puts them.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ringoverbot/timeline.hpp"

using namespace ringoverbot::agent;

namespace {

// A strict well-formedness check of the subset the renderer writes (prolog, elements,
// attributes in double quotes, character data, the five predefined entities; no DTD, CDATA or
// comment): returns the first problem, empty when the document is well-formed.
std::string xml_problem(std::string_view doc) {
    // UTF-8 throughout (the sequences a validating decoder accepts), and no control character.
    for (std::size_t i = 0; i < doc.size();) {
        const auto b = static_cast<unsigned char>(doc[i]);
        if (b < 0x20 && b != '\n' && b != '\t' && b != '\r') return "control byte";
        std::size_t len = b < 0x80             ? 1
                          : (b & 0xE0) == 0xC0 ? 2
                          : (b & 0xF0) == 0xE0 ? 3
                          : (b & 0xF8) == 0xF0 ? 4
                                               : 0;
        if (len == 0 || (len == 2 && b < 0xC2) || i + len > doc.size()) return "bad UTF-8";
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(doc[i + k]) & 0xC0) != 0x80) return "bad UTF-8";
        i += len;
    }
    auto entity_ok = [](std::string_view s, std::size_t amp) {
        for (std::string_view e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
            if (s.substr(amp, e.size()) == e) return true;
        return false;
    };
    std::size_t i = 0;
    if (doc.substr(0, 5) == "<?xml") {
        i = doc.find("?>");
        if (i == std::string_view::npos) return "open prolog";
        i += 2;
    }
    std::vector<std::string> open;
    bool root_seen = false;
    while (i < doc.size()) {
        if (doc[i] != '<') {
            if (doc[i] == '>') return "stray >";
            if (doc[i] == '&' && !entity_ok(doc, i)) return "bad entity in text";
            if (open.empty() && doc[i] != '\n' && doc[i] != ' ') return "text outside the root";
            ++i;
            continue;
        }
        ++i;
        const bool closing = i < doc.size() && doc[i] == '/';
        if (closing) ++i;
        const std::size_t name_start = i;
        while (i < doc.size() &&
               (std::isalnum(static_cast<unsigned char>(doc[i])) || doc[i] == '-' || doc[i] == ':'))
            ++i;
        const std::string name(doc.substr(name_start, i - name_start));
        if (name.empty()) return "empty tag name at " + std::to_string(i);
        if (closing) {
            if (open.empty() || open.back() != name) return "mismatched </" + name + ">";
            open.pop_back();
            if (i >= doc.size() || doc[i] != '>') return "bad end tag";
            ++i;
            continue;
        }
        if (open.empty() && root_seen) return "second root";
        root_seen = true;
        std::vector<std::string> attrs;
        for (;;) {
            while (i < doc.size() && doc[i] == ' ') ++i;
            if (i >= doc.size()) return "open tag";
            if (doc[i] == '>') {
                open.push_back(name);
                ++i;
                break;
            }
            if (doc.substr(i, 2) == "/>") {
                i += 2;
                break;
            }
            const std::size_t a = i;
            while (i < doc.size() && (std::isalnum(static_cast<unsigned char>(doc[i])) ||
                                      doc[i] == '-' || doc[i] == ':'))
                ++i;
            const std::string attr(doc.substr(a, i - a));
            if (attr.empty() || doc.substr(i, 2) != "=\"") return "bad attribute in <" + name;
            for (const auto& seen : attrs)
                if (seen == attr) return "duplicate attribute " + attr;
            attrs.push_back(attr);
            i += 2;
            const std::size_t close = doc.find('"', i);
            if (close == std::string_view::npos) return "open attribute";
            for (std::size_t k = i; k < close; ++k) {
                if (doc[k] == '<') return "< in attribute";
                if (doc[k] == '&' && !entity_ok(doc, k)) return "bad entity in attribute";
            }
            i = close + 1;
        }
    }
    if (!open.empty()) return "unclosed <" + open.back() + ">";
    if (!root_seen) return "no root";
    return {};
}

std::size_t count(std::string_view doc, std::string_view what) {
    std::size_t n = 0;
    for (std::size_t at = doc.find(what); at != std::string_view::npos;
         at = doc.find(what, at + what.size()))
        ++n;
    return n;
}

CallTimeline sample_call() {
    CallTimeline t;
    t.title = "7000001";
    t.start_us = 10'000'000;
    t.end_us = 22'000'000;
    for (std::int64_t f = 0; f < 150; ++f) {  // the caller speaks at 3.0..6.0 s
        std::vector<std::int16_t> frame(160, 4000);
        t.caller.add(frame, 8000, t.start_us + 3'000'000 + f * 20'000);
    }
    std::vector<std::int16_t> reply(8000 * 2, 12000);  // the bot: 2 s at 7.0 s
    t.bot.add(reply, 8000, t.start_us + 7'000'000);
    TimelineTurn greeting;
    greeting.index = 0;
    greeting.heard = greeting.reply = "Hello, how can I help?";
    greeting.reply_start_us = t.start_us + 300'000;
    greeting.reply_end_us = t.start_us + 2'000'000;
    greeting.latency_us = 300'000;
    TimelineTurn one;
    one.index = 1;
    one.said = "check my order";
    one.reply = "Your order ships tomorrow, and you will get a mail.";
    one.heard = "Your order ships tomorrow,";
    one.said_end_us = t.start_us + 6'000'000;
    one.reply_start_us = t.start_us + 6'720'000;
    one.reply_end_us = t.start_us + 8'500'000;
    one.latency_us = 720'000;
    one.interrupted = true;
    t.turns = {greeting, one};
    t.marks.push_back({MarkKind::barge_in, t.start_us + 8'500'000, ""});
    t.marks.push_back({MarkKind::resume, t.start_us + 9'000'000, "resume #1"});
    t.marks.push_back({MarkKind::action, t.start_us + 11'000'000, "transfer 201"});
    return t;
}

}  // namespace

TEST_CASE("timeline svg: the checker refuses what a browser would refuse") {
    // The checker itself: each of these would make Chromium show a parse error instead.
    CHECK(xml_problem("<svg><g></svg>") != "");
    CHECK(xml_problem("<svg a=\"1\" a=\"2\"/>") != "");
    CHECK(xml_problem("<svg>a & b</svg>") != "");
    CHECK(xml_problem("<svg>\x01</svg>") != "");
    CHECK(xml_problem("<svg>\xC3</svg>") != "");
    CHECK(xml_problem("<svg/><svg/>") != "");
    CHECK(xml_problem("<?xml version=\"1.0\"?>\n<svg x=\"&lt;\">&amp;<g/></svg>\n") == "");
}

TEST_CASE("timeline svg: lanes, one group per turn, marks by kind and each latency") {
    const std::string svg = render_timeline_svg(sample_call());
    CHECK(xml_problem(svg) == "");
    CHECK(
        svg.rfind(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"",
            0) == 0);
    CHECK(svg.find("data-turns=\"2\"") != std::string::npos);
    CHECK(count(svg, "<g class=\"lane\"") == 2);
    CHECK(svg.find("data-lane=\"caller\"") != std::string::npos);
    CHECK(svg.find("data-lane=\"bot\"") != std::string::npos);
    CHECK(count(svg, "<g class=\"turn\"") == 2);
    CHECK(svg.find("data-turn=\"1\" data-interrupted=\"true\"") != std::string::npos);
    CHECK(count(svg, "<path class=\"envelope\"") == 2);
    CHECK(count(svg, "data-kind=\"barge_in\"") == 1);
    CHECK(count(svg, "data-kind=\"resume\"") == 1);
    CHECK(count(svg, "data-kind=\"action\"") == 1);
    CHECK(svg.find(">transfer 201<") != std::string::npos);
    CHECK(svg.find(">barge_in<") != std::string::npos);  // an empty label is the kind's name
    CHECK(svg.find("data-ms=\"720\"") != std::string::npos);
    CHECK(svg.find(">720 ms<") != std::string::npos);
    CHECK(svg.find("2 turns \u00b7 1 barge-in \u00b7 0:12.0 \u00b7 median latency 720 ms") !=
          std::string::npos);
    // The row of turn 1 has its words in full: what was said and what was heard of the reply.
    CHECK(svg.find("said \u201ccheck my order\u201d \u2192 heard \u201cYour order ships "
                   "tomorrow,\u201d (cut)") != std::string::npos);
    // The marks sit on the time axis: 8.5 s of 12 s across the 1080 px plot from x = 96.
    CHECK(svg.find("<line x1=\"861\" y1=\"82\" x2=\"861\"") != std::string::npos);
}

TEST_CASE("timeline svg: the caller's words are escaped, invalid bytes replaced") {
    CallTimeline t = sample_call();
    t.title = "<script>alert(1)</script>";
    t.turns[1].said =
        "a <b> & \"c\" 'd' \x01\x7f \xC3\x28 \xED\xA0\x80 \xF4\x90\x80\x80 \xEF\xBF\xBE ok";
    t.turns[1].heard = "caf\xC3\xA9 \xF0\x9F\x93\x9E]]>";
    t.marks[2].label = "transfer \"<x>\"";
    const std::string svg = render_timeline_svg(t);
    CHECK(xml_problem(svg) == "");
    CHECK(svg.find("<script") == std::string::npos);
    CHECK(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(svg.find("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;") != std::string::npos);
    // A control byte, DEL, a bad sequence, a surrogate, a code point past U+10FFFF and U+FFFE
    // each become U+FFFD; valid UTF-8 passes.
    CHECK(svg.find("\xEF\xBF\xBD \xEF\xBF\xBD(") != std::string::npos);
    CHECK(svg.find("caf\xC3\xA9 \xF0\x9F\x93\x9E]]&gt;") != std::string::npos);
    CHECK(svg.find("transfer &quot;&lt;x&gt;&quot;") != std::string::npos);
}

TEST_CASE("timeline svg: long words are cut with an ellipsis, an empty call still renders") {
    CallTimeline t = sample_call();
    t.turns[1].said = std::string(3000, 'x');
    const std::string svg = render_timeline_svg(t);
    CHECK(xml_problem(svg) == "");
    CHECK(svg.find(std::string(200, 'x')) == std::string::npos);
    CHECK(svg.find("x\u2026") != std::string::npos);

    const std::string empty = render_timeline_svg(CallTimeline{});
    CHECK(xml_problem(empty) == "");
    CHECK(count(empty, "<g class=\"lane\"") == 2);
    CHECK(empty.find("data-turns=\"0\"") != std::string::npos);
    CHECK(count(empty, "<path class=\"envelope\"") == 0);
}
