// Proves that the streamer's hot paths allocate nothing once warm. The global allocation
// functions of this test binary are replaced by counting wrappers around malloc/free. Every form
// (plain, array, sized, aligned, nothrow) is replaced, and all of them forward to the same
// malloc/aligned_alloc/free, so new/delete pairs always match (ASan intercepts malloc and free
// underneath and still checks every access). Other tests only see a counter moving.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "common/base64.hpp"
#include "ringoverbot.h"
#include "ringoverbot/streamer.hpp"

namespace {

thread_local std::uint64_t g_allocations = 0;

void* counted_alloc(std::size_t size) {
    ++g_allocations;
    return std::malloc(size == 0 ? 1 : size);
}

void* counted_aligned_alloc(std::size_t size, std::align_val_t align) {
    ++g_allocations;
    const auto a = static_cast<std::size_t>(align);
    const std::size_t rounded = (size + a - 1) / a * a;  // aligned_alloc wants a multiple
    return std::aligned_alloc(a, rounded == 0 ? a : rounded);
}

}  // namespace

// The counter for the other tests of this binary (tests/unit/alloc_counter.hpp).
std::uint64_t rob_test_allocations() {
    return g_allocations;
}

#define ROB_TEST_VISIBLE __attribute__((visibility("default")))

ROB_TEST_VISIBLE void* operator new(std::size_t size) {
    if (void* p = counted_alloc(size)) return p;
    throw std::bad_alloc();
}
ROB_TEST_VISIBLE void* operator new[](std::size_t size) {
    if (void* p = counted_alloc(size)) return p;
    throw std::bad_alloc();
}
ROB_TEST_VISIBLE void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return counted_alloc(size);
}
ROB_TEST_VISIBLE void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return counted_alloc(size);
}
ROB_TEST_VISIBLE void* operator new(std::size_t size, std::align_val_t align) {
    if (void* p = counted_aligned_alloc(size, align)) return p;
    throw std::bad_alloc();
}
ROB_TEST_VISIBLE void* operator new[](std::size_t size, std::align_val_t align) {
    if (void* p = counted_aligned_alloc(size, align)) return p;
    throw std::bad_alloc();
}
ROB_TEST_VISIBLE void* operator new(std::size_t size, std::align_val_t align,
                                    const std::nothrow_t&) noexcept {
    return counted_aligned_alloc(size, align);
}
ROB_TEST_VISIBLE void* operator new[](std::size_t size, std::align_val_t align,
                                      const std::nothrow_t&) noexcept {
    return counted_aligned_alloc(size, align);
}
ROB_TEST_VISIBLE void operator delete(void* p) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete[](void* p) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    std::free(p);
}
ROB_TEST_VISIBLE void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    std::free(p);
}

using namespace ringoverbot;
using namespace ringoverbot::streamer;

namespace {

std::vector<std::uint8_t> l16_frame(int seed, std::size_t samples) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < samples; ++i) {
        const auto v = static_cast<std::uint16_t>(seed * 131 + static_cast<int>(i) * 17);
        out.push_back(static_cast<std::uint8_t>(v & 0xFF));
        out.push_back(static_cast<std::uint8_t>(v >> 8));
    }
    return out;
}

std::string pcmu_json(int seed, std::size_t bytes) {
    std::vector<std::uint8_t> ulaw;
    for (std::size_t i = 0; i < bytes; ++i) {
        ulaw.push_back(static_cast<std::uint8_t>(seed + static_cast<int>(i) * 3));
    }
    return R"({"event":"audio_data","data":{"audioData":")" + base64::encode(ulaw) +
           R"(","encoding":"PCMU","sampleRate":8000}})";
}

}  // namespace

TEST_CASE("streamer: the allocation counter sees allocations") {
    // Direct calls of the allocation functions: unlike new-expressions they may not be elided.
    const auto before = g_allocations;
    void* volatile a = ::operator new(64);
    void* volatile b = ::operator new[](64, std::nothrow);
    CHECK(g_allocations == before + 2);
    ::operator delete(a);
    ::operator delete[](b);
}

