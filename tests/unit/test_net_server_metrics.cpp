#include <doctest/doctest.h>

#include <string>

#include "net/server/metrics.hpp"

using namespace ringoverbot;
using namespace ringoverbot::net;

namespace {

bool has_line(const std::string& page, const std::string& line) {
    return page.find("\n" + line + "\n") != std::string::npos || page.rfind(line + "\n", 0) == 0;
}

}  // namespace

TEST_CASE("net: turn latency splits into the stages of the spec") {
    agent::TurnMetrics t;
    t.speech_end_us = 1'000'000;
    t.stt_final_us = 1'200'000;
    t.first_token_us = 1'250'000;
    t.first_audio_us = 1'400'000;
    t.first_frame_us = 1'410'000;
    const TurnLatency l = turn_latency(t);
    CHECK(*l.seconds[0] == doctest::Approx(0.2));
    CHECK(*l.seconds[1] == doctest::Approx(0.05));
    CHECK(*l.seconds[2] == doctest::Approx(0.15));
    CHECK(*l.seconds[3] == doctest::Approx(0.01));
    CHECK(*l.seconds[4] == doctest::Approx(0.41));

    // A DTMF turn: no transcript; the LLM stage runs from the key press.
    agent::TurnMetrics d;
    d.speech_end_us = 5'000'000;
    d.first_token_us = 5'001'000;
    const TurnLatency dl = turn_latency(d);
    CHECK_FALSE(dl.seconds[0].has_value());
    CHECK(*dl.seconds[1] == doctest::Approx(0.001));
    CHECK_FALSE(dl.seconds[2].has_value());
    CHECK_FALSE(dl.seconds[4].has_value());

    // Out-of-order stamps are not a latency.
    agent::TurnMetrics bad;
    bad.speech_end_us = 10;
    bad.stt_final_us = 5;
    CHECK_FALSE(turn_latency(bad).seconds[0].has_value());
}

TEST_CASE("net: histogram buckets are cumulative with count and sum") {
    Histogram h;
    h.observe(0.004);
    h.observe(0.2);
    h.observe(0.2);
    h.observe(100.0);  // beyond the last bound: only in +Inf
    h.observe(-1.0);   // ignored
    CHECK(h.count() == 4);
    CHECK(h.cumulative(0) == 1);  // <= 0.005
    CHECK(h.cumulative(4) == 1);  // <= 0.1
    CHECK(h.cumulative(5) == 3);  // <= 0.25
    CHECK(h.cumulative(Histogram::kBounds.size() - 1) == 3);
    CHECK(h.sum_seconds() == doctest::Approx(100.404));
}

