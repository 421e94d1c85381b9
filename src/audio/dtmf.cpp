// DTMF (ITU-T Q.23 tones) generation and a Goertzel detector with Q.24-style validity checks.
// The block length of 12.75 ms (102 samples at 8 kHz) separates neighbouring tones (73 Hz apart
// at the closest, about one Goertzel bin) while leaving at least two whole blocks inside the
// shortest valid tone (40 ms).
#include <cmath>
#include <numbers>

#include "ringoverbot/audio.hpp"

namespace ringoverbot::audio {
namespace {

constexpr float kRowHz[4] = {697.0f, 770.0f, 852.0f, 941.0f};
constexpr float kColHz[4] = {1209.0f, 1336.0f, 1477.0f, 1633.0f};
constexpr char kKeys[4][5] = {"123A", "456B", "789C", "*0#D"};

constexpr double kBlockSeconds = 0.01275;
// A tone must reach this peak level (dBFS) within a block: well under the -25 dBm0 that Q.24
// asks receivers to accept, and far above quantisation noise.
constexpr float kMinToneDbfs = -38.0f;
constexpr float kNormalTwistDb = 8.0f;    // low group louder than high group
constexpr float kReverseTwistDb = 4.0f;   // high group louder than low group
constexpr float kRelativePeakDb = 8.0f;   // the other tones of a group must be this far below
constexpr float kHarmonicDb = 10.0f;      // a column's 2nd harmonic must be this far below it
constexpr float kToneEnergyShare = 0.6f;  // the two tones' share of the block's energy

float db_to_power(float db) {
    return std::pow(10.0f, db / 10.0f);
}

float goertzel(const float* x, std::size_t n, float coeff) {
    float s1 = 0.0f;
    float s2 = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        const float s = x[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

float coeff_for(double hz, std::uint32_t rate) {
    return static_cast<float>(2.0 * std::cos(2.0 * std::numbers::pi * hz / rate));
}

}  // namespace

bool dtmf_frequencies(char digit, float& row_hz, float& col_hz) noexcept {
    if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
    for (int r = 0; r < 4; ++r) {
        for (int c = 0; c < 4; ++c) {
            if (kKeys[r][c] == digit) {
                row_hz = kRowHz[r];
                col_hz = kColHz[c];
                return true;
            }
        }
    }
    return false;
}

bool dtmf_valid_digit(char digit) noexcept {
    float r = 0;
    float c = 0;
    return digit != '\0' && dtmf_frequencies(digit, r, c);
}

Status dtmf_generate(char digit, std::uint32_t rate_hz, std::span<std::int16_t> out,
                     float level_dbfs) {
    float row = 0;
    float col = 0;
    if (digit == '\0' || !dtmf_frequencies(digit, row, col))
        return Status{Errc::invalid_argument, "dtmf: not a DTMF key"};
    if (rate_hz < 4000) return Status{Errc::invalid_argument, "dtmf: rate must be >= 4000 Hz"};
    const double amp = 32767.0 * std::pow(10.0, static_cast<double>(level_dbfs) / 20.0);
    const double wr = 2.0 * std::numbers::pi * row / rate_hz;
    const double wc = 2.0 * std::numbers::pi * col / rate_hz;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const double t = static_cast<double>(i);
        double v = std::nearbyint(amp * (std::sin(wr * t) + std::sin(wc * t)));
        if (v > 32767.0) v = 32767.0;
        if (v < -32768.0) v = -32768.0;
        out[i] = static_cast<std::int16_t>(v);
    }
    return {};
}

Result<DtmfDetector> DtmfDetector::create(std::uint32_t rate_hz) {
    if (rate_hz < 8000 || rate_hz > 48000)
        return Error{Errc::invalid_argument, "dtmf: rate must be 8000..48000 Hz"};
    DtmfDetector d;
    d.rate_ = rate_hz;
    d.block_.assign(static_cast<std::size_t>(std::lround(kBlockSeconds * rate_hz)), 0.0f);
    for (int i = 0; i < 4; ++i) {
        d.coeff_[i] = coeff_for(kRowHz[i], rate_hz);
        d.coeff_[4 + i] = coeff_for(kColHz[i], rate_hz);
        d.col_harmonic_[i] = coeff_for(2.0 * kColHz[i], rate_hz);
    }
    return d;
}

void DtmfDetector::reset() noexcept {
    fill_ = 0;
    last_block_ = 0;
    stable_ = 0;
    held_ = 0;
    missing_ = 0;
}

char DtmfDetector::classify_block() const noexcept {
    const float* x = block_.data();
    const std::size_t n = block_.size();
    // A sine of peak amplitude A gives a Goertzel power of (A * n / 2)^2.
    static const float min_amp = std::pow(10.0f, kMinToneDbfs / 20.0f);
    const float half_n = static_cast<float>(n) / 2.0f;
    const float threshold = (min_amp * half_n) * (min_amp * half_n);
    float energy = 0.0f;
    for (std::size_t i = 0; i < n; ++i) energy += x[i] * x[i];
    // No tone can reach the threshold in a block this quiet (a Goertzel power is at most
    // n * energy, Cauchy-Schwarz; halved for float rounding): the quiet line, most of a call,
    // costs this one pass instead of eight filters.
    if (2.0f * static_cast<float>(n) * energy < threshold) return 0;
    float power[8];
    for (int i = 0; i < 8; ++i) power[i] = goertzel(x, n, coeff_[i]);
    int row = 0;
    int col = 4;
    for (int i = 1; i < 4; ++i) {
        if (power[i] > power[row]) row = i;
        if (power[4 + i] > power[col]) col = 4 + i;
    }
    const float pr = power[row];
    const float pc = power[col];
    if (pr < threshold || pc < threshold) return 0;
    if (pr > pc * db_to_power(kNormalTwistDb)) return 0;
    if (pc > pr * db_to_power(kReverseTwistDb)) return 0;
    const float peak = db_to_power(kRelativePeakDb);
    for (int i = 0; i < 4; ++i) {
        if (i != row && power[i] * peak > pr) return 0;
        if (4 + i != col && power[4 + i] * peak > pc) return 0;
    }
    // For a pure sine, power / half_n equals the block's energy sum.
    if ((pr + pc) / half_n < kToneEnergyShare * energy) return 0;
    // Speech reaching the column band is rich in harmonics; a DTMF generator is not. (The
    // rows' second harmonics sit within one bin of the column tones, so only columns are
    // checked here; the energy share covers the rest.)
    if (goertzel(x, n, col_harmonic_[col - 4]) * db_to_power(kHarmonicDb) > pc) return 0;
    return kKeys[row][col - 4];
}

std::size_t DtmfDetector::feed(std::span<const std::int16_t> pcm, std::string& digits) {
    std::size_t found = 0;
    const std::size_t n = block_.size();
    for (const std::int16_t s : pcm) {
        block_[fill_++] = static_cast<float>(s) * (1.0f / 32768.0f);
        if (fill_ < n) continue;
        fill_ = 0;
        const char key = classify_block();
        if (key != 0 && key == last_block_) {
            ++stable_;
        } else {
            stable_ = key != 0 ? 1 : 0;
        }
        last_block_ = key;
        if (key != 0 && key == held_) {
            missing_ = 0;
        } else if (held_ != 0 && ++missing_ >= 2) {
            held_ = 0;  // the press is over: the same key may be reported again
            missing_ = 0;
        }
        if (key != 0 && key != held_ && stable_ >= 2) {
            digits.push_back(key);
            ++found;
            held_ = key;
            missing_ = 0;
        }
    }
    return found;
}

}  // namespace ringoverbot::audio
