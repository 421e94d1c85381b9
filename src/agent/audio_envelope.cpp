// AudioEnvelope: the peaks of a lane's audio in a fixed number of buckets (timeline.hpp).
#include <algorithm>
#include <cstdlib>

#include "ringoverbot/timeline.hpp"

namespace ringoverbot::agent {

AudioEnvelope::AudioEnvelope(std::uint32_t bucket_ms, std::size_t capacity)
    : capacity_(std::max<std::size_t>(capacity, 2)),
      bucket_us_(std::int64_t{std::max<std::uint32_t>(bucket_ms, 1)} * 1000) {}

namespace {
// Buckets are added this many at a time: one allocation every ~5 s of a lane at 20 ms buckets.
constexpr std::size_t kGrowthStep = 256;
}  // namespace

void AudioEnvelope::reach(std::size_t bucket) {
    if (bucket < peaks_.size()) return;
    const std::size_t size = std::min(capacity_, (bucket / kGrowthStep + 1) * kGrowthStep);
    std::vector<std::uint16_t> grown;
    grown.reserve(size);  // exactly: a vector's own growth would double
    grown.assign(peaks_.begin(), peaks_.end());
    grown.resize(size, 0);
    peaks_.swap(grown);
}

void AudioEnvelope::coarsen() {
    const std::size_t half = (used_ + 1) / 2;
    for (std::size_t i = 0; i < half; ++i) {
        const std::uint16_t a = peaks_[2 * i];
        const std::uint16_t b = 2 * i + 1 < used_ ? peaks_[2 * i + 1] : std::uint16_t{0};
        peaks_[i] = std::max(a, b);
    }
    std::fill(peaks_.begin() + static_cast<std::ptrdiff_t>(half), peaks_.end(), std::uint16_t{0});
    used_ = half;
    bucket_us_ *= 2;
}

void AudioEnvelope::add(std::span<const std::int16_t> samples, std::uint32_t rate_hz,
                        std::int64_t at_us) {
    if (samples.empty() || rate_hz == 0) return;
    if (origin_us_ < 0) origin_us_ = std::max<std::int64_t>(at_us, 0);
    const std::int64_t rate = rate_hz;
    const auto n = static_cast<std::int64_t>(samples.size());
    // The first sample at or after the origin.
    std::int64_t pos = 0;
    if (at_us < origin_us_) pos = ((origin_us_ - at_us) * rate + 999999) / 1000000;
    while (pos < n) {
        const std::int64_t t = at_us + pos * 1000000 / rate;
        auto bucket = static_cast<std::size_t>((t - origin_us_) / bucket_us_);
        while (bucket >= capacity_) {
            coarsen();
            bucket = static_cast<std::size_t>((t - origin_us_) / bucket_us_);
        }
        reach(bucket);
        // The samples before the bucket's end.
        const std::int64_t bucket_end =
            origin_us_ + static_cast<std::int64_t>(bucket + 1) * bucket_us_;
        std::int64_t end = ((bucket_end - at_us) * rate + 999999) / 1000000;
        end = std::clamp(end, pos + 1, n);
        int peak = 0;
        for (std::int64_t i = pos; i < end; ++i)
            peak = std::max(peak, std::abs(static_cast<int>(samples[static_cast<std::size_t>(i)])));
        peaks_[bucket] = std::max(peaks_[bucket], static_cast<std::uint16_t>(peak));
        used_ = std::max(used_, bucket + 1);
        pos = end;
    }
}

void AudioEnvelope::cut(std::int64_t from_us) {
    if (origin_us_ < 0) return;
    // The bucket holding `from_us` was partly heard: it stays.
    const std::size_t keep =
        from_us <= origin_us_
            ? 0
            : static_cast<std::size_t>((from_us - origin_us_ + bucket_us_ - 1) / bucket_us_);
    if (keep >= used_) return;
    std::fill(peaks_.begin() + static_cast<std::ptrdiff_t>(keep),
              peaks_.begin() + static_cast<std::ptrdiff_t>(used_), std::uint16_t{0});
    used_ = keep;
}

}  // namespace ringoverbot::agent