TEST_CASE("streamer: decoding audio allocates nothing once warm") {
    // All input is prepared before the measured region.
    std::vector<std::vector<std::uint8_t>> binary;
    std::vector<std::string> json;
    for (int i = 0; i < 1000; ++i) {
        binary.push_back(l16_frame(i, 160));
        json.push_back(pcmu_json(i, 160));
    }
    const std::string dtmf = R"({"event":"dtmf","digit":"7"})";
    const std::string twilio = R"({"event":"media","media":{"track":"inbound","payload":")" +
                               base64::encode(std::string(160, '\x7f')) + R"("}})";

    InboundDecoder d;
    REQUIRE(d.decode_text(R"({"event":"call_start","call_id":1})").kind == EventKind::metadata);
    for (int i = 0; i < 3; ++i) {  // warm-up
        REQUIRE(d.decode(binary[static_cast<std::size_t>(i)], true).kind == EventKind::audio);
        REQUIRE(d.decode_text(json[static_cast<std::size_t>(i)]).kind == EventKind::audio);
        REQUIRE(d.decode_text(twilio).kind == EventKind::audio);
        REQUIRE(d.decode_text(dtmf).kind == EventKind::dtmf);
    }
    const auto growths = d.stats().buffer_growths;

    std::size_t audio_events = 0;
    std::int64_t checksum = 0;
    const auto before = g_allocations;
    for (std::size_t i = 0; i < 1000; ++i) {
        const auto& a = d.decode(binary[i], true);
        audio_events += a.kind == EventKind::audio;
        checksum += a.samples.empty() ? 0 : a.samples[1];
        const auto& b = d.decode_text(json[i]);
        audio_events += b.kind == EventKind::audio;
        checksum += b.samples.empty() ? 0 : b.samples[1];
        if (i % 50 == 0) {
            audio_events += d.decode_text(twilio).kind == EventKind::audio;
            audio_events += d.decode_text(dtmf).kind == EventKind::dtmf;
        }
    }
    const auto allocations = g_allocations - before;

    CHECK(allocations == 0);
    CHECK(audio_events == 2000 + 40);
    CHECK(checksum != 0);
    CHECK(d.stats().buffer_growths == growths);
    CHECK(d.stats().errors == 0);
}

TEST_CASE("streamer: encoding streamAudio allocates nothing once warm") {
    std::vector<std::int16_t> pcm(samples_per_chunk(8000, 200));
    for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<std::int16_t>(i * 13);
    const std::span<const std::int16_t> chunk200(pcm);
    const std::span<const std::int16_t> chunk20 = chunk200.first(samples_per_chunk(8000, 20));
    std::vector<char> out(rob_stream_audio_message_bound(pcm.size() * 2));

    OutboundEncoder enc;
    REQUIRE(enc.stream_audio(chunk200, 8000).ok());  // warm-up: the largest message
    const auto growths = enc.buffer_growths();

    std::size_t bytes = 0;
    const auto before = g_allocations;
    for (int i = 0; i < 1000; ++i) {
        auto a = enc.stream_audio(chunk20, 8000);
        bytes += a.ok() ? a->size() : 0;
        auto b = enc.stream_audio(chunk200, 8000);
        bytes += b.ok() ? b->size() : 0;
        bytes += enc.break_playback().size();
        size_t len = 0;
        if (rob_stream_encode_audio_pcm(pcm.data(), pcm.size(), 8000, out.data(), out.size(),
                                        &len) == ROB_OK) {
            bytes += len;
        }
    }
    const auto allocations = g_allocations - before;

    CHECK(allocations == 0);
    CHECK(enc.buffer_growths() == growths);
    CHECK(bytes == 1000 * (stream_audio_message_size(AudioDataType::raw, 8000, 320) +
                           2 * stream_audio_message_size(AudioDataType::raw, 8000, 3200) + 17));
}
