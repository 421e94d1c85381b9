#include "webhook/replay_cache.hpp"

#include <cmath>
#include <cstring>

namespace ringoverbot::webhook::detail {

ReplayCache::ReplayCache(std::size_t capacity, double window_s)
    : ring_(capacity == 0 ? 1 : capacity), window_s_(window_s) {
    std::size_t slots = 1;
    while (slots < ring_.size() * 2) slots <<= 1;  // load factor <= 1/2
    index_.assign(slots, 0);
    mask_ = slots - 1;
}

std::uint64_t ReplayCache::hash(const Digest& d) noexcept {
    std::uint64_t h = 0;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

std::size_t ReplayCache::find_slot(const Digest& d) const noexcept {
    for (std::size_t i = hash(d) & mask_;; i = (i + 1) & mask_) {
        const std::uint32_t v = index_[i];
        if (v == 0) return index_.size();
        if (ring_[v - 1].digest == d) return i;
    }
}

bool ReplayCache::seen(const Digest& d, double now) const noexcept {
    const std::size_t slot = find_slot(d);
    if (slot == index_.size()) return false;
    return std::fabs(now - ring_[index_[slot] - 1].time) <= window_s_;
}

std::optional<double> ReplayCache::recorded_at(const Digest& d) const noexcept {
    const std::size_t slot = find_slot(d);
    if (slot == index_.size()) return std::nullopt;
    return ring_[index_[slot] - 1].time;
}

// Backward-shift deletion keeps every probe chain unbroken without tombstones.
void ReplayCache::erase_slot(std::size_t slot) noexcept {
    std::size_t hole = slot;
    for (std::size_t j = (slot + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
        const std::size_t home = hash(ring_[index_[j] - 1].digest) & mask_;
        // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
        const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays) continue;
        index_[hole] = index_[j];
        hole = j;
    }
    index_[hole] = 0;
}

void ReplayCache::forget(const Digest& d) noexcept {
    const std::size_t slot = find_slot(d);
    if (slot == index_.size()) return;
    ring_[index_[slot] - 1].live = false;
    erase_slot(slot);
    --count_;
}

void ReplayCache::record(const Digest& d, double now) noexcept {
    // A digest already known (an expired entry): refresh it where it is; it keeps its place in
    // the eviction order.
    if (const std::size_t slot = find_slot(d); slot != index_.size()) {
        ring_[index_[slot] - 1].time = now;
        return;
    }
    // The position written next holds the oldest entry once the ring has wrapped: evict it.
    Entry& e = ring_[next_];
    if (e.live) {
        if (const std::size_t slot = find_slot(e.digest); slot != index_.size()) erase_slot(slot);
        e.live = false;
        --count_;
    }
    e.digest = d;
    e.time = now;
    e.live = true;
    std::size_t i = hash(d) & mask_;
    while (index_[i] != 0) i = (i + 1) & mask_;
    index_[i] = static_cast<std::uint32_t>(next_ + 1);
    ++count_;
    next_ = (next_ + 1) % ring_.size();
}

}  // namespace ringoverbot::webhook::detail
