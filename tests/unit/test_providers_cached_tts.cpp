#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>

#include "ringoverbot/providers.hpp"
#include "test_providers_util.hpp"

using namespace ringoverbot;
using namespace ringoverbot::providers;
using namespace std::chrono_literals;
using providers_test::TtsRecorder;

namespace {

// A deterministic TTS: 100-sample chunks derived from the text, voice and rate; on a pool when
// given one, else inside synthesize(). "fail" fails; "hold" waits until released.
class FakeTts final : public TtsProvider {
  public:
    explicit FakeTts(std::shared_ptr<WorkerPool> pool = nullptr) : pool_(std::move(pool)) {}
    std::string_view name() const override { return "fake"; }

    Result<std::unique_ptr<Request>> synthesize(const TtsRequest& request,
                                                std::shared_ptr<TtsSink> sink) override {
        if (request.voice == "bad") return Error{Errc::invalid_argument, "bad voice"};
        ++calls;
        auto cancelled = std::make_shared<std::atomic<bool>>(false);
        auto job = [this, request, sink, cancelled] {
            if (request.text == "hold")
                while (!released.load()) std::this_thread::sleep_for(1ms);
            if (request.text == "fail") return sink->on_error(Error{Errc::io, "failed"});
            const std::size_t n = request.text.size() * 50 + 30;  // not a multiple of 100
            std::vector<std::int16_t> chunk;
            for (std::size_t at = 0; at < n && !cancelled->load(); at += 100) {
                chunk.clear();
                for (std::size_t i = at; i < std::min(n, at + 100); ++i)
                    chunk.push_back(static_cast<std::int16_t>(
                        (i * 31 + request.text.size() * 7 + request.voice.size()) % 20000));
                sink->on_audio(chunk, request.sample_rate_hz);
            }
            sink->on_done();  // also when cancelled: the cache must not store a cut synthesis
        };
        if (pool_)
            pool_->post(job);
        else
            job();
        struct Handle : Request {
            std::shared_ptr<std::atomic<bool>> c;
            void cancel() override { c->store(true); }
        };
        auto h = std::make_unique<Handle>();
        h->c = cancelled;
        return std::unique_ptr<Request>(std::move(h));
    }

    std::atomic<int> calls{0};
    std::atomic<bool> released{false};

  private:
    std::shared_ptr<WorkerPool> pool_;
};

std::shared_ptr<TtsRecorder> say(TtsProvider& tts, TtsRequest request) {
    auto sink = std::make_shared<TtsRecorder>();
    auto req = tts.synthesize(request, sink);
    REQUIRE(req.ok());
    REQUIRE(sink->wait());
    return sink;
}

}  // namespace

TEST_CASE("providers: tts cache replays a hit identically and counts hits and misses") {
    auto fake = std::make_shared<FakeTts>(WorkerPool::create(1));
    auto cache = CachedTts::create(fake);
    REQUIRE(cache);
    CHECK(cache->name() == "fake");
    CHECK(CachedTts::create(nullptr) == nullptr);

    auto first = say(*cache, {"Hello there.", 16000, {}});
    CHECK(cache->misses() == 1);
    CHECK(cache->hits() == 0);
    CHECK(fake->calls == 1);
    CHECK(cache->cached_bytes() >= first->audio().size() * 2);

    auto second = say(*cache, {"Hello there.", 16000, {}});
    CHECK(cache->hits() == 1);
    CHECK(fake->calls == 1);  // not asked again
    CHECK(second->audio() == first->audio());
    CHECK(second->chunk_sizes() == first->chunk_sizes());
    CHECK(second->rate() == 16000);
    CHECK(second->done() == 1);

    // Voice, rate and text are all part of the key.
    say(*cache, {"Hello there.", 8000, {}});
    say(*cache, {"Hello there.", 16000, "other"});
    say(*cache, {"Hello there!", 16000, {}});
    CHECK(cache->misses() == 4);
    CHECK(fake->calls == 4);
    CHECK(say(*cache, {"Hello there.", 8000, {}})->rate() == 8000);
    CHECK(cache->hits() == 2);
}

