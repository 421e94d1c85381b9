#include "net/server/worker_board.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "common/json_writer.hpp"

namespace ringoverbot::net {

Result<std::shared_ptr<WorkerBoard>> WorkerBoard::create(unsigned count) {
    if (count == 0) return Error{Errc::invalid_argument, "workers: at least one"};
    const std::size_t bytes = sizeof(WorkerSlot) * count;
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return Error{Errc::io, std::string("workers: shared memory: ") + std::strerror(errno)};
    auto* slots = static_cast<WorkerSlot*>(mem);
    for (unsigned i = 0; i < count; ++i) new (&slots[i]) WorkerSlot();
    return std::shared_ptr<WorkerBoard>(new WorkerBoard(slots, bytes, count));
}

WorkerBoard::~WorkerBoard() {
    // Trivially destructible atomics: nothing to run but the unmapping.
    munmap(slots_, bytes_);
}

void WorkerBoard::sum(Metrics& total) const noexcept {
    for (unsigned i = 0; i < count_; ++i) total.add_from(slots_[i].metrics);
}

WorkerBoard::Summary WorkerBoard::summary() const noexcept {
    Summary s;
    for (unsigned i = 0; i < count_; ++i) {
        const WorkerSlot& w = slots_[i];
        const std::uint64_t starts = w.starts.load(std::memory_order_relaxed);
        s.restarts += starts > 0 ? starts - 1 : 0;
        if (w.pid.load(std::memory_order_relaxed) == 0) continue;
        ++s.alive;
        if (w.ready.load(std::memory_order_relaxed) != 0) ++s.ready;
        if (w.draining.load(std::memory_order_relaxed) != 0) ++s.draining;
    }
    return s;
}

namespace {

bool fits(const std::string& name, std::size_t size) {
    return name.size() < size;
}

}  // namespace

void WorkerBoard::publish_cloud(unsigned i, const CloudCounts& base,
                                const CloudCounts& now) noexcept {
    WorkerSlot& w = slots_[i];
    auto base_of = [&](const std::string& provider, const std::string& kind) -> std::uint64_t {
        for (const auto& b : base)
            if (b.provider == provider && b.kind == kind) return b.count;
        return 0;
    };
    std::uint32_t n = w.cloud_rows.load(std::memory_order_relaxed);
    for (const auto& row : now) {
        const std::uint64_t value = base_of(row.provider, row.kind) + row.count;
        std::uint32_t k = 0;
        while (k < n && (row.provider != w.cloud[k].provider || row.kind != w.cloud[k].kind)) ++k;
        if (k == n) {
            if (n == kCloudRows || !fits(row.provider, sizeof w.cloud[k].provider) ||
                !fits(row.kind, sizeof w.cloud[k].kind))
                continue;  // names beyond what the board holds: not shared
            std::memcpy(w.cloud[k].provider, row.provider.c_str(), row.provider.size() + 1);
            std::memcpy(w.cloud[k].kind, row.kind.c_str(), row.kind.size() + 1);
            w.cloud_rows.store(++n, std::memory_order_release);
        }
        w.cloud[k].count.store(value, std::memory_order_relaxed);
    }
}

WorkerBoard::CloudCounts WorkerBoard::cloud_of(unsigned i) const {
    CloudCounts out;
    const WorkerSlot& w = slots_[i];
    const std::uint32_t n = w.cloud_rows.load(std::memory_order_acquire);
    for (std::uint32_t k = 0; k < n && k < kCloudRows; ++k)
        out.push_back({w.cloud[k].provider, w.cloud[k].kind,
                       w.cloud[k].count.load(std::memory_order_relaxed)});
    return out;
}

WorkerBoard::CloudCounts WorkerBoard::cloud_sum() const {
    CloudCounts out;
    for (unsigned i = 0; i < count_; ++i) {
        for (auto& row : cloud_of(i)) {
            auto it = std::find_if(out.begin(), out.end(), [&](const auto& o) {
                return o.provider == row.provider && o.kind == row.kind;
            });
            if (it == out.end())
                out.push_back(std::move(row));
            else
                it->count += row.count;
        }
    }
    return out;
}

std::string WorkerBoard::render_worker_series() const {
    std::string out;
    auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
        out.append("# HELP ").append(name).append(" ").append(help).append("\n");
        out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    };
    auto sample = [&](std::string_view name, unsigned worker, std::uint64_t v) {
        out.append(name);
        if (worker != ~0u) {
            out.append("{worker=\"");
            json::append_uint(out, worker);
            out.append("\"}");
        }
        out.push_back(' ');
        json::append_uint(out, v);
        out.push_back('\n');
    };
    const Summary s = summary();
    family("ringoverbot_workers", "gauge", "Worker processes configured (--workers).");
    sample("ringoverbot_workers", ~0u, count_);
    family("ringoverbot_workers_alive", "gauge", "Worker processes running now.");
    sample("ringoverbot_workers_alive", ~0u, s.alive);
    family("ringoverbot_worker_calls_active", "gauge", "Live calls by worker process.");
    for (unsigned i = 0; i < count_; ++i)
        sample("ringoverbot_worker_calls_active", i, Metrics::get(slots_[i].metrics.calls_active));
    family("ringoverbot_worker_calls_total", "counter", "Calls accepted by worker process.");
    for (unsigned i = 0; i < count_; ++i)
        sample("ringoverbot_worker_calls_total", i, Metrics::get(slots_[i].metrics.calls_total));
    family("ringoverbot_worker_restarts_total", "counter",
           "Times the supervisor restarted a worker process that died.");
    for (unsigned i = 0; i < count_; ++i) {
        const std::uint64_t starts = slots_[i].starts.load(std::memory_order_relaxed);
        sample("ringoverbot_worker_restarts_total", i, starts > 0 ? starts - 1 : 0);
    }
    return out;
}

// ---- Worker ---------------------------------------------------------------------------------

Worker::Worker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Worker::~Worker() = default;
unsigned Worker::index() const noexcept {
    return impl_->index;
}
unsigned Worker::count() const noexcept {
    return impl_->board->count();
}
const std::string& Worker::host() const noexcept {
    return impl_->host;
}
std::uint16_t Worker::port() const noexcept {
    return impl_->port;
}

}  // namespace ringoverbot::net
