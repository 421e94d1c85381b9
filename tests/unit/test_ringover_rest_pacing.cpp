#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "ringover/rest_pacing.hpp"

using ringoverbot::ringover::detail::rate_limit_backoff_ms;
using ringoverbot::ringover::detail::TokenBucket;

namespace {

// Sends `n` requests as early as the bucket allows, from `t0`; the send times.
std::vector<std::int64_t> drain(TokenBucket& b, int n, std::int64_t t0) {
    std::vector<std::int64_t> at;
    std::int64_t now = t0;
    for (int i = 0; i < n; ++i) {
        now = b.ready_at(now);
        b.take(now);
        at.push_back(now);
    }
    return at;
}

// The most requests in any window of `window_us` (a window starting at each send).
int most_in_window(const std::vector<std::int64_t>& at, std::int64_t window_us) {
    int most = 0;
    for (std::size_t i = 0; i < at.size(); ++i) {
        int n = 0;
        for (std::size_t j = i; j < at.size() && at[j] < at[i] + window_us; ++j) ++n;
        most = std::max(most, n);
    }
    return most;
}

}  // namespace

TEST_CASE("rest pacing: 2/s with no burst spaces requests 500 ms apart, 2 in any second") {
    TokenBucket b(2.0, 1);
    const auto at = drain(b, 9, 1'000'000);
    CHECK(at.front() == 1'000'000);  // the first goes at once
    for (std::size_t i = 1; i < at.size(); ++i) CHECK(at[i] - at[i - 1] == 500'000);
    CHECK(most_in_window(at, 1'000'000) == 2);
}

TEST_CASE("rest pacing: a burst goes at once, then the rate rules; idle time refills it") {
    TokenBucket b(2.0, 3);
    auto at = drain(b, 5, 0);
    CHECK(at[0] == 0);
    CHECK(at[1] == 0);
    CHECK(at[2] == 0);
    CHECK(at[3] == 500'000);
    CHECK(at[4] == 1'000'000);
    // Ten idle seconds: the bucket is full again (3, not 20).
    at = drain(b, 4, 11'000'000);
    CHECK(at[2] == 11'000'000);
    CHECK(at[3] == 11'500'000);
}

TEST_CASE("rest pacing: a 429 hold delays every request, then pacing restarts") {
    TokenBucket b(2.0, 1);
    b.take(b.ready_at(0));
    b.hold_until(3'000'000);
    CHECK(b.ready_at(600'000) == 3'000'000);  // a token was due at 500 ms: the hold wins
    b.take(3'000'000);
    CHECK(b.ready_at(3'000'000) == 3'500'000);
    // A shorter hold never shortens a longer one.
    b.hold_until(10'000'000);
    b.hold_until(4'000'000);
    CHECK(b.ready_at(3'600'000) == 10'000'000);
}

TEST_CASE("rest pacing: a fractional rate rounds up, never early") {
    TokenBucket b(3.0, 1);  // 333333.3 us apart
    const auto at = drain(b, 4, 0);
    for (std::size_t i = 1; i < at.size(); ++i) CHECK(at[i] - at[i - 1] >= 333'333);
    CHECK(most_in_window(at, 1'000'000) == 3);
}

TEST_CASE("rest pacing: the 429 backoff doubles, jitters up to 25 % and is capped") {
    CHECK(rate_limit_backoff_ms(1, 500, 8000, 0.0) == 500);
    CHECK(rate_limit_backoff_ms(2, 500, 8000, 0.0) == 1000);
    CHECK(rate_limit_backoff_ms(3, 500, 8000, 0.0) == 2000);
    CHECK(rate_limit_backoff_ms(1, 500, 8000, 0.999) == 624);
    CHECK(rate_limit_backoff_ms(5, 500, 8000, 0.5) == 8000);
    CHECK(rate_limit_backoff_ms(40, 500, 8000, 0.0) == 8000);  // no overflow
    CHECK(rate_limit_backoff_ms(0, 500, 8000, 0.0) == 500);
}

TEST_CASE("rest pacing: the arrival window counts a request from its start to its answer") {
    using ringoverbot::ringover::detail::ArrivalWindow;
    ArrivalWindow w(2.0);  // 2 in any second
    CHECK(w.ready_at(0) == 0);
    w.start(1);
    CHECK(w.ready_at(0) == 0);
    w.start(2);
    CHECK(w.ready_at(500'000) == INT64_MAX);  // two in flight: wait for an answer
    // The first was slow to connect: answered at 400 ms, it may have arrived then.
    w.answered(1, 400'000);
    CHECK(w.ready_at(500'000) == 1'400'000);
    w.answered(2, 520'000);
    CHECK(w.ready_at(600'000) == 1'400'000);  // the older of the two latest rules
    w.start(3);
    // 2 and 3 may both arrive within the second after 520 ms: not before 1.52 s.
    CHECK(w.ready_at(1'400'000) == 1'520'000);
    w.answered(3, 1'450'000);
    CHECK(w.ready_at(1'460'000) == 1'520'000);
    // Long idle: at once.
    CHECK(w.ready_at(10'000'000) == 10'000'000);
}

TEST_CASE("rest pacing: a slower rate than one a second widens the window") {
    using ringoverbot::ringover::detail::ArrivalWindow;
    ArrivalWindow w(0.5);  // 1 in any 2 seconds
    w.start(7);
    CHECK(w.ready_at(100) == INT64_MAX);
    w.answered(7, 300'000);
    CHECK(w.ready_at(400'000) == 2'300'000);
}
