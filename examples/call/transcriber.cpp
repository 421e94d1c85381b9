#include "call/transcriber.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "call/caller_lines.hpp"

namespace ringoverbot::callsim {

namespace {

// Lowercase words only: what a recogniser's grammar can hold.
std::string normalize(std::string_view text) {
    std::string out;
    bool space = true;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' || c >= 0x80) {
            out.push_back(static_cast<char>(c));
            space = false;
        } else if (c >= 'A' && c <= 'Z') {
            out.push_back(static_cast<char>(c - 'A' + 'a'));
            space = false;
        } else if (!space) {
            out.push_back(' ');
            space = true;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Final transcripts, handed over from the provider's thread.
class Finals : public providers::SttSink {
  public:
    void on_transcript(std::string_view text, bool is_final, double) override {
        if (!is_final) return;
        std::lock_guard lock(mu_);
        texts_.emplace_back(text);
        ++finals_;
        cv_.notify_all();
    }
    void on_error(const Error& error) override {
        std::lock_guard lock(mu_);
        error_ = error.message.empty() ? std::string(errc_name(error.code)) : error.message;
        cv_.notify_all();
    }
    std::size_t finals() {
        std::lock_guard lock(mu_);
        return finals_;
    }
    // Waits for a final after `before` finals, then takes every text gathered so far.
    std::string take(std::size_t before, std::chrono::milliseconds limit) {
        std::unique_lock lock(mu_);
        const bool got =
            cv_.wait_for(lock, limit, [&] { return finals_ > before || !error_.empty(); });
        std::string out;
        for (const auto& t : texts_) {
            if (t.empty()) continue;
            if (!out.empty()) out.push_back(' ');
            out += t;
        }
        texts_.clear();
        if (!error_.empty()) {
            out = "[stt error: " + error_ + "]";
            error_.clear();
        } else if (!got) {
            out = "[stt timeout]";
        }
        return out;
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> texts_;
    std::size_t finals_ = 0;
    std::string error_;
};

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> speech_segments(
    const std::vector<std::int16_t>& pcm, std::uint32_t rate_hz) {
    constexpr int kThreshold = 328;  // -40 dBFS peak: silence below
    const std::size_t window = std::max<std::size_t>(1, rate_hz / 100);  // 10 ms
    constexpr std::size_t kGapWindows = 17;    // flite pauses ~190 ms at a sentence's end
    constexpr std::size_t kMarginWindows = 5;  // kept around each stretch
    const std::size_t min_samples = std::size_t{rate_hz} * 6 / 10;  // shorter ones join the next
    std::vector<std::pair<std::size_t, std::size_t>> raw;
    const std::size_t windows = (pcm.size() + window - 1) / window;
    std::size_t start = 0, last_loud_end = 0, silent = 0;
    bool in_speech = false;
    for (std::size_t w = 0; w < windows; ++w) {
        const std::size_t a = w * window, b = std::min(pcm.size(), a + window);
        bool loud = false;
        for (std::size_t i = a; i < b && !loud; ++i) loud = std::abs(int{pcm[i]}) > kThreshold;
        if (loud) {
            if (!in_speech) start = a > kMarginWindows * window ? a - kMarginWindows * window : 0;
            in_speech = true;
            silent = 0;
            last_loud_end = b;
        } else if (in_speech && ++silent >= kGapWindows) {
            raw.emplace_back(start, std::min(pcm.size(), last_loud_end + kMarginWindows * window));
            in_speech = false;
        }
    }
    if (in_speech) raw.emplace_back(start, pcm.size());
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (const auto& seg : raw) {
        if (!out.empty() && out.back().second - out.back().first < min_samples)
            out.back().second = seg.second;
        else
            out.push_back(seg);
    }
    if (out.size() > 1 && out.back().second - out.back().first < min_samples) {
        out[out.size() - 2].second = out.back().second;
        out.pop_back();
    }
    return out;
}

namespace {

// `text` cut at any of `marks` (normalized, empty pieces dropped).
std::vector<std::string> split_at(std::string_view text, std::string_view marks) {
    std::vector<std::string> out;
    std::size_t from = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || marks.find(text[i]) != std::string_view::npos) {
            std::string n = normalize(text.substr(from, i - from));
            if (!n.empty()) out.push_back(std::move(n));
            from = i + 1;
        }
    }
    return out;
}

}  // namespace

std::vector<std::string> grammar_phrases(const std::vector<std::string>& replies,
                                         bool with_beginnings) {
    std::vector<std::string> out;
    std::size_t words = 0;
    auto add = [&](std::string n) {
        if (n.empty() || std::find(out.begin(), out.end(), n) != out.end()) return;
        words += static_cast<std::size_t>(std::count(n.begin(), n.end(), ' ')) + 1;
        out.push_back(std::move(n));
    };
    std::vector<std::string> pieces;  // sentences and clauses
    for (const std::string& reply : replies) {
        add(normalize(reply));
        for (std::string& sentence : split_at(reply, ".!?")) {
            pieces.push_back(sentence);
            add(std::move(sentence));
        }
        for (std::string& clause : split_at(reply, ".!?,;:")) {
            pieces.push_back(clause);
            add(std::move(clause));
        }
    }
    if (!with_beginnings) return out;
    constexpr std::size_t kWordBudget = 1500;
    for (const std::string& piece : pieces) {
        std::size_t words_before = 0;  // words before the space at `sp`
        for (std::size_t sp = piece.find(' '); sp != std::string::npos;
             sp = piece.find(' ', sp + 1)) {
            if (++words_before < 3) continue;
            if (words >= kWordBudget) return out;
            add(piece.substr(0, sp));
        }
    }
    return out;
}

Transcriber::~Transcriber() = default;

Result<std::unique_ptr<Transcriber>> Transcriber::create(
    std::vector<std::string> bot_phrases, std::shared_ptr<providers::WorkerPool> pool) {
    // The bot's audio says one of its replies: no rejection, a phrase is always found.
    providers::PocketsphinxOptions options;
    options.reject = false;
    auto stt = providers::make_pocketsphinx_stt(options, std::move(pool));
    if (!stt) return Error{stt.code(), "pocketsphinx: " + stt.error().message};
    std::unique_ptr<Transcriber> t(new Transcriber());
    t->stt_ = std::move(*stt);
    t->whole_ = grammar_phrases(bot_phrases, false);
    t->cut_ = grammar_phrases(bot_phrases, true);
    return t;
}

// One STT stream of a call, fed turn by turn.
class Transcriber::Stream {
  public:
    Stream(providers::SttProvider& stt, std::uint32_t rate_hz,
           const std::vector<std::string>& phrases, const std::string& call_id)
        : sink_(std::make_shared<Finals>()), silence_(rate_hz / 50, 0) {
        providers::SttOptions options;
        options.sample_rate_hz = rate_hz;
        options.phrases = phrases;
        options.call_id = call_id;
        auto opened = stt.open(options, sink_);
        if (opened)
            stream_ = std::move(*opened);
        else
            error_ = opened.error().message;
    }
    ~Stream() {
        if (stream_) stream_->cancel();
    }

