// Helpers shared by the provider tests: sinks that record what arrives (from any thread) and
// let the test wait for the end of a request.
#pragma once

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ringoverbot/providers.hpp"

namespace providers_test {

using namespace std::chrono_literals;

class TtsRecorder : public ringoverbot::providers::TtsSink {
  public:
    void on_audio(std::span<const std::int16_t> samples, std::uint32_t rate) override {
        std::lock_guard lock(m_);
        if (rate_ != 0 && rate_ != rate) rate_changed_ = true;
        rate_ = rate;
        chunk_sizes_.push_back(samples.size());
        audio_.insert(audio_.end(), samples.begin(), samples.end());
        cv_.notify_all();
    }
    void on_done() override {
        std::lock_guard lock(m_);
        ++done_;
        cv_.notify_all();
    }
    void on_error(const ringoverbot::Error& e) override {
        std::lock_guard lock(m_);
        error_ = e;
        cv_.notify_all();
    }
    // Until on_done or on_error; false on timeout.
    bool wait(std::chrono::milliseconds timeout = 10000ms) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, timeout, [&] { return done_ > 0 || error_.has_value(); });
    }
    // Until at least `samples` samples arrived.
    bool wait_audio(std::size_t samples, std::chrono::milliseconds timeout = 10000ms) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, timeout, [&] { return audio_.size() >= samples; });
    }
    std::vector<std::int16_t> audio() const {
        std::lock_guard lock(m_);
        return audio_;
    }
    std::vector<std::size_t> chunk_sizes() const {
        std::lock_guard lock(m_);
        return chunk_sizes_;
    }
    std::uint32_t rate() const {
        std::lock_guard lock(m_);
        return rate_;
    }
    bool rate_changed() const {
        std::lock_guard lock(m_);
        return rate_changed_;
    }
    int done() const {
        std::lock_guard lock(m_);
        return done_;
    }
    std::optional<ringoverbot::Error> error() const {
        std::lock_guard lock(m_);
        return error_;
    }

  private:
    mutable std::mutex m_;
    std::condition_variable cv_;
    std::vector<std::int16_t> audio_;
    std::vector<std::size_t> chunk_sizes_;
    std::uint32_t rate_ = 0;
    bool rate_changed_ = false;
    int done_ = 0;
    std::optional<ringoverbot::Error> error_;
};

class SttRecorder : public ringoverbot::providers::SttSink {
  public:
    void on_transcript(std::string_view text, bool is_final, double) override {
        std::lock_guard lock(m_);
        if (is_final) finals_.emplace_back(text);
        cv_.notify_all();
    }
    void on_error(const ringoverbot::Error& e) override {
        std::lock_guard lock(m_);
        error_ = e;
        cv_.notify_all();
    }
    // Until `count` finals arrived (or an error); false on timeout.
    bool wait_finals(std::size_t count, std::chrono::milliseconds timeout = 10000ms) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, timeout,
                            [&] { return finals_.size() >= count || error_.has_value(); });
    }
    std::vector<std::string> finals() const {
        std::lock_guard lock(m_);
        return finals_;
    }
    std::optional<ringoverbot::Error> error() const {
        std::lock_guard lock(m_);
        return error_;
    }

  private:
    mutable std::mutex m_;
    std::condition_variable cv_;
    std::vector<std::string> finals_;
    std::optional<ringoverbot::Error> error_;
};

inline double rms(std::span<const std::int16_t> s) {
    if (s.empty()) return 0.0;
    double acc = 0.0;
    for (auto v : s) acc += static_cast<double>(v) * v;
    return std::sqrt(acc / static_cast<double>(s.size()));
}

}  // namespace providers_test
