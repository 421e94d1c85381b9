// The shared-memory board of a worker group (include/ringoverbot/workers.hpp): one slot per
// worker, mapped MAP_SHARED by the supervisor before it forks, so every worker sees every
// slot. A worker's server keeps its Metrics in its own slot (every counter is a lock-free,
// address-free atomic, so a write in one process is read in another), and any worker renders
// /health and /metrics for the whole group from the board. A restarted worker takes over its
// slot without zeroing it: the group's counters never go backwards; only the dead worker's
// live-call gauge is reset (by the supervisor).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/server/metrics.hpp"
#include "ringoverbot/error.hpp"
#include "ringoverbot/providers.hpp"
#include "ringoverbot/workers.hpp"

namespace ringoverbot::net {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::int32_t>::is_always_lock_free,
              "the worker board shares atomics between processes");

// A cloud failure counter of one worker (ringoverbot_provider_failures_total{provider,kind}):
// its names are written once, before the slot's cloud_rows count publishes the row.
struct CloudFailureRow {
    std::atomic<std::uint64_t> count{0};
    char provider[24]{};
    char kind[24]{};
};
inline constexpr std::size_t kCloudRows = 48;

struct WorkerSlot {
    std::atomic<std::int32_t> pid{0};     // 0 while no process holds the seat
    std::atomic<std::uint32_t> ready{0};  // the worker's host said it is ready
    std::atomic<std::uint32_t> draining{0};
    std::atomic<std::uint64_t> starts{0};  // 1 after the first start; restarts = starts - 1
    Metrics metrics;
    std::atomic<std::uint32_t> cloud_rows{0};
    std::array<CloudFailureRow, kCloudRows> cloud{};
};

class WorkerBoard {
  public:
    // An anonymous shared mapping of `count` slots (io when mmap fails).
    static Result<std::shared_ptr<WorkerBoard>> create(unsigned count);
    ~WorkerBoard();
    WorkerBoard(const WorkerBoard&) = delete;
    WorkerBoard& operator=(const WorkerBoard&) = delete;

    unsigned count() const noexcept { return count_; }
    WorkerSlot& slot(unsigned i) noexcept { return slots_[i]; }
    const WorkerSlot& slot(unsigned i) const noexcept { return slots_[i]; }

    // Every slot's counters added into `total` (a fresh Metrics).
    void sum(Metrics& total) const noexcept;
    struct Summary {
        unsigned alive = 0, ready = 0, draining = 0;
        std::uint64_t restarts = 0;
    };
    Summary summary() const noexcept;
    // Worker `i` (its own loop thread only) publishes its cloud client's failure counts, each
    // on top of `base` (what the slot held when this run of the worker started: a restarted
    // worker's counts continue those of the run before).
    using CloudCounts = std::vector<providers::CloudClient::ErrorCount>;
    void publish_cloud(unsigned i, const CloudCounts& base, const CloudCounts& now) noexcept;
    CloudCounts cloud_of(unsigned i) const;  // one slot's rows
    CloudCounts cloud_sum() const;           // every slot's, summed by provider and kind
    // The per-worker series appended to /metrics: ringoverbot_workers, _workers_alive, and by
    // worker="i": _worker_calls_active, _worker_calls_total, _worker_restarts_total.
    std::string render_worker_series() const;

  private:
    WorkerBoard(WorkerSlot* slots, std::size_t bytes, unsigned count)
        : slots_(slots), bytes_(bytes), count_(count) {}
    WorkerSlot* slots_;
    std::size_t bytes_;
    unsigned count_;
};

struct Worker::Impl {
    unsigned index = 0;
    std::string host;
    std::uint16_t port = 0;
    std::shared_ptr<WorkerBoard> board;
    WorkerSlot& slot() const noexcept { return board->slot(index); }
};

}  // namespace ringoverbot::net