    std::string transcribe(const std::vector<std::int16_t>& audio) {
        if (!stream_) return "[stt error: " + error_ + "]";
        const std::size_t before = sink_->finals();
        feed_silence(300);
        const std::size_t chunk = silence_.size();
        for (std::size_t at = 0; at < audio.size(); at += chunk)
            stream_->send_audio({audio.data() + at, std::min(chunk, audio.size() - at)});
        feed_silence(600);
        stream_->end_of_turn();
        return sink_->take(before, std::chrono::milliseconds(20000));
    }

  private:
    void feed_silence(std::uint32_t ms) {
        for (std::uint32_t i = 0; i < ms / 20; ++i) stream_->send_audio(silence_);
    }
    std::shared_ptr<Finals> sink_;
    std::vector<std::int16_t> silence_;
    std::unique_ptr<providers::SttStream> stream_;
    std::string error_;
};

void Transcriber::transcribe(CallRecord& call, std::uint32_t call_rate_hz) {
    const std::uint32_t stt_rate = stt_->sample_rate_hz() ? stt_->sample_rate_hz() : call_rate_hz;
    // Whole replies and cut ones get different grammars: the beginnings of sentences a cut
    // reply needs would let the filler loop swallow the end of a whole one.
    std::unique_ptr<Stream> whole, cut;
    for (TurnRecord& turn : call.turns) {
        if (turn.played.empty()) continue;
        auto audio = resample_clip(turn.played, call_rate_hz, stt_rate);
        if (!audio) {
            turn.transcript = "[resampling error: " + audio.error().message + "]";
            continue;
        }
        std::unique_ptr<Stream>& stream = turn.interrupted ? cut : whole;
        if (!stream)
            stream = std::make_unique<Stream>(*stt_, stt_rate, turn.interrupted ? cut_ : whole_,
                                              "sim-" + call.call_id);
        std::string text;
        for (const auto& [from, to] : speech_segments(*audio, stt_rate)) {
            std::string part =
                stream->transcribe({audio->begin() + static_cast<std::ptrdiff_t>(from),
                                    audio->begin() + static_cast<std::ptrdiff_t>(to)});
            if (part.empty()) continue;
            if (!text.empty()) text.push_back(' ');
            text += part;
        }
        turn.transcript = std::move(text);
        turn.transcribed = true;
    }
}

}  // namespace ringoverbot::callsim