TEST_CASE("providers: tts cache evicts the least recently used and skips what cannot fit") {
    auto fake = std::make_shared<FakeTts>();  // synchronous
    // "aaaa" is 230 samples = 460 bytes + chunk table + key: three such entries do not fit.
    auto cache = CachedTts::create(fake, TtsCacheOptions{1300});
    say(*cache, {"aaaa", 8000, {}});
    say(*cache, {"bbbb", 8000, {}});
    say(*cache, {"aaaa", 8000, {}});  // hit: "aaaa" is now the most recent
    CHECK(cache->hits() == 1);
    say(*cache, {"cccc", 8000, {}});  // evicts "bbbb"
    CHECK(cache->cached_bytes() <= 1300);
    CHECK(cache->cached_bytes() > 0);
    const int calls = fake->calls;
    say(*cache, {"aaaa", 8000, {}});
    say(*cache, {"cccc", 8000, {}});
    CHECK(fake->calls == calls);  // both still cached
    say(*cache, {"bbbb", 8000, {}});
    CHECK(fake->calls == calls + 1);  // evicted

    // Larger than the whole cache: forwarded, never stored.
    const std::string big(100, 'x');
    auto a = say(*cache, {big, 8000, {}});
    auto b = say(*cache, {big, 8000, {}});
    CHECK(a->audio() == b->audio());
    CHECK(fake->calls == calls + 3);
    CHECK(cache->cached_bytes() <= 1300);

    auto none = CachedTts::create(fake, TtsCacheOptions{0});
    say(*none, {"aaaa", 8000, {}});
    say(*none, {"aaaa", 8000, {}});
    CHECK(none->hits() == 0);
    CHECK(none->cached_bytes() == 0);
}

TEST_CASE("providers: tts cache stores neither failures nor cancelled syntheses") {
    auto fake = std::make_shared<FakeTts>(WorkerPool::create(1));
    auto cache = CachedTts::create(fake);
    auto failed = say(*cache, {"fail", 16000, {}});
    CHECK(failed->error());
    CHECK(failed->error()->code == Errc::io);
    CHECK(cache->cached_bytes() == 0);
    auto sink = std::make_shared<TtsRecorder>();
    CHECK(cache->synthesize({"x", 16000, "bad"}, sink).code() == Errc::invalid_argument);
    CHECK(cache->synthesize({"x", 16000, {}}, nullptr).code() == Errc::invalid_argument);

    // Cancelled while the provider is busy: whatever it delivers afterwards is not kept.
    auto blocker = std::make_shared<TtsRecorder>();
    auto hold = cache->synthesize({"hold", 16000, {}}, blocker);
    REQUIRE(hold.ok());
    auto cut = std::make_shared<TtsRecorder>();
    auto req = cache->synthesize({"a long reply", 16000, {}}, cut);
    REQUIRE(req.ok());
    (*req)->cancel();
    fake->released = true;
    REQUIRE(blocker->wait());
    REQUIRE(cut->wait());
    const int calls = fake->calls;
    say(*cache, {"a long reply", 16000, {}});
    CHECK(fake->calls == calls + 1);  // a miss again
    say(*cache, {"a long reply", 16000, {}});
    CHECK(fake->calls == calls + 1);  // now stored
}

TEST_CASE("providers: tts cache prewarms in the background, with flite") {
    auto pool = WorkerPool::create(1);
    auto flite = make_flite_tts({}, pool);
    REQUIRE(flite.ok());
    auto cache = CachedTts::create(*flite);
    const std::vector<std::string> phrases = {"Hello, you have reached the bakery.",
                                              "Sorry, I did not catch that.", "  "};
    cache->prewarm(phrases, 16000);
    cache->prewarm(phrases, 16000);  // in flight already: synthesised twice, stored once
    // The pool runs jobs in order: once this marker ran, the prewarms are done.
    std::promise<void> settled;
    pool->post([&] { settled.set_value(); });
    REQUIRE(settled.get_future().wait_for(10s) == std::future_status::ready);
    CHECK(cache->cached_bytes() > 2 * 16000);
    CHECK(cache->hits() == 0);
    const auto misses = cache->misses();
    auto greeting = say(*cache, {phrases[0], 16000, {}});
    auto sorry = say(*cache, {phrases[1], 16000, {}});
    CHECK(cache->hits() == 2);
    CHECK(cache->misses() == misses);
    CHECK(greeting->audio().size() > 16000);
    CHECK(greeting->rate() == 16000);
    CHECK(sorry->audio().size() > 8000);
    // The same text straight from flite: as long (flite's unvoiced excitation is random noise,
    // so the samples themselves differ from one synthesis to the next).
    auto direct = say(**flite, {phrases[0], 16000, {}});
    CHECK(direct->audio().size() == greeting->audio().size());
    // Replays of the cached entry are identical.
    CHECK(say(*cache, {phrases[0], 16000, {}})->audio() == greeting->audio());
}

