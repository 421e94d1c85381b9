// The call engine's per-frame path allocates nothing once warm: decoding, the caller's audio to
// 16 kHz and to the STT, the VAD, the turn detector, the echo gate and the timers.
#include <doctest/doctest.h>

#include "alloc_counter.hpp"
#include "test_agent_fakes.hpp"

using namespace rob_test;

TEST_CASE("agent: a call's audio frames allocate nothing once warm") {
    CallConfig cfg = basic_config();
    Sim sim(cfg);
    sim.world->transcripts = {"hello"};
    // Warm up: the greeting, a turn and its reply, then quiet.
    REQUIRE(sim.silence_until([&] { return !sim.finished.empty(); }, 4000));
    sim.speak(400);
    REQUIRE(sim.silence_until([&] { return sim.finished.size() == 2; }, 8000));
    sim.silence(400);

    auto frame = [](double dbfs, int seed) {
        std::vector<std::uint8_t> bytes(320);
        const double amp = 32767.0 * std::pow(10.0, dbfs / 20.0) * std::sqrt(2.0);
        for (int i = 0; i < 160; ++i) {
            const auto v = static_cast<std::int16_t>(amp * std::sin(0.37 * (i + seed * 160)));
            bytes[2 * i] = static_cast<std::uint8_t>(v & 0xff);
            bytes[2 * i + 1] = static_cast<std::uint8_t>((v >> 8) & 0xff);
        }
        return bytes;
    };
    std::vector<std::vector<std::uint8_t>> quiet, loud;
    for (int i = 0; i < 8; ++i) {
        quiet.push_back(frame(-70, i));
        loud.push_back(frame(-15, i));
    }
    // Silence, then speech that opens a turn (speech_started goes to the STT), all without
    // allocating. (The end of the turn asks the providers for work: that allocates.)
    const int hints = sim.world->speech_hints;
    const auto before = rob_test_allocations();
    for (int i = 0; i < 100; ++i) {
        sim.now += Sim::kFrameUs;
        sim.call->on_message(quiet[i % 8], true, sim.now);
        if (sim.call->next_wakeup_us() <= sim.now) sim.call->poll(sim.now);
    }
    for (int i = 0; i < 20; ++i) {
        sim.now += Sim::kFrameUs;
        sim.call->on_message(loud[i % 8], true, sim.now);
    }
    const auto after = rob_test_allocations();
    CHECK(sim.world->speech_hints == hints + 1);
    CHECK(after - before == 0);
}
