#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "ringoverbot/providers.hpp"

using namespace ringoverbot::providers;
using namespace std::chrono_literals;

namespace {
// A latch the test opens by hand, to hold a worker inside a job.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false, entered = false;
    void enter_and_wait() {
        std::unique_lock lock(m);
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return open; });
    }
    void wait_entered() {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return entered; });
    }
    void release() {
        std::lock_guard lock(m);
        open = true;
        cv.notify_all();
    }
};
}  // namespace

TEST_CASE("providers: worker pool runs jobs in FIFO order on one thread") {
    auto pool = WorkerPool::create(1);
    CHECK(pool->threads() == 1);
    std::mutex m;
    std::condition_variable cv;
    std::vector<int> order;
    for (int i = 0; i < 100; ++i)
        pool->post([&, i] {
            std::lock_guard lock(m);
            order.push_back(i);
            cv.notify_all();
        });
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 5s, [&] { return order.size() == 100; }));
    for (int i = 0; i < 100; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("providers: worker pool uses all its threads and counts pending jobs") {
    auto pool = WorkerPool::create(2);
    CHECK(pool->threads() == 2);
    Gate a, b;
    pool->post([&] { a.enter_and_wait(); });
    pool->post([&] { b.enter_and_wait(); });
    // Both jobs run at once, or this would never return.
    a.wait_entered();
    b.wait_entered();
    std::atomic<int> ran{0};
    pool->post([&] { ++ran; });
    pool->post([&] { ++ran; });
    CHECK(pool->pending() == 2);
    a.release();
    b.release();
    for (int i = 0; i < 500 && ran.load() < 2; ++i) std::this_thread::sleep_for(1ms);
    CHECK(ran.load() == 2);
    CHECK(pool->pending() == 0);
    CHECK(WorkerPool::create(0)->threads() == 1);
}

TEST_CASE("providers: worker pool destruction waits for running jobs and drops pending ones") {
    auto pool = WorkerPool::create(1);
    Gate gate;
    std::atomic<bool> running_finished{false};
    std::atomic<int> pending_ran{0};
    auto token = std::make_shared<int>(0);
    pool->post([&] {
        gate.enter_and_wait();
        std::this_thread::sleep_for(20ms);
        running_finished = true;
    });
    for (int i = 0; i < 5; ++i) pool->post([&, token] { ++pending_ran; });
    gate.wait_entered();
    CHECK(token.use_count() == 6);
    std::thread opener([&] {
        std::this_thread::sleep_for(10ms);
        gate.release();
    });
    pool.reset();
    opener.join();
    CHECK(running_finished.load());  // joined, not abandoned
    CHECK(pending_ran.load() == 0);  // dropped
    CHECK(token.use_count() == 1);   // and their captures released
}

TEST_CASE("providers: worker pool survives a throwing job and its own destruction from a job") {
    auto pool = WorkerPool::create(1);
    std::atomic<int> ran{0};
    pool->post([] { throw 42; });
    pool->post([&] { ++ran; });
    for (int i = 0; i < 500 && ran.load() < 1; ++i) std::this_thread::sleep_for(1ms);
    CHECK(ran.load() == 1);

    // The last reference dies inside a job: the pool's destructor runs on its own worker.
    std::atomic<bool> done{false};
    auto* raw = pool.get();
    raw->post([&done, p = std::move(pool)]() mutable {
        p.reset();
        done = true;
    });
    for (int i = 0; i < 500 && !done.load(); ++i) std::this_thread::sleep_for(1ms);
    CHECK(done.load());
}
