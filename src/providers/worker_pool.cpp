// The worker pool: a FIFO of jobs served by a fixed set of threads.
//
// The queue lives in a shared state the threads co-own, so the pool may be destroyed by one of
// its own jobs (a job holding the last reference to a provider that owns the pool): that thread
// cannot join itself, so it is detached and exits on its own after its job returns.
#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "ringoverbot/providers.hpp"

namespace ringoverbot::providers {
namespace {

struct PoolState {
    mutable std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> jobs;
    bool stopping = false;
};

void serve(const std::shared_ptr<PoolState>& state) {
    // Named so that tools (top -H, perf, the density bench) can tell the providers' work
    // (decoding, synthesis) from the media path on the loop thread.
    pthread_setname_np(pthread_self(), "rob-worker");
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(state->mutex);
            state->wake.wait(lock, [&] { return state->stopping || !state->jobs.empty(); });
            if (state->stopping) return;
            job = std::move(state->jobs.front());
            state->jobs.pop_front();
        }
        // A job that throws must not take the thread (and every later job) with it: the
        // providers report failures through their sinks, so an escaping exception is a bug we
        // survive rather than a result someone waits for.
        try {
            job();
        } catch (...) {
        }
        // Release the job's captures (sinks, provider state) before waiting for the next one.
        job = nullptr;
    }
}

class ThreadPool final : public WorkerPool {
  public:
    explicit ThreadPool(std::size_t threads) : state_(std::make_shared<PoolState>()) {
        threads_.reserve(threads);
        for (std::size_t i = 0; i < threads; ++i)
            threads_.emplace_back([state = state_] { serve(state); });
    }

    ~ThreadPool() override {
        std::deque<std::function<void()>> dropped;
        {
            std::lock_guard lock(state_->mutex);
            state_->stopping = true;
            dropped.swap(state_->jobs);
        }
        state_->wake.notify_all();
        // Destroyed outside the lock: a dropped job's captures may post to this pool.
        dropped.clear();
        const auto self = std::this_thread::get_id();
        for (auto& t : threads_) {
            if (t.get_id() == self)
                t.detach();
            else if (t.joinable())
                t.join();
        }
    }

    void post(std::function<void()> job) override {
        if (!job) return;
        {
            std::lock_guard lock(state_->mutex);
            if (!state_->stopping) {
                state_->jobs.push_back(std::move(job));
                state_->wake.notify_one();
                return;
            }
        }
        // Stopping: the job is dropped here, outside the lock (see the destructor).
    }

    std::size_t threads() const override { return threads_.size(); }

    std::size_t pending() const override {
        std::lock_guard lock(state_->mutex);
        return state_->jobs.size();
    }

  private:
    std::shared_ptr<PoolState> state_;
    std::vector<std::jthread> threads_;
};

}  // namespace

std::shared_ptr<WorkerPool> WorkerPool::create(std::size_t threads) {
    if (threads == 0) threads = 1;
    return std::make_shared<ThreadPool>(threads);
}

}  // namespace ringoverbot::providers
