// The calls' next wake-up times in one min-heap, served by one loop timer. One libwebsockets
// timer per call put every call into lws' sorted list of timers, whose insert walks the list:
// re-armed a few times a second per call, that walk cost ~9 % of the loop at 1000 calls. Here
// an update is O(log n) and the loop timer is re-armed only when the earliest time changes.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "agent/call_linker.hpp"  // agent::StreamId
#include "ringoverbot/agent.hpp"

namespace ringoverbot::net {

class CallDeadlines {
  public:
    static constexpr std::int64_t kNever = agent::Call::kNever;

    // Sets (or moves) the call's deadline; kNever removes it.
    void set(agent::StreamId id, std::int64_t at_us);
    void remove(agent::StreamId id) { set(id, kNever); }
    // The call's deadline, kNever when it has none.
    std::int64_t at(agent::StreamId id) const;
    // The earliest deadline, kNever when there is none.
    std::int64_t next() const { return heap_.empty() ? kNever : heap_.front().at_us; }
    // Removes the calls whose deadline is at or before now and appends their ids to `due`,
    // earliest first.
    void take_due(std::int64_t now_us, std::vector<agent::StreamId>& due);
    std::size_t size() const { return heap_.size(); }

  private:
    struct Entry {
        std::int64_t at_us;
        agent::StreamId id;
    };
    void place(std::size_t i);  // restores the heap order around slot i
    bool sift_up(std::size_t i);
    void sift_down(std::size_t i);
    void swap_slots(std::size_t a, std::size_t b);
    void erase_slot(std::size_t i);

    std::vector<Entry> heap_;
    std::unordered_map<agent::StreamId, std::size_t> slot_;  // id -> index in heap_
};

}  // namespace ringoverbot::net
