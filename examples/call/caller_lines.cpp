#include "call/caller_lines.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "ringoverbot/audio.hpp"

namespace ringoverbot::callsim {

namespace {

// Collects one synthesis; the TTS calls it from its worker thread.
class Collector : public providers::TtsSink {
  public:
    void on_audio(std::span<const std::int16_t> samples, std::uint32_t rate_hz) override {
        std::lock_guard lock(mu_);
        samples_.insert(samples_.end(), samples.begin(), samples.end());
        rate_hz_ = rate_hz;
    }
    void on_done() override {
        std::lock_guard lock(mu_);
        done_ = true;
        cv_.notify_all();
    }
    void on_error(const Error& error) override {
        std::lock_guard lock(mu_);
        error_ = error;
        done_ = true;
        cv_.notify_all();
    }
    // Waits for the end of the synthesis.
    Result<std::vector<std::int16_t>> wait(std::chrono::seconds limit, std::uint32_t& rate_hz) {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, limit, [&] { return done_; }))
            return Error{Errc::io,
                         "flite did not finish within " + std::to_string(limit.count()) + " s"};
        if (error_.code != Errc::ok) return error_;
        if (samples_.empty() || rate_hz_ == 0) return Error{Errc::internal, "flite gave no audio"};
        rate_hz = rate_hz_;
        return std::move(samples_);
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::int16_t> samples_;
    std::uint32_t rate_hz_ = 0;
    bool done_ = false;
    Error error_{Errc::ok, {}};
};

// Cuts the silence a synthesizer or a recording leaves around the words, so that the end of
// the line is the end of speech (the start of every latency figure). 10 ms windows whose peak is
// below -40 dBFS are silence; 20 ms of margin stay on each side.
void trim_silence(std::vector<std::int16_t>& pcm, std::uint32_t rate_hz) {
    const std::size_t window = std::max<std::size_t>(1, rate_hz / 100);
    constexpr int kThreshold = 328;  // -40 dBFS
    auto loud = [&](std::size_t w) {
        const std::size_t end = std::min(pcm.size(), (w + 1) * window);
        for (std::size_t i = w * window; i < end; ++i)
            if (std::abs(int{pcm[i]}) > kThreshold) return true;
        return false;
    };
    const std::size_t windows = (pcm.size() + window - 1) / window;
    std::size_t first = 0, last = windows;
    while (first < windows && !loud(first)) ++first;
    if (first == windows) return;  // all silence: leave it as it is
    while (last > first && !loud(last - 1)) --last;
    const std::size_t margin = 2 * window;
    const std::size_t begin = first * window > margin ? first * window - margin : 0;
    const std::size_t end = std::min(pcm.size(), last * window + margin);
    pcm.erase(pcm.begin() + static_cast<std::ptrdiff_t>(end), pcm.end());
    pcm.erase(pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(begin));
}

std::string base_name(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Result<std::vector<std::int16_t>> resample_clip(const std::vector<std::int16_t>& in,
                                                std::uint32_t in_rate_hz,
                                                std::uint32_t out_rate_hz) {
    if (in_rate_hz == out_rate_hz) return in;
    auto rs = audio::Resampler::create(in_rate_hz, out_rate_hz);
    if (!rs) return rs.error();
    std::vector<std::int16_t> out;
    out.reserve(in.size() * out_rate_hz / in_rate_hz + 64);
    if (auto st = rs->process_append(in, out, /*end_of_input=*/true); !st) return st.error();
    return out;
}

Result<std::vector<CallerLine>> prepare_caller_lines(const Options& options,
                                                     std::shared_ptr<providers::WorkerPool> pool) {
    std::vector<CallerLine> lines;
    std::shared_ptr<providers::TtsProvider> tts;
    for (std::size_t i = 0; i < options.lines.size(); ++i) {
        const LineSource& src = options.lines[i];
        const std::string which = "line " + std::to_string(i + 1);
        std::vector<std::int16_t> mono;
        std::uint32_t rate = 0;
        if (src.is_wav) {
            auto wav = audio::read_wav_file(src.text);
            if (!wav)
                return Error{wav.code(), which + " (" + src.text + "): " + wav.error().message};
            if (wav->frames() == 0)
                return Error{Errc::bad_wav, which + " (" + src.text + "): no audio"};
            mono.resize(wav->frames());
            if (wav->channels == 1)
                mono = std::move(wav->samples);
            else
                audio::extract_channel(wav->samples, wav->channels, 0, mono);
            rate = wav->sample_rate_hz;
        } else {
            if (!tts) {
                auto made = providers::make_flite_tts({options.voice, 1.0}, pool);
                if (!made) return Error{made.code(), "flite: " + made.error().message};
                tts = std::move(*made);
            }
            auto collector = std::make_shared<Collector>();
            providers::TtsRequest request;
            request.text = src.text;
            request.sample_rate_hz = options.rate_hz;
            request.voice = options.voice;
            auto handle = tts->synthesize(request, collector);
            if (!handle) return Error{handle.code(), which + ": flite: " + handle.error().message};
            auto audio_or = collector->wait(std::chrono::seconds(30), rate);
            if (!audio_or) return Error{audio_or.code(), which + ": " + audio_or.error().message};
            mono = std::move(*audio_or);
        }
        auto at_rate = resample_clip(mono, rate, options.rate_hz);
        if (!at_rate)
            return Error{at_rate.code(), which + ": resampling: " + at_rate.error().message};
        trim_silence(*at_rate, options.rate_hz);
        lines.push_back({src.is_wav ? base_name(src.text) : src.text, std::move(*at_rate)});
    }
    return lines;
}

}  // namespace ringoverbot::callsim
