// The recordings' encoder threads. Opus encoding costs about 2% of a core per recorded call
// (tests/bench/bench_recording.cpp: ~20 ms of CPU per second of call, against ~0.1 ms to lay
// both sides on the timeline), far too much for the one loop thread that serves every call, so
// the loop hands finished stereo blocks to these threads and never waits for them.
//
// Each file stays on one thread (its blocks are encoded in order). A file with more than
// kMaxPendingFrames queued (a disk slower than real time) is abandoned as a failure rather than
// queueing without bound. The destructor finishes every queued file before it returns, so a
// SIGTERM drain leaves complete files.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audio/ogg_opus_file.hpp"

namespace ringoverbot::net {

// One file being encoded. The loop thread reads failed()/error(); the encoder thread writes.
class EncodedFile {
  public:
    EncodedFile(std::string path, audio::OggOpusOptions options);
    bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
    // Valid once failed() is true.
    const std::string& error() const noexcept { return error_; }
    const std::string& path() const noexcept { return path_; }
    // The loop reported (logged and counted) the failure: the encoder does not count it again.
    void mark_reported() noexcept { reported_.store(true, std::memory_order_release); }
    bool reported() const noexcept { return reported_.load(std::memory_order_acquire); }

  private:
    friend class RecordingEncoder;
    void fail(std::string why);

    std::string path_;
    audio::OggOpusOptions options_;
    std::unique_ptr<audio::OggOpusFile> file_;  // opened by the encoder thread
    std::atomic<bool> failed_{false};
    std::atomic<bool> reported_{false};
    std::string error_;
    std::atomic<std::uint64_t> pending_frames_{0};
};

class RecordingEncoder {
  public:
    static constexpr std::uint64_t kMaxPendingFrames = 48000 * 10;  // ~10 s at 48 kHz
    // Called on an encoder thread when a file is finished: ok, or the failure.
    using Done = std::function<void(const EncodedFile&, bool ok)>;

    explicit RecordingEncoder(unsigned threads, Done done);
    ~RecordingEncoder();
    RecordingEncoder(const RecordingEncoder&) = delete;
    RecordingEncoder& operator=(const RecordingEncoder&) = delete;

    // Queues interleaved stereo frames for `file` (moved from `pcm`; `pcm` is left empty).
    // `lane` picks the thread: the same for every block of a file.
    void write(const std::shared_ptr<EncodedFile>& file, std::vector<std::int16_t>& pcm,
               std::size_t lane);
    // Queues the end of `file`: its last packets are flushed and it is closed.
    void finish(const std::shared_ptr<EncodedFile>& file, std::size_t lane);

  private:
    struct Task {
        std::shared_ptr<EncodedFile> file;
        std::vector<std::int16_t> pcm;
        bool finish = false;
    };
    struct Lane {
        std::mutex mu;
        std::condition_variable cv;
        std::deque<Task> tasks;
        bool stop = false;
        std::thread thread;
    };
    void run(Lane& lane);
    void post(std::size_t lane, Task task);
    void encode(Task& task);

    Done done_;
    std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace ringoverbot::net
