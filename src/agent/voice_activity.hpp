// Voice activity and turn taking over 16-bit PCM frames, sans-I/O.
//
// EnergyVad classifies frames as speech with an adaptive noise floor; its threshold also rises
// while the bot is talking (the echo gate) because on a phone line the bot's own voice comes
// back attenuated by the echo return loss: the bot must not take its own echo for barge-in.
// TurnDetector turns frame decisions into confirmed speech starts and ends (endpointing).
#pragma once

#include <cstdint>
#include <span>

namespace ringoverbot::agent {

struct VadConfig {
    double margin_db = 9.0;          // speech is this far above the noise floor
    double min_speech_dbfs = -50.0;  // never speech below this level
    double initial_floor_dbfs = -60.0;
    double floor_rise_db_per_s = 3.0;   // the floor follows rising noise slowly...
    double floor_fall_db_per_s = 30.0;  // ...and falling noise quickly
    double echo_return_loss_db = 12.0;  // how much quieter the bot's echo arrives, at least
    double echo_margin_db = 6.0;        // caller speech must beat the echo estimate by this
};

class EnergyVad {
  public:
    explicit EnergyVad(VadConfig config = {})
        : config_(config), floor_db_(config.initial_floor_dbfs) {}

    // Level of a frame in dBFS (-120 for silence).
    static double level_dbfs(std::span<const std::int16_t> frame);

    // Classifies one frame of `duration_s` seconds. `bot_level_dbfs` is the level of what the
    // bot is playing to the caller at this moment (-120 when silent).
    bool is_speech(std::span<const std::int16_t> frame, double duration_s,
                   double bot_level_dbfs = -120.0);

    double noise_floor_dbfs() const { return floor_db_; }
    double last_level_dbfs() const { return last_db_; }
    double threshold_dbfs(double bot_level_dbfs) const;

  private:
    VadConfig config_;
    double floor_db_;
    double last_db_ = -120.0;
};

struct TurnConfig {
    std::uint32_t start_ms = 120;       // speech needed to confirm a start
    std::uint32_t barge_in_ms = 200;    // speech needed to confirm a start while the bot talks
    std::uint32_t silence_ms = 500;     // silence that ends a turn (endpointing)
    std::uint32_t max_turn_ms = 15000;  // a turn is cut here whatever happens
};

enum class TurnEvent { none, speech_started, speech_ended, turn_too_long };

// Feeds frame decisions in order; times are the stream's own (milliseconds of audio).
class TurnDetector {
  public:
    explicit TurnDetector(TurnConfig config = {}) : config_(config) {}

    TurnEvent feed(bool speech, std::uint32_t frame_ms, bool bot_speaking);
    bool in_turn() const { return in_turn_; }
    // Audio time (ms since the stream began) where the current or last turn's speech began
    // and where its last speech frame ended.
    std::uint64_t turn_start_ms() const { return turn_start_ms_; }
    std::uint64_t last_speech_end_ms() const { return last_speech_end_ms_; }
    void reset();

    // The STT provider's own voice-activity signals, beside the VAD's (Deepgram's SpeechStarted
    // and speech_final/UtteranceEnd). start_now() confirms a start at once when at least
    // min_speech_ms of speech is running (a barge-in without the full confirmation);
    // end_now() ends the turn at once when the caller has been silent at least
    // min_silence_ms. Each returns whether it did.
    bool start_now(std::uint32_t min_speech_ms);
    bool end_now(std::uint32_t min_silence_ms);

    // The silence that ends the current turn from now on (the engine shortens it when the
    // caller's words already make a complete phrase, and restores it for the next turn).
    void set_silence_ms(std::uint32_t silence_ms) { config_.silence_ms = silence_ms; }
    std::uint32_t silence_ms() const { return config_.silence_ms; }
    // Milliseconds of silence since the last speech frame.
    std::uint32_t silence_run_ms() const { return silence_run_ms_; }

  private:
    TurnConfig config_;
    std::uint64_t now_ms_ = 0;
    std::uint32_t speech_run_ms_ = 0;
    std::uint32_t silence_run_ms_ = 0;
    std::uint64_t run_start_ms_ = 0;
    std::uint64_t turn_start_ms_ = 0;
    std::uint64_t last_speech_end_ms_ = 0;
    bool in_turn_ = false;
};

}  // namespace ringoverbot::agent
