// The server's counters and latency histograms, rendered as the Prometheus text exposition
// format (0.0.4) for GET /metrics. Sans-I/O; counters are relaxed atomics so that stats() and
// /metrics may read them from any thread while the loop thread writes.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ringoverbot/agent.hpp"
#include "ringoverbot/server.hpp"
#include "ringoverbot/webhook.hpp"

namespace ringoverbot::net {

// The latency breakdown of one turn (examples/ringoverbot-agent.md §Logs): end of speech -> STT
// final -> first LLM token -> first TTS audio -> first frame sent, and the whole span. nullopt
// where a stage did not happen (a DTMF turn has no STT, an interrupted reply may have no audio).
enum class Stage : int { stt = 0, llm = 1, tts = 2, send = 3, total = 4 };
inline constexpr std::size_t kStageCount = static_cast<std::size_t>(Stage::total) + 1;
std::string_view stage_name(Stage s) noexcept;  // "stt", "llm_first_token", ...
struct TurnLatency {
    std::array<std::optional<double>, kStageCount> seconds{};
};
TurnLatency turn_latency(const agent::TurnMetrics& turn) noexcept;

// Why a streamer socket was refused.
enum class Refusal : int { not_found = 0, bad_token = 1, max_calls = 2, draining = 3, failed = 4 };
inline constexpr std::size_t kRefusalCount = static_cast<std::size_t>(Refusal::failed) + 1;
std::string_view refusal_name(Refusal r) noexcept;  // "not_found", ...

enum class ProviderKind : int { stt = 0, llm = 1, tts = 2 };

// Cumulative histogram with fixed bucket bounds (seconds).
class Histogram {
  public:
    static constexpr std::array<double, 12> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                                       0.5,   1.0,  2.5,   5.0,  10.0, 30.0};
    void observe(double seconds) noexcept;
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
    double sum_seconds() const noexcept;
    // Observations <= kBounds[i] (cumulative, as Prometheus wants them).
    std::uint64_t cumulative(std::size_t i) const noexcept;
    void add_from(const Histogram& other) noexcept;  // a worker group's sum

  private:
    std::array<std::atomic<std::uint64_t>, kBounds.size()> buckets_{};  // not cumulative
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_us_{0};
};

class Metrics {
  public:
    using Counter = std::atomic<std::uint64_t>;
    static constexpr std::size_t kReasonCount = webhook::kReasonCount;

    Counter calls_active{0}, calls_total{0};
    std::array<Counter, kRefusalCount> refused{};
    Counter frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0};
    Counter protocol_errors{0};  // decoder errors + oversized messages
    Counter oversized_messages{0};
    std::array<Counter, kReasonCount> webhooks{};
    Counter webhook_hangups_applied{0};  // call/hangup webhooks that ended a live call
    // Call recordings (ServerConfig::recording_dir): files finished, and recordings stopped by
    // a failing disk.
    Counter recordings{0}, recording_failures{0};
    Counter turns{0}, barge_ins{0}, fallbacks{0}, timeouts{0}, dtmf_in{0};
    // The confidence gates (agent::CallStats): turns gated as misheard, confirmations asked
    // and how they ended, offers after too many misunderstandings.
    Counter misheard{0}, confirmations{0}, confirmed{0}, cancelled_actions{0};
    Counter misunderstood_offers{0};
    Counter echo_cancelled_frames{0};  // caller frames the echo canceller ran on
    // Turn taking (agent::CallStats): barge-ins that stood or were taken back, replies resumed,
    // reprompts to idle callers and calls ended idle, keys heard in the caller's audio.
    Counter interruptions{0}, false_interruptions{0}, resumes{0};
    Counter reprompts{0}, idle_hangups{0}, dtmf_inband{0};
    // Speculative LLM requests (CallConfig::speculate_after_ms) kept as the reply, cancelled.
    Counter speculations_kept{0}, speculations_cancelled{0};
    std::array<Counter, 3> provider_errors{};
    std::array<Histogram, kStageCount> stages{};
    // The call directory in Redis (rendered only when it is configured).
    Counter directory_enabled{0};  // non-zero once configured (a group sums its workers')
    Counter directory_up{0};  // 1 while Redis answers
    Counter directory_outages{0}, directory_commands{0};
    Counter directory_inbox_applied{0}, directory_parked_applied{0}, calls_orphaned{0};
    std::array<Counter, 6> directory_routes{};  // by directory::RouteOutcome

    static void add(Counter& c, std::uint64_t n = 1) noexcept {
        c.fetch_add(n, std::memory_order_relaxed);
    }
    static std::uint64_t get(const Counter& c) noexcept {
        return c.load(std::memory_order_relaxed);
    }

    void refuse(Refusal r) noexcept { add(refused[static_cast<std::size_t>(r)]); }
    void webhook(webhook::Reason r) noexcept;
    void observe_turn(const TurnLatency& latency) noexcept;
    // Adds what `now` counts beyond `before` (a call's stats grow monotonically).
    void add_call_delta(const agent::CallStats& before, const agent::CallStats& now) noexcept;

    // Adds every counter of `other` (a worker group's sum, net/server/worker_board.hpp).
    void add_from(const Metrics& other) noexcept;

    ServerStats snapshot(bool draining) const noexcept;
    // The /metrics page.
    // `cloud`, when set, adds ringoverbot_provider_failures_total{provider,kind}.
    std::string render(bool draining, std::size_t max_calls,
                       const providers::CloudClient* cloud = nullptr) const;
};

}  // namespace ringoverbot::net
