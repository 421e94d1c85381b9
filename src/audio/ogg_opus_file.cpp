// libopusenc writes through our callbacks, so a failing write is seen (and counted) here rather
// than lost inside stdio; the file descriptor is ours and closed once.
#include "audio/ogg_opus_file.hpp"

#include <fcntl.h>
#include <opus/opusenc.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ringoverbot::audio {

namespace {

struct EncoderDeleter {
    void operator()(OggOpusEnc* e) const noexcept { ope_encoder_destroy(e); }
};
struct CommentsDeleter {
    void operator()(OggOpusComments* c) const noexcept { ope_comments_destroy(c); }
};

}  // namespace

struct OggOpusFile::Impl {
    int fd = -1;
    unsigned channels = 2;
    std::uint32_t rate_hz = 16000;
    bool failed = false, finished = false;
    int write_errno = 0;
    std::uint64_t frames = 0, bytes = 0;
    std::unique_ptr<OggOpusEnc, EncoderDeleter> enc;

    ~Impl() {
        if (!finished) (void)finish();
        close_fd();
    }

    void close_fd() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }

    static int on_write(void* user, const unsigned char* ptr, opus_int32 len) {
        auto* self = static_cast<Impl*>(user);
        if (self->failed || self->fd < 0) return 1;
        std::size_t left = static_cast<std::size_t>(len);
        while (left > 0) {
            const ssize_t n = ::write(self->fd, ptr, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                self->write_errno = n < 0 ? errno : EIO;
                self->failed = true;
                return 1;
            }
            ptr += n;
            left -= static_cast<std::size_t>(n);
            self->bytes += static_cast<std::uint64_t>(n);
        }
        return 0;
    }
    static int on_close(void*) { return 0; }  // the descriptor is closed by finish()

    Status failure(const char* what) {
        failed = true;
        std::string msg = what;
        if (write_errno != 0) {
            msg += ": ";
            msg += std::strerror(write_errno);
        }
        return Status(Errc::io, std::move(msg));
    }

    Status finish() {
        if (finished) return failed ? failure("recording failed earlier") : Status();
        finished = true;
        if (!failed && enc) {
            // libopusenc 0.2.1 asserts in drain when no sample was ever written: give it 20 ms
            // of silence, so an empty recording is still a valid (short) file.
            if (frames == 0) {
                std::vector<std::int16_t> silence(static_cast<std::size_t>(rate_hz / 50) *
                                                  channels);
                if (ope_encoder_write(enc.get(), silence.data(), static_cast<int>(rate_hz / 50)) !=
                    OPE_OK)
                    failed = true;
            }
        }
        if (!failed && enc) {
            const int rc = ope_encoder_drain(enc.get());
            if (rc != OPE_OK) failed = true;
        }
        enc.reset();
        if (fd >= 0 && !failed && ::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
            write_errno = errno;
            failed = true;
        }
        if (fd >= 0 && ::close(fd) != 0 && !failed) {
            write_errno = errno;
            failed = true;
        }
        fd = -1;
        return failed ? failure("cannot finish the recording") : Status();
    }
};

Result<OggOpusFile> OggOpusFile::create(const std::string& path, const OggOpusOptions& o) {
    if (o.channels < 1 || o.channels > 2 || o.rate_hz < 8000 || o.rate_hz > 48000 ||
        o.complexity < 0 || o.complexity > 10 || o.bitrate_bps < 6000 || o.bitrate_bps > 510000)
        return Error{Errc::invalid_argument, "bad Ogg Opus options"};
    auto impl = std::make_unique<Impl>();
    impl->channels = o.channels;
    impl->rate_hz = o.rate_hz;
    impl->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (impl->fd < 0) return Error{Errc::io, "cannot create " + path + ": " + std::strerror(errno)};
    std::unique_ptr<OggOpusComments, CommentsDeleter> comments(ope_comments_create());
    if (!comments) return Error{Errc::nomem, "ope_comments_create failed"};
    if (!o.title.empty()) ope_comments_add(comments.get(), "TITLE", o.title.c_str());
    OpusEncCallbacks callbacks{&Impl::on_write, &Impl::on_close};
    int err = OPE_OK;
    impl->enc.reset(ope_encoder_create_callbacks(&callbacks, impl.get(), comments.get(),
                                                 static_cast<opus_int32>(o.rate_hz),
                                                 static_cast<int>(o.channels), 0, &err));
    if (!impl->enc || err != OPE_OK) {
        impl->finished = true;
        ::unlink(path.c_str());
        return Error{Errc::codec, std::string("libopusenc: ") + ope_strerror(err)};
    }
    ope_encoder_ctl(impl->enc.get(), OPUS_SET_BITRATE(o.bitrate_bps));
    ope_encoder_ctl(impl->enc.get(), OPUS_SET_COMPLEXITY(o.complexity));
    ope_encoder_ctl(impl->enc.get(), OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    // Pages reach the disk at least every second, so a crash loses at most that much.
    ope_encoder_ctl(impl->enc.get(), OPE_SET_MUXING_DELAY(48000));
    return OggOpusFile(std::move(impl));
}

OggOpusFile::OggOpusFile(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
OggOpusFile::OggOpusFile(OggOpusFile&&) noexcept = default;
OggOpusFile& OggOpusFile::operator=(OggOpusFile&&) noexcept = default;
OggOpusFile::~OggOpusFile() = default;

Status OggOpusFile::write(std::span<const std::int16_t> interleaved) {
    Impl& s = *impl_;
    if (s.failed) return Status(Errc::io, "recording failed earlier");
    if (s.finished) return Status(Errc::invalid_state, "recording already finished");
    if (interleaved.size() % s.channels != 0)
        return Status(Errc::invalid_argument, "not whole frames");
    const std::size_t frames = interleaved.size() / s.channels;
    if (frames == 0) return {};
    const int rc = ope_encoder_write(s.enc.get(), interleaved.data(), static_cast<int>(frames));
    if (rc != OPE_OK || s.failed) return s.failure("cannot write the recording");
    s.frames += frames;
    return {};
}

Status OggOpusFile::finish() {
    return impl_->finish();
}

bool OggOpusFile::failed() const noexcept {
    return impl_->failed;
}
std::uint64_t OggOpusFile::frames_written() const noexcept {
    return impl_->frames;
}
std::uint64_t OggOpusFile::bytes_written() const noexcept {
    return impl_->bytes;
}

}  // namespace ringoverbot::audio
