#include "net/server/call_deadlines.hpp"

#include <utility>

namespace ringoverbot::net {

void CallDeadlines::set(agent::StreamId id, std::int64_t at_us) {
    const auto it = slot_.find(id);
    if (at_us == kNever) {
        if (it != slot_.end()) erase_slot(it->second);
        return;
    }
    if (it == slot_.end()) {
        heap_.push_back({at_us, id});
        slot_.emplace(id, heap_.size() - 1);
        sift_up(heap_.size() - 1);
        return;
    }
    heap_[it->second].at_us = at_us;
    place(it->second);
}

std::int64_t CallDeadlines::at(agent::StreamId id) const {
    const auto it = slot_.find(id);
    return it == slot_.end() ? kNever : heap_[it->second].at_us;
}

void CallDeadlines::take_due(std::int64_t now_us, std::vector<agent::StreamId>& due) {
    while (!heap_.empty() && heap_.front().at_us <= now_us) {
        due.push_back(heap_.front().id);
        erase_slot(0);
    }
}

void CallDeadlines::place(std::size_t i) {
    if (!sift_up(i)) sift_down(i);
}

bool CallDeadlines::sift_up(std::size_t i) {
    bool moved = false;
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (heap_[parent].at_us <= heap_[i].at_us) break;
        swap_slots(i, parent);
        i = parent;
        moved = true;
    }
    return moved;
}

void CallDeadlines::sift_down(std::size_t i) {
    const std::size_t n = heap_.size();
    while (true) {
        std::size_t least = i;
        const std::size_t l = 2 * i + 1;
        const std::size_t r = l + 1;
        if (l < n && heap_[l].at_us < heap_[least].at_us) least = l;
        if (r < n && heap_[r].at_us < heap_[least].at_us) least = r;
        if (least == i) return;
        swap_slots(i, least);
        i = least;
    }
}

void CallDeadlines::swap_slots(std::size_t a, std::size_t b) {
    std::swap(heap_[a], heap_[b]);
    slot_[heap_[a].id] = a;
    slot_[heap_[b].id] = b;
}

void CallDeadlines::erase_slot(std::size_t i) {
    slot_.erase(heap_[i].id);
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
        heap_[i] = heap_[last];
        slot_[heap_[i].id] = i;
    }
    heap_.pop_back();
    if (i < heap_.size()) place(i);
}

}  // namespace ringoverbot::net
