// Gives the allocator's free memory back to the system now and then. A call frees most of what
// its greeting needed once it has played (reply buffers, the echo canceller's working memory),
// but glibc keeps freed chunks in its free lists and only ever shrinks the top of its heap, so
// after the greeting a silent call would keep the RSS of its speech (measured at 100 silent
// calls: malloc_trim(0) returns ~33 KiB per call). malloc_trim walks the free lists and
// releases every whole free page; it takes the arena's lock for that long, so it runs on its
// own thread, once per period, not on the event loop and not per call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ringoverbot::agenthost {

class HeapTrimmer {
  public:
    using TrimFn = std::function<void()>;
    // `trim` runs every `period` until destruction; the default is malloc_trim(0) on glibc and
    // nothing elsewhere.
    explicit HeapTrimmer(std::chrono::milliseconds period, TrimFn trim = default_trim());
    ~HeapTrimmer();
    HeapTrimmer(const HeapTrimmer&) = delete;
    HeapTrimmer& operator=(const HeapTrimmer&) = delete;

    static TrimFn default_trim();

  private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace ringoverbot::agenthost
