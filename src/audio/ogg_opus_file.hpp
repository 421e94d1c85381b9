// An Ogg Opus file written as the audio comes (libopusenc over the libopus the library links):
// 16-bit PCM in, pages out to the file as soon as they are full, so memory stays bounded
// whatever the length. Write failures (a full or broken disk) are reported, never thrown; after
// one the file is abandoned and every later call is a cheap no-op.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "ringoverbot/error.hpp"

namespace ringoverbot::audio {

struct OggOpusOptions {
    std::uint32_t rate_hz = 16000;  // of the PCM handed over (libopusenc resamples to 48 kHz)
    unsigned channels = 2;
    std::int32_t bitrate_bps = 32000;  // for all channels together
    int complexity = 5;                // 0..10: encoder CPU against quality
    std::string title;                 // the TITLE comment (empty = none)
};

class OggOpusFile {
  public:
    // Creates (or truncates) `path`. Errc::io when it cannot be opened, codec on an encoder
    // failure, invalid_argument for a bad option.
    static Result<OggOpusFile> create(const std::string& path, const OggOpusOptions& options);
    OggOpusFile(OggOpusFile&&) noexcept;
    OggOpusFile& operator=(OggOpusFile&&) noexcept;
    ~OggOpusFile();  // finishes the file when finish() was not called

    // `interleaved` holds whole frames (channels samples each).
    Status write(std::span<const std::int16_t> interleaved);
    // Flushes the last packets and the end-of-stream page, then closes the file (once).
    Status finish();

    bool failed() const noexcept;
    std::uint64_t frames_written() const noexcept;  // per channel
    std::uint64_t bytes_written() const noexcept;   // Ogg bytes that reached the file

    struct Impl;

  private:
    explicit OggOpusFile(std::unique_ptr<Impl> impl) noexcept;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ringoverbot::audio
