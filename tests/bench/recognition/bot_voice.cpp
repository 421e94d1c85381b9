#include "bot_voice.hpp"

#include <condition_variable>
#include <mutex>

#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"

namespace recognition {

namespace providers = ringoverbot::providers;
using ringoverbot::Error;
using ringoverbot::Result;

namespace {

constexpr const char* kBotText =
    "We are open from eight in the morning to six in the evening, Monday to Saturday. On "
    "Sundays we open from eight to noon, and on public holidays we are closed. Your order is "
    "ready. You can pick it up at the counter any time today.";

class CollectSink final : public providers::TtsSink {
  public:
    void on_audio(std::span<const std::int16_t> samples, std::uint32_t rate_hz) override {
        std::lock_guard lock(mutex_);
        samples_.insert(samples_.end(), samples.begin(), samples.end());
        rate_ = rate_hz;
    }
    void on_done() override { finish({}); }
    void on_error(const Error& error) override { finish(error.message + " "); }

    Result<std::vector<std::int16_t>> wait() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return done_; });
        if (!error_.empty() || samples_.empty())
            return Error{ringoverbot::Errc::provider_failed, "flite: no bot voice " + error_};
        if (rate_ == 8000) return std::move(samples_);
        auto resampler = ringoverbot::audio::Resampler::create(rate_, 8000);
        if (!resampler) return resampler.error();
        std::vector<std::int16_t> out;
        if (auto st = resampler->process_append(samples_, out, true); !st) return st.error();
        return out;
    }

  private:
    void finish(std::string error) {
        std::lock_guard lock(mutex_);
        error_ = std::move(error);
        done_ = true;
        cv_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::int16_t> samples_;
    std::uint32_t rate_ = 0;
    std::string error_;
    bool done_ = false;
};

}  // namespace

Result<std::vector<std::int16_t>> synthesize_bot_voice_8k() {
    auto tts = providers::make_flite_tts({"kal", 1.0}, providers::WorkerPool::create(1));
    if (!tts) return tts.error();
    auto sink = std::make_shared<CollectSink>();
    providers::TtsRequest request;
    request.text = kBotText;
    request.sample_rate_hz = 8000;
    auto job = (*tts)->synthesize(request, sink);
    if (!job) return job.error();
    return sink->wait();
}

}  // namespace recognition
