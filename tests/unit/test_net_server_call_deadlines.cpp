#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "net/server/call_deadlines.hpp"

using namespace ringoverbot;
using namespace ringoverbot::net;

TEST_CASE("call deadlines: the earliest comes first, moves and removals included") {
    CallDeadlines d;
    CHECK(d.next() == CallDeadlines::kNever);
    d.set(1, 500);
    d.set(2, 200);
    d.set(3, 900);
    CHECK(d.next() == 200);
    d.set(2, 1000);  // moved later: 1 is now the earliest
    CHECK(d.next() == 500);
    d.set(3, 100);  // moved earlier
    CHECK(d.next() == 100);
    d.remove(3);
    CHECK(d.next() == 500);
    CHECK(d.at(3) == CallDeadlines::kNever);
    d.set(1, CallDeadlines::kNever);  // kNever removes
    CHECK(d.size() == 1);
    CHECK(d.at(2) == 1000);
    d.remove(42);  // unknown: nothing happens
    CHECK(d.size() == 1);
}

TEST_CASE("call deadlines: take_due hands out exactly the calls whose time has come") {
    CallDeadlines d;
    d.set(7, 300);
    d.set(8, 100);
    d.set(9, 200);
    d.set(10, 201);
    std::vector<agent::StreamId> due;
    d.take_due(99, due);
    CHECK(due.empty());
    d.take_due(200, due);  // at the deadline counts as due
    CHECK(due == std::vector<agent::StreamId>{8, 9});
    CHECK(d.at(8) == CallDeadlines::kNever);
    CHECK(d.next() == 201);
    CHECK(d.size() == 2);
}

TEST_CASE("call deadlines: random updates agree with a plain map") {
    std::mt19937 rng(11);
    CallDeadlines d;
    std::map<agent::StreamId, std::int64_t> model;
    std::int64_t now = 0;
    for (int step = 0; step < 20000; ++step) {
        const agent::StreamId id = rng() % 64;
        switch (rng() % 4) {
            case 0:
                d.remove(id);
                model.erase(id);
                break;
            case 3: {
                now += rng() % 50;
                std::vector<agent::StreamId> due;
                d.take_due(now, due);
                std::vector<agent::StreamId> expected;
                for (auto it = model.begin(); it != model.end();) {
                    if (it->second <= now) {
                        expected.push_back(it->first);
                        it = model.erase(it);
                    } else {
                        ++it;
                    }
                }
                std::sort(due.begin(), due.end());
                REQUIRE(due == expected);
                break;
            }
            default: {
                const std::int64_t at = now + static_cast<std::int64_t>(rng() % 1000);
                d.set(id, at);
                model[id] = at;
            }
        }
        std::int64_t earliest = CallDeadlines::kNever;
        for (const auto& [k, v] : model) earliest = std::min(earliest, v);
        REQUIRE(d.next() == earliest);
        REQUIRE(d.size() == model.size());
        REQUIRE(d.at(id) == (model.count(id) ? model[id] : CallDeadlines::kNever));
    }
}
