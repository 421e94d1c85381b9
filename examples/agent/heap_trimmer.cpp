#include "agent/heap_trimmer.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <utility>

namespace ringoverbot::agenthost {

HeapTrimmer::TrimFn HeapTrimmer::default_trim() {
#ifdef __GLIBC__
    return [] { malloc_trim(0); };
#else
    return [] {};
#endif
}

HeapTrimmer::HeapTrimmer(std::chrono::milliseconds period, TrimFn trim) {
    thread_ = std::thread([this, period, trim = std::move(trim)] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, period, [this] { return stop_; })) {
            lock.unlock();
            trim();
            lock.lock();
        }
    });
}

HeapTrimmer::~HeapTrimmer() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

}  // namespace ringoverbot::agenthost
