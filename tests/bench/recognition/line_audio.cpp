#include "line_audio.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "ringoverbot/audio.hpp"

namespace recognition {

using ringoverbot::Errc;
using ringoverbot::Error;
using ringoverbot::Result;
using ringoverbot::providers::LineEncoding;
namespace audio = ringoverbot::audio;

std::vector<Condition> all_conditions() {
    return {
        {"8k-l16", 8000, LineEncoding::l16, 0, 0},
        {"8k-pcmu", 8000, LineEncoding::pcmu, 0, 0},
        {"16k-l16", 16000, LineEncoding::l16, 0, 0},
        {"8k-l16+noise15", 8000, LineEncoding::l16, 15, 0},
        {"8k-pcmu+noise15", 8000, LineEncoding::pcmu, 15, 0},
        {"16k-l16+noise15", 16000, LineEncoding::l16, 15, 0},
        {"8k-l16+bot-12", 8000, LineEncoding::l16, 0, -12},
    };
}

double active_rms(std::span<const std::int16_t> samples, std::uint32_t rate_hz) {
    const std::size_t frame = rate_hz / 50;
    std::vector<double> energies;
    for (std::size_t i = 0; i + frame <= samples.size(); i += frame) {
        double e = 0;
        for (std::size_t k = 0; k < frame; ++k) e += double(samples[i + k]) * samples[i + k];
        energies.push_back(e / double(frame));
    }
    if (energies.empty()) return 0;
    const double loudest = *std::max_element(energies.begin(), energies.end());
    if (loudest <= 0) return 0;
    double sum = 0;
    std::size_t n = 0;
    for (double e : energies)
        if (e >= loudest * 1e-3) sum += e, ++n;  // within 30 dB
    return std::sqrt(sum / double(n));
}

namespace {

std::int16_t saturate(double v) {
    return static_cast<std::int16_t>(std::lround(std::clamp(v, -32768.0, 32767.0)));
}

// Gaussian white noise from a seeded Mersenne twister through Box-Muller (spelled out, so the
// figures do not depend on the standard library's distribution).
class WhiteNoise {
  public:
    explicit WhiteNoise(std::uint64_t seed) : rng_(seed) {}
    double next() {
        if (have_spare_) {
            have_spare_ = false;
            return spare_;
        }
        const double u1 = (double(rng_()) + 1.0) / 4294967297.0;
        const double u2 = double(rng_()) / 4294967296.0;
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2 * M_PI * u2);
        have_spare_ = true;
        return r * std::cos(2 * M_PI * u2);
    }

  private:
    std::mt19937 rng_;
    double spare_ = 0;
    bool have_spare_ = false;
};

}  // namespace

Result<Turn> make_turn(std::span<const std::int16_t> recording, std::uint32_t recording_rate_hz,
                       const Condition& condition, double speech_rms,
                       std::span<const std::int16_t> bot, std::uint64_t seed) {
    const std::uint32_t rate = condition.rate_hz;
    std::vector<std::int16_t> speech;
    if (recording_rate_hz == rate) {
        speech.assign(recording.begin(), recording.end());
    } else {
        auto resampler = audio::Resampler::create(recording_rate_hz, rate);
        if (!resampler) return resampler.error();
        if (auto st = resampler->process_append(recording, speech, true); !st) return st.error();
    }
    Turn turn;
    turn.onset = std::size_t{rate} * kLeadMs / 1000;
    std::vector<double> line(turn.onset + speech.size() + std::size_t{rate} * kTrailMs / 1000);
    std::copy(speech.begin(), speech.end(), line.begin() + std::ptrdiff_t(turn.onset));

    if (condition.noise_snr_db != 0) {
        WhiteNoise noise(seed);
        const double sigma = speech_rms * std::pow(10.0, -condition.noise_snr_db / 20.0);
        for (double& s : line) s += sigma * noise.next();
    }
    if (condition.bot_level_db != 0) {
        if (bot.empty() || rate != 8000)
            return Error{Errc::invalid_argument, "the bot's voice is mixed at 8 kHz"};
        const double gain = speech_rms * std::pow(10.0, condition.bot_level_db / 20.0) /
                            std::max(1.0, active_rms(bot, 8000));
        const std::size_t offset = std::size_t(seed % bot.size());
        turn.bot_gain = gain;
        turn.bot_played.resize(line.size());
        for (std::size_t i = 0; i < line.size(); ++i) {
            turn.bot_played[i] = bot[(offset + i) % bot.size()];
            line[i] += gain * turn.bot_played[i];
        }
        const std::size_t before = std::size_t{rate} * 2;
        turn.bot_before.resize(before);
        for (std::size_t i = 0; i < before; ++i)
            turn.bot_before[i] = bot[(offset + bot.size() * 2 - before + i) % bot.size()];
    }
    turn.samples.resize(line.size());
    std::transform(line.begin(), line.end(), turn.samples.begin(), saturate);
    if (condition.encoding == LineEncoding::pcmu) {
        std::vector<std::uint8_t> coded(turn.samples.size());
        audio::ulaw_encode(turn.samples, coded);
        audio::ulaw_decode(coded, turn.samples);
    }
    return turn;
}

}  // namespace recognition
