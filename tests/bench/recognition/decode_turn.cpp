#include "decode_turn.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace recognition {

namespace providers = ringoverbot::providers;

namespace {

constexpr auto kFinalTimeout = std::chrono::seconds(120);

class FinalSink final : public providers::SttSink {
  public:
    void on_transcript(std::string_view text, bool is_final, double confidence) override {
        if (!is_final) return;
        std::lock_guard lock(mutex_);
        heard_.text = text;
        heard_.confidence = confidence;
        done_ = true;
        cv_.notify_all();
    }
    void on_error(const ringoverbot::Error& error) override {
        std::lock_guard lock(mutex_);
        heard_.error = error.message.empty() ? "provider error" : error.message;
        done_ = true;
        cv_.notify_all();
    }
    Heard wait() {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, kFinalTimeout, [&] { return done_; }))
            heard_.error = "no final transcript within 120 s";
        return heard_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    Heard heard_;
    bool done_ = false;
};

}  // namespace

Heard decode_turn(providers::SttProvider& stt, const providers::SttOptions& options,
                  const Turn& turn) {
    auto sink = std::make_shared<FinalSink>();
    auto stream = stt.open(options, sink);
    if (!stream) return Heard{{}, providers::kUnknownConfidence, stream.error().message};
    const std::size_t frame = options.sample_rate_hz / 50;
    const std::span<const std::int16_t> line = turn.samples;
    for (std::size_t at = 0; at < line.size(); at += frame) {
        if (at <= turn.onset && turn.onset < at + frame) (*stream)->speech_started();
        (*stream)->send_audio(line.subspan(at, std::min(frame, line.size() - at)));
    }
    (*stream)->end_of_turn();
    return sink->wait();
}

}  // namespace recognition
