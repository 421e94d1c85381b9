// One call's recording (README §Call recordings): the Call's audio tap lays both sides on a
// StereoTimeline; pump() hands the finished frames to an Ogg Opus file named by the call's id
// and start time, through the RecordingEncoder's threads (or encoding in place without one).
// The file is opened at the first frames (the call id has arrived by then) and finished once,
// whatever ends the call. A failure stops the recording, never the call: the session logs it
// and counts it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/stereo_timeline.hpp"
#include "audio/ogg_opus_file.hpp"
#include "net/server/recording_encoder.hpp"
#include "ringoverbot/agent.hpp"
#include "ringoverbot/audio.hpp"

namespace ringoverbot::net {

class CallRecording final : public agent::AudioTap {
  public:
    // `start_us`: the host clock at the call's start; `start_unix_s`: the same instant in Unix
    // seconds (the file's name).
    // `encoder` (may be null: encode on the calling thread) must outlive the recording; `lane`
    // picks its thread.
    CallRecording(std::string dir, std::int64_t start_us, std::int64_t start_unix_s,
                  RecordingEncoder* encoder = nullptr, std::size_t lane = 0);

    void caller_audio(std::span<const std::int16_t> pcm, const streamer::AudioFormat& format,
                      std::int64_t now_us) override;
    void bot_audio(std::span<const std::int16_t> pcm, std::uint32_t rate_hz,
                   std::int64_t start_us) override;
    void bot_cut(std::int64_t now_us) override;

    // Encodes the frames the clock has passed. The first error (and only it) is returned; the
    // recording has stopped then.
    Status pump(std::int64_t now_us, std::string_view call_id);
    // The call ended at `end_us`: the rest, then the file is finished (once; later calls do
    // nothing and return ok).
    Status finish(std::int64_t end_us, std::string_view call_id);

    bool active() const noexcept { return !stopped_; }
    const std::string& path() const noexcept { return path_; }  // empty until opened
    bool failed() const noexcept { return failed_; }
    std::uint64_t frames_written() const noexcept { return frames_; }  // per channel
    std::uint32_t rate_hz() const noexcept { return rate_; }

  private:
    bool ensure_rate(std::uint32_t rate_hz);
    Status write_out(std::string_view call_id, bool last);
    audio::OggOpusOptions options(std::string_view call_id) const;
    Status stop(Status why);

    std::string dir_;
    std::int64_t start_us_;
    std::int64_t start_unix_s_;
    std::uint32_t rate_ = 0;  // the recording's, fixed by the first audio
    std::optional<agent::StereoTimeline> timeline_;
    std::optional<audio::Resampler> caller_rs_, bot_rs_;
    std::uint32_t caller_rs_from_ = 0, bot_rs_from_ = 0;
    std::vector<std::int16_t> mono_, resampled_, ready_;
    std::optional<audio::OggOpusFile> file_;  // without an encoder
    RecordingEncoder* encoder_ = nullptr;
    std::size_t lane_ = 0;
    std::shared_ptr<EncodedFile> encoded_;  // with one
    std::string path_;
    std::uint64_t frames_ = 0;
    bool stopped_ = false, finished_ = false, failed_ = false;
};

}  // namespace ringoverbot::net
