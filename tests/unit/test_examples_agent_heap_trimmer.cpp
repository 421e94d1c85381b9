// The agent host's heap trimmer (examples/agent/heap_trimmer.hpp).
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "agent/heap_trimmer.hpp"

using ringoverbot::agenthost::HeapTrimmer;
using namespace std::chrono_literals;

TEST_CASE("heap trimmer: runs its trim once per period until destroyed") {
    std::atomic<int> trims{0};
    {
        const HeapTrimmer trimmer(1ms, [&] { ++trims; });
        for (int i = 0; i < 5000 && trims.load() < 3; ++i) std::this_thread::sleep_for(1ms);
    }
    const int seen = trims.load();
    CHECK(seen >= 3);
    std::this_thread::sleep_for(20ms);
    CHECK(trims.load() == seen);  // the thread is gone
}

TEST_CASE("heap trimmer: destruction does not wait for the period") {
    std::atomic<int> trims{0};
    const auto t0 = std::chrono::steady_clock::now();
    {
        const HeapTrimmer trimmer(std::chrono::hours(1), [&] { ++trims; });
    }
    CHECK(trims.load() == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::minutes(1));
}

// glibc's own heap only: a sanitizer's allocator replaces it.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROB_TEST_OTHER_ALLOCATOR 1
#endif
#endif
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(ROB_TEST_OTHER_ALLOCATOR)
namespace {

long rss_kib() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

TEST_CASE("heap trimmer: the default trim gives freed heap pages back to the system") {
    // 24 MiB in 2 KiB blocks (served from the heap, not mmap), then all freed but the last,
    // which pins the top of the heap: only a trim can return the pages below it.
    std::vector<std::unique_ptr<char[]>> blocks(12 * 1024);
    for (auto& b : blocks) {
        b = std::make_unique<char[]>(2048);
        for (int i = 0; i < 2048; i += 512) b[i] = 1;
    }
    for (std::size_t i = 0; i + 1 < blocks.size(); ++i) blocks[i].reset();
    const long before = rss_kib();
    HeapTrimmer::default_trim()();
    const long after = rss_kib();
    MESSAGE("RSS " << before << " -> " << after << " KiB");
    CHECK(before - after > 16 * 1024);
}
#endif
