#include "net/server/call_recording.hpp"

#include <ctime>

#include "ringoverbot/recording.hpp"

namespace ringoverbot::recording {

std::string file_stem(std::string_view call_id, std::int64_t start_unix_s) {
    std::string stem;
    for (const char c : call_id) {
        if (stem.size() == 64) break;
        const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                          (c == '.' && !stem.empty());
        stem += keep ? c : '_';
    }
    if (stem.empty()) stem = "call";
    const std::time_t t = static_cast<std::time_t>(start_unix_s);
    std::tm utc{};
    char when[32] = "19700101T000000Z";
    if (gmtime_r(&t, &utc) != nullptr) std::strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &utc);
    stem += '-';
    stem += when;
    return stem;
}

std::string file_path(std::string_view dir, std::string_view call_id, std::int64_t start_unix_s,
                      std::string_view extension) {
    std::string path(dir);
    if (!path.empty() && path.back() != '/') path += '/';
    path += file_stem(call_id, start_unix_s);
    path += extension;
    return path;
}

}  // namespace ringoverbot::recording

namespace ringoverbot::net {

namespace {

// The recording's bitrate for both channels: speech at 16 kbit/s a side is transparent for a
// telephone line and keeps an hour near 15 MB.
constexpr std::int32_t kBitrateBps = 32000;
constexpr int kComplexity = 5;

}  // namespace

CallRecording::CallRecording(std::string dir, std::int64_t start_us, std::int64_t start_unix_s,
                             RecordingEncoder* encoder, std::size_t lane)
    : dir_(std::move(dir)),
      start_us_(start_us),
      start_unix_s_(start_unix_s),
      encoder_(encoder),
      lane_(lane) {}

audio::OggOpusOptions CallRecording::options(std::string_view call_id) const {
    audio::OggOpusOptions o;
    o.rate_hz = rate_;
    o.channels = 2;
    o.bitrate_bps = kBitrateBps;
    o.complexity = kComplexity;
    o.title = "call " + std::string(call_id);
    return o;
}

bool CallRecording::ensure_rate(std::uint32_t rate_hz) {
    if (stopped_ || rate_hz == 0) return false;
    if (rate_ == 0) {
        rate_ = rate_hz;
        timeline_.emplace(rate_, start_us_);
    }
    return true;
}

// Brings `pcm` (at `from` Hz) to the recording's rate through `rs` (speexdsp's VoIP filter,
// made when the rates first differ); the result is in resampled_ or `pcm` itself.
namespace {
std::span<const std::int16_t> to_rate(std::span<const std::int16_t> pcm, std::uint32_t from,
                                      std::uint32_t to, std::optional<audio::Resampler>& rs,
                                      std::uint32_t& rs_from, std::vector<std::int16_t>& buf) {
    if (from == to) return pcm;
    if (!rs || rs_from != from) {
        auto made = audio::Resampler::create(from, to, 1, audio::ResampleQuality::voip);
        if (!made) return {};
        rs.emplace(std::move(made.value()));
        rs_from = from;
    }
    buf.clear();
    if (!rs->process_append(pcm, buf)) return {};
    return buf;
}
}  // namespace

void CallRecording::caller_audio(std::span<const std::int16_t> pcm,
                                 const streamer::AudioFormat& format, std::int64_t now_us) {
    if (!ensure_rate(format.sample_rate_hz)) return;
    if (format.channels > 1) {  // the first channel is the caller's
        mono_.clear();
        for (std::size_t i = 0; i < pcm.size(); i += format.channels) mono_.push_back(pcm[i]);
        pcm = mono_;
    }
    timeline_->caller(
        to_rate(pcm, format.sample_rate_hz, rate_, caller_rs_, caller_rs_from_, resampled_),
        now_us);
}

void CallRecording::bot_audio(std::span<const std::int16_t> pcm, std::uint32_t rate_hz,
                              std::int64_t start_us) {
    if (!ensure_rate(rate_hz)) return;
    timeline_->bot(to_rate(pcm, rate_hz, rate_, bot_rs_, bot_rs_from_, resampled_), start_us);
}

void CallRecording::bot_cut(std::int64_t now_us) {
    if (timeline_ && !stopped_) timeline_->cut(now_us);
}

Status CallRecording::stop(Status why) {
    stopped_ = true;
    failed_ = true;
    timeline_.reset();  // its memory goes with the recording
    ready_.clear();
    ready_.shrink_to_fit();
    return why;
}

Status CallRecording::write_out(std::string_view call_id, bool last) {
    if (path_.empty() && !ready_.empty())
        path_ = recording::file_path(dir_, call_id, start_unix_s_, ".opus");
    if (encoder_ != nullptr) {
        if (!encoded_ && !ready_.empty())
            encoded_ = std::make_shared<EncodedFile>(path_, options(call_id));
        if (encoded_ && encoded_->failed()) {
            encoded_->mark_reported();
            return stop(Status(Errc::io, encoded_->error()));
        }
        // Blocks of 200 ms at least: one hand-off per ten caller frames.
        if (encoded_ && (last || ready_.size() / 2 >= rate_ / 5)) {
            frames_ += ready_.size() / 2;
            encoder_->write(encoded_, ready_, lane_);
        }
        return {};
    }
    if (ready_.empty()) return {};
    if (!file_) {
        auto f = audio::OggOpusFile::create(path_, options(call_id));
        if (!f) return stop(f.error());
        file_.emplace(std::move(f.value()));
    }
    auto st = file_->write(ready_);
    if (st) frames_ += ready_.size() / 2;
    ready_.clear();
    if (!st) return stop(st);
    return {};
}

Status CallRecording::pump(std::int64_t now_us, std::string_view call_id) {
    if (stopped_ || !timeline_) return {};
    timeline_->take_ready(now_us, ready_);
    return write_out(call_id, false);
}

Status CallRecording::finish(std::int64_t end_us, std::string_view call_id) {
    if (finished_) return {};
    finished_ = true;
    Status st;
    if (!stopped_ && timeline_) {
        timeline_->take_rest(end_us, ready_);
        st = write_out(call_id, true);
    }
    if (encoded_) {
        // The encoder finishes the file (and counts it) once its queue reaches the end.
        if (st && !failed_ && encoded_->failed()) {
            encoded_->mark_reported();
            st = stop(Status(Errc::io, encoded_->error()));
        }
        encoder_->finish(encoded_, lane_);
        encoded_.reset();
    }
    if (file_) {
        // A failure already returned by pump() is not reported twice.
        auto done = file_->finish();
        if (st && !done && !failed_) st = stop(done);
    }
    file_.reset();
    stopped_ = true;
    timeline_.reset();
    return st;
}

}  // namespace ringoverbot::net