TEST_CASE("providers: tts cache under concurrent use") {
    auto fake = std::make_shared<FakeTts>(WorkerPool::create(2));
    auto cache = CachedTts::create(fake, TtsCacheOptions{20000});
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                const std::string text = "phrase " + std::to_string((i * 7 + t) % 12);
                auto sink = std::make_shared<TtsRecorder>();
                auto req = cache->synthesize({text, 16000, {}}, sink);
                if (!req.ok() || !sink->wait() || sink->audio().size() != text.size() * 50 + 30)
                    ++wrong;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
    CHECK(cache->hits() + cache->misses() == 200);
    CHECK(cache->hits() > 0);
    CHECK(cache->cached_bytes() <= 20000);
}

TEST_CASE("providers: tts cache stores a phrase at the rate it is played at") {
    auto pool = WorkerPool::create(1);
    auto flite = make_flite_tts({}, pool);
    REQUIRE(flite.ok());
    const std::string text = "Hello, you have reached the bakery.";
    auto direct = say(**flite, {text, 8000, {}});
    const std::uint32_t native = direct->rate();
    const std::uint32_t wanted = native == 8000 ? 16000 : 8000;  // another rate than flite's

    auto cache = CachedTts::create(*flite);
    cache->prewarm({text}, wanted);
    std::promise<void> settled;
    pool->post([&] { settled.set_value(); });
    REQUIRE(settled.get_future().wait_for(10s) == std::future_status::ready);
    REQUIRE(cache->prewarmed());
    const auto hits = cache->hits();
    auto hit = say(*cache, {text, wanted, {}});
    CHECK(cache->hits() == hits + 1);
    CHECK(hit->rate() == wanted);  // no resampling left for the call
    const double expected = static_cast<double>(direct->audio().size()) * wanted / native;
    CHECK(static_cast<double>(hit->audio().size()) == doctest::Approx(expected).epsilon(0.01));
    // The replayed audio is speech, not silence or a cut tail: its energy is the direct one's.
    auto energy = [](const std::vector<std::int16_t>& a) {
        double e = 0;
        for (auto s : a) e += static_cast<double>(s) * s;
        return e / static_cast<double>(a.empty() ? 1 : a.size());
    };
    CHECK(energy(hit->audio()) == doctest::Approx(energy(direct->audio())).epsilon(0.3));
}

TEST_CASE("providers: tts cache says when its prewarms are done") {
    auto fake = std::make_shared<FakeTts>(WorkerPool::create(1));
    auto cache = CachedTts::create(fake);
    CHECK(cache->prewarmed());  // nothing asked
    cache->prewarm({"hold", "greeting"}, 8000);
    CHECK_FALSE(cache->prewarmed());
    fake->released = true;
    for (int i = 0; i < 2000 && !cache->prewarmed(); ++i) std::this_thread::sleep_for(1ms);
    CHECK(cache->prewarmed());
    CHECK(cache->cached_bytes() > 0);
}

namespace {
// Keeps what on_shared_audio() hands over, as a call's engine does.
struct SharingSink final : TtsSink {
    std::vector<std::shared_ptr<const void>> owners;
    std::vector<std::span<const std::int16_t>> shared;
    std::size_t copied = 0;
    int done = 0;
    void on_audio(std::span<const std::int16_t> s, std::uint32_t) override { copied += s.size(); }
    void on_shared_audio(std::shared_ptr<const void> owner, std::span<const std::int16_t> s,
                         std::uint32_t) override {
        owners.push_back(std::move(owner));
        shared.push_back(s);
    }
    void on_done() override { ++done; }
    void on_error(const Error&) override {}
};
}  // namespace

TEST_CASE("providers: tts cache hands a hit's audio over shared, one copy for every call") {
    auto cache = CachedTts::create(std::make_shared<FakeTts>());
    const auto first = say(*cache, {"Welcome to the line.", 8000, {}});
    auto a = std::make_shared<SharingSink>();
    auto b = std::make_shared<SharingSink>();
    REQUIRE(cache->synthesize({"Welcome to the line.", 8000, {}}, a).ok());
    REQUIRE(cache->synthesize({"Welcome to the line.", 8000, {}}, b).ok());
    CHECK(a->done == 1);
    CHECK(a->copied == 0);  // nothing copied into the sink
    REQUIRE(a->shared.size() == first->chunk_sizes().size());
    REQUIRE(b->shared.size() == a->shared.size());
    std::vector<std::int16_t> replayed;
    for (std::size_t i = 0; i < a->shared.size(); ++i) {
        CHECK(a->owners[i] == a->owners[0]);
        CHECK(a->shared[i].data() == b->shared[i].data());  // the same samples, not a copy
        replayed.insert(replayed.end(), a->shared[i].begin(), a->shared[i].end());
    }
    CHECK(replayed == first->audio());
    // A sink that does not override on_shared_audio still gets the chunks copied.
    CHECK(say(*cache, {"Welcome to the line.", 8000, {}})->audio() == first->audio());
}