TEST_CASE("net: the Prometheus page has every family the spec lists, typed") {
    Metrics m;
    Metrics::add(m.calls_active, 2);
    Metrics::add(m.calls_total, 5);
    Metrics::add(m.frames_in, 100);
    Metrics::add(m.frames_out, 40);
    Metrics::add(m.protocol_errors, 3);
    m.refuse(Refusal::bad_token);
    m.webhook(webhook::Reason::ok);
    m.webhook(webhook::Reason::bad_signature);
    m.webhook(webhook::Reason::bad_signature);
    agent::TurnMetrics t;
    t.speech_end_us = 0;
    t.stt_final_us = 300'000;
    m.observe_turn(turn_latency(t));
    agent::CallStats before, after;
    after.tts_errors = 2;
    after.barge_ins = 1;
    after.misheard = 3;
    after.confirmations = 4;
    after.confirmed = 1;
    after.cancelled_actions = 2;
    after.misunderstood_offers = 5;
    after.echo_cancelled_frames = 250;
    after.interruptions = 6;
    after.false_interruptions = 7;
    after.resumes = 8;
    after.reprompts = 9;
    after.idle_hangups = 10;
    after.dtmf_inband = 11;
    after.speculations_kept = 6;
    after.speculations_cancelled = 7;
    m.add_call_delta(before, after);
    m.add_call_delta(after, after);  // no change, nothing added

    const std::string page = m.render(false, 40);
    CHECK(has_line(page, "# TYPE ringoverbot_calls_active gauge"));
    CHECK(has_line(page, "ringoverbot_calls_active 2"));
    CHECK(has_line(page, "ringoverbot_calls_max 40"));
    CHECK(has_line(page, "# TYPE ringoverbot_calls_total counter"));
    CHECK(has_line(page, "ringoverbot_calls_total 5"));
    CHECK(has_line(page, R"(ringoverbot_calls_refused_total{reason="bad_token"} 1)"));
    CHECK(has_line(page, "ringoverbot_frames_in_total 100"));
    CHECK(has_line(page, "ringoverbot_frames_out_total 40"));
    CHECK(has_line(page, "ringoverbot_protocol_errors_total 3"));
    CHECK(has_line(page, R"(ringoverbot_webhooks_total{reason="ok"} 1)"));
    CHECK(has_line(page, R"(ringoverbot_webhooks_total{reason="bad_signature"} 2)"));
    CHECK(has_line(page, R"(ringoverbot_provider_errors_total{provider="tts"} 2)"));
    CHECK(has_line(page, "ringoverbot_barge_ins_total 1"));
    CHECK(has_line(page, "# TYPE ringoverbot_misheard_turns_total counter"));
    CHECK(has_line(page, "ringoverbot_misheard_turns_total 3"));
    CHECK(has_line(page, "# TYPE ringoverbot_confirmations_total counter"));
    CHECK(has_line(page, "ringoverbot_confirmations_total 4"));
    CHECK(has_line(page, "ringoverbot_confirmed_actions_total 1"));
    CHECK(has_line(page, "ringoverbot_cancelled_actions_total 2"));
    CHECK(has_line(page, "ringoverbot_misunderstood_offers_total 5"));
    CHECK(has_line(page, "# TYPE ringoverbot_echo_cancelled_frames_total counter"));
    CHECK(has_line(page, "ringoverbot_echo_cancelled_frames_total 250"));
    CHECK(has_line(page, "# TYPE ringoverbot_interruptions_total counter"));
    CHECK(has_line(page, "ringoverbot_interruptions_total 6"));
    CHECK(has_line(page, "ringoverbot_false_interruptions_total 7"));
    CHECK(has_line(page, "ringoverbot_resumes_total 8"));
    CHECK(has_line(page, "ringoverbot_reprompts_total 9"));
    CHECK(has_line(page, "ringoverbot_idle_hangups_total 10"));
    CHECK(has_line(page, "ringoverbot_dtmf_inband_total 11"));
    CHECK(has_line(page, "# TYPE ringoverbot_speculations_kept_total counter"));
    CHECK(has_line(page, "ringoverbot_speculations_kept_total 6"));
    CHECK(has_line(page, "ringoverbot_speculations_cancelled_total 7"));
    CHECK(has_line(page, "# TYPE ringoverbot_turn_latency_seconds histogram"));
    CHECK(has_line(page, R"(ringoverbot_turn_latency_seconds_bucket{stage="stt",le="0.25"} 0)"));
    CHECK(has_line(page, R"(ringoverbot_turn_latency_seconds_bucket{stage="stt",le="0.5"} 1)"));
    CHECK(has_line(page, R"(ringoverbot_turn_latency_seconds_bucket{stage="stt",le="+Inf"} 1)"));
    CHECK(has_line(page, R"(ringoverbot_turn_latency_seconds_count{stage="stt"} 1)"));
    CHECK(has_line(page, R"(ringoverbot_turn_latency_seconds_count{stage="total"} 0)"));
    CHECK(has_line(page, "ringoverbot_turns_total 1"));

    // Every sample line is "name[{labels}] value" and every family is typed once.
    std::size_t pos = 0;
    int types = 0;
    while (pos < page.size()) {
        const auto end = page.find('\n', pos);
        REQUIRE(end != std::string::npos);
        const std::string line = page.substr(pos, end - pos);
        pos = end + 1;
        if (line.rfind("# TYPE ", 0) == 0) ++types;
        if (line.empty() || line[0] == '#') continue;
        const auto sp = line.rfind(' ');
        REQUIRE(sp != std::string::npos);
        CHECK(line.rfind("ringoverbot_", 0) == 0);
        const std::string value = line.substr(sp + 1);
        CHECK(value.find_first_not_of("0123456789.e+-") == std::string::npos);
    }
    CHECK(types >= 20);

    const ServerStats s = m.snapshot(true);
    CHECK(s.calls_active == 2);
    CHECK(s.calls_refused == 1);
    CHECK(s.webhooks_accepted == 1);
    CHECK(s.webhooks_rejected == 2);
    CHECK(s.provider_errors == 2);
    CHECK(s.draining);
}
