#include "agent/voice_activity.hpp"

#include <algorithm>
#include <cmath>

namespace ringoverbot::agent {

double EnergyVad::level_dbfs(std::span<const std::int16_t> frame) {
    if (frame.empty()) return -120.0;
    double sum = 0.0;
    for (const auto s : frame) sum += static_cast<double>(s) * static_cast<double>(s);
    const double rms = std::sqrt(sum / static_cast<double>(frame.size())) / 32768.0;
    return rms <= 1e-6 ? -120.0 : 20.0 * std::log10(rms);
}

double EnergyVad::threshold_dbfs(double bot_level_dbfs) const {
    double t = std::max(floor_db_ + config_.margin_db, config_.min_speech_dbfs);
    const double echo = bot_level_dbfs - config_.echo_return_loss_db + config_.echo_margin_db;
    return std::max(t, echo);
}

bool EnergyVad::is_speech(std::span<const std::int16_t> frame, double duration_s,
                          double bot_level_dbfs) {
    last_db_ = level_dbfs(frame);
    const bool speech = last_db_ >= threshold_dbfs(bot_level_dbfs);
    // The floor falls fast to quieter frames and rises slowly toward louder ones, speech or
    // not: steady noise is absorbed within seconds, while the pauses between words pull the
    // floor back down during real speech.
    if (last_db_ > floor_db_)
        floor_db_ = std::min(last_db_, floor_db_ + config_.floor_rise_db_per_s * duration_s);
    else
        floor_db_ = std::max(last_db_, floor_db_ - config_.floor_fall_db_per_s * duration_s);
    return speech;
}

TurnEvent TurnDetector::feed(bool speech, std::uint32_t frame_ms, bool bot_speaking) {
    const std::uint64_t frame_start = now_ms_;
    now_ms_ += frame_ms;
    if (speech) {
        if (speech_run_ms_ == 0) run_start_ms_ = frame_start;
        speech_run_ms_ += frame_ms;
        silence_run_ms_ = 0;
        last_speech_end_ms_ = now_ms_;
    } else {
        silence_run_ms_ += frame_ms;
        // A short gap inside a word does not restart confirmation of a start.
        if (!in_turn_ && silence_run_ms_ >= 60) speech_run_ms_ = 0;
    }
    if (!in_turn_) {
        const std::uint32_t need = bot_speaking ? config_.barge_in_ms : config_.start_ms;
        if (speech && speech_run_ms_ >= need) {
            in_turn_ = true;
            turn_start_ms_ = run_start_ms_;
            return TurnEvent::speech_started;
        }
        return TurnEvent::none;
    }
    if (now_ms_ - turn_start_ms_ >= config_.max_turn_ms) {
        reset();
        return TurnEvent::turn_too_long;
    }
    if (!speech && silence_run_ms_ >= config_.silence_ms) {
        in_turn_ = false;
        speech_run_ms_ = 0;
        return TurnEvent::speech_ended;
    }
    return TurnEvent::none;
}

bool TurnDetector::start_now(std::uint32_t min_speech_ms) {
    if (in_turn_ || speech_run_ms_ == 0 || speech_run_ms_ < min_speech_ms || silence_run_ms_ > 0)
        return false;
    in_turn_ = true;
    turn_start_ms_ = run_start_ms_;
    return true;
}

bool TurnDetector::end_now(std::uint32_t min_silence_ms) {
    if (!in_turn_ || silence_run_ms_ < min_silence_ms) return false;
    in_turn_ = false;
    speech_run_ms_ = 0;
    return true;
}

void TurnDetector::reset() {
    in_turn_ = false;
    speech_run_ms_ = 0;
    silence_run_ms_ = 0;
}

}  // namespace ringoverbot::agent
