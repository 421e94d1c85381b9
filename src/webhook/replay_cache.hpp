// A fixed-size cache of recently accepted signatures: a ring of entries (the oldest is
// evicted first) indexed by an open-addressing hash table with linear probing. All memory is
// allocated at construction. Only signatures that were accepted (MAC verified) get in, so the
// keys are MAC outputs an attacker cannot choose: their first bytes are a fine hash.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace ringoverbot::webhook::detail {

class ReplayCache {
  public:
    using Digest = std::array<std::uint8_t, 32>;

    ReplayCache(std::size_t capacity, double window_s);

    // True when `d` was recorded less than window_s ago (|now - recorded| <= window).
    bool seen(const Digest& d, double now) const noexcept;
    // When `d` was last recorded, however long ago, while it is still held (not evicted).
    std::optional<double> recorded_at(const Digest& d) const noexcept;
    // Records `d` at `now`, evicting the oldest entry when full; a known `d` only gets its time
    // refreshed (it keeps its place in the eviction order).
    void record(const Digest& d, double now) noexcept;
    // Removes `d` (nothing when it is not held); its ring position stays free until it is
    // written again in turn.
    void forget(const Digest& d) noexcept;

    std::size_t size() const noexcept { return count_; }
    std::size_t capacity() const noexcept { return ring_.size(); }
    std::size_t memory_bytes() const noexcept {
        return ring_.size() * sizeof(Entry) + index_.size() * sizeof(std::uint32_t);
    }

  private:
    struct Entry {
        Digest digest{};
        double time = 0;
        bool live = false;
    };
    static std::uint64_t hash(const Digest& d) noexcept;
    // Index slot of the live entry holding `d`, or index_.size() when absent.
    std::size_t find_slot(const Digest& d) const noexcept;
    void erase_slot(std::size_t slot) noexcept;

    std::vector<Entry> ring_;
    std::vector<std::uint32_t> index_;  // ring position + 1; 0 = empty
    std::size_t mask_ = 0;
    std::size_t next_ = 0;  // ring position written next (the oldest once full)
    std::size_t count_ = 0;
    double window_s_ = 0;
};

}  // namespace ringoverbot::webhook::detail
