#include "net/server/recording_encoder.hpp"

#include <algorithm>

namespace ringoverbot::net {

EncodedFile::EncodedFile(std::string path, audio::OggOpusOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

void EncodedFile::fail(std::string why) {
    if (failed()) return;
    error_ = std::move(why);
    failed_.store(true, std::memory_order_release);
}

RecordingEncoder::RecordingEncoder(unsigned threads, Done done) : done_(std::move(done)) {
    const unsigned n = std::clamp(threads, 1u, 16u);
    for (unsigned i = 0; i < n; ++i) {
        lanes_.push_back(std::make_unique<Lane>());
        Lane& lane = *lanes_.back();
        lane.thread = std::thread([this, &lane] { run(lane); });
    }
}

RecordingEncoder::~RecordingEncoder() {
    for (auto& lane : lanes_) {
        {
            std::lock_guard lock(lane->mu);
            lane->stop = true;
        }
        lane->cv.notify_one();
    }
    for (auto& lane : lanes_) lane->thread.join();
}

void RecordingEncoder::post(std::size_t lane, Task task) {
    Lane& l = *lanes_[lane % lanes_.size()];
    {
        std::lock_guard lock(l.mu);
        l.tasks.push_back(std::move(task));
    }
    l.cv.notify_one();
}

void RecordingEncoder::write(const std::shared_ptr<EncodedFile>& file,
                             std::vector<std::int16_t>& pcm, std::size_t lane) {
    if (pcm.empty() || file->failed()) {
        pcm.clear();
        return;
    }
    const std::uint64_t frames = pcm.size() / 2;
    if (file->pending_frames_.load(std::memory_order_relaxed) + frames >
        kMaxPendingFrames / 48000 * file->options_.rate_hz) {
        file->fail("the disk is slower than the call: recording abandoned");
        pcm.clear();
        return;
    }
    file->pending_frames_.fetch_add(frames, std::memory_order_relaxed);
    Task t;
    t.file = file;
    t.pcm = std::move(pcm);
    pcm = {};
    post(lane, std::move(t));
}

void RecordingEncoder::finish(const std::shared_ptr<EncodedFile>& file, std::size_t lane) {
    Task t;
    t.file = file;
    t.finish = true;
    post(lane, std::move(t));
}

void RecordingEncoder::encode(Task& t) {
    EncodedFile& f = *t.file;
    if (!t.finish) {
        f.pending_frames_.fetch_sub(t.pcm.size() / 2, std::memory_order_relaxed);
        if (f.failed()) return;
        if (!f.file_) {
            auto made = audio::OggOpusFile::create(f.path_, f.options_);
            if (!made) return f.fail(made.error().message);
            f.file_ = std::make_unique<audio::OggOpusFile>(std::move(made.value()));
        }
        if (auto st = f.file_->write(t.pcm); !st) f.fail(st.error().message);
        return;
    }
    bool ok = !f.failed();
    if (f.file_) {
        auto st = f.file_->finish();
        if (!st) {
            f.fail(st.error().message);
            ok = false;
        }
        f.file_.reset();
    }
    if (done_) done_(f, ok);
}

void RecordingEncoder::run(Lane& lane) {
    for (;;) {
        Task t;
        {
            std::unique_lock lock(lane.mu);
            lane.cv.wait(lock, [&] { return lane.stop || !lane.tasks.empty(); });
            if (lane.tasks.empty()) return;  // stopped, and everything queued is done
            t = std::move(lane.tasks.front());
            lane.tasks.pop_front();
        }
        encode(t);
    }
}

}  // namespace ringoverbot::net
