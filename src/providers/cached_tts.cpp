// A phrase cache in front of any TTS provider.
//
// A miss forwards to the inner provider and tees its audio, chunk for chunk, into an entry that
// is stored once the synthesis completes; a hit replays the stored chunks to the sink at once,
// inside synthesize(). Entries are immutable and shared, so a replay runs outside the lock while
// the entry may already have been evicted, and a sink may keep the entry rather than copy its
// audio (on_shared_audio: every call greeted with one phrase reads one copy). Eviction is least
// recently used, by audio bytes.
//
// An entry holds its audio at the rate the request asked for (the rate it is played at), even
// when the provider speaks at another one: the miss resamples it once on its way into the
// entry, so no call ever resamples a cached phrase again.
#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ringoverbot/audio.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::providers {
namespace {

struct Entry {
    std::uint32_t rate = 0;
    std::vector<std::int16_t> samples;
    std::vector<std::size_t> chunk_sizes;  // the chunks as the provider delivered them
    std::size_t bytes() const {
        return samples.size() * sizeof(std::int16_t) + chunk_sizes.size() * sizeof(std::size_t);
    }
};

std::string cache_key(const TtsRequest& request) {
    // NUL cannot occur in a voice name; the rate comes first so text may contain anything.
    std::string key = std::to_string(request.sample_rate_hz);
    key.push_back('\0');
    key += request.voice;
    key.push_back('\0');
    key += request.text;
    return key;
}

class Store {
  public:
    explicit Store(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    std::shared_ptr<const Entry> find(const std::string& key) {
        std::lock_guard lock(mutex_);
        const auto it = index_.find(key);
        if (it == index_.end()) {
            ++misses_;
            return nullptr;
        }
        ++hits_;
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->entry;
    }

    bool contains(const std::string& key) const {
        std::lock_guard lock(mutex_);
        return index_.count(key) != 0;
    }

    void put(const std::string& key, std::shared_ptr<const Entry> entry) {
        const std::size_t size = entry->bytes() + key.size();
        std::lock_guard lock(mutex_);
        if (size > max_bytes_) return;
        if (const auto it = index_.find(key); it != index_.end()) {
            bytes_ -= it->second->size;
            lru_.erase(it->second);
            index_.erase(it);
        }
        lru_.push_front(Node{key, std::move(entry), size});
        index_.emplace(key, lru_.begin());
        bytes_ += size;
        while (bytes_ > max_bytes_) {
            bytes_ -= lru_.back().size;
            index_.erase(lru_.back().key);
            lru_.pop_back();
        }
    }

    std::size_t max_bytes() const { return max_bytes_; }
    std::size_t bytes() const {
        std::lock_guard lock(mutex_);
        return bytes_;
    }
    std::uint64_t hits() const {
        std::lock_guard lock(mutex_);
        return hits_;
    }
    std::uint64_t misses() const {
        std::lock_guard lock(mutex_);
        return misses_;
    }

  private:
    struct Node {
        std::string key;
        std::shared_ptr<const Entry> entry;
        std::size_t size;
    };
    const std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::list<Node> lru_;  // most recently used first
    std::unordered_map<std::string, std::list<Node>::iterator> index_;
    std::size_t bytes_ = 0;
    std::uint64_t hits_ = 0, misses_ = 0;
};

// Records a miss's audio on its way to the sink (if any) and stores it when complete, at the
// requested rate. The inner provider calls it in order and never concurrently, so the entry
// needs no lock.
class TeeSink final : public TtsSink {
  public:
    TeeSink(std::shared_ptr<Store> store, std::string key, std::uint32_t wanted_rate,
            std::shared_ptr<TtsSink> out)
        : store_(std::move(store)),
          key_(std::move(key)),
          wanted_rate_(wanted_rate),
          out_(std::move(out)),
          entry_(std::make_shared<Entry>()) {}

    void on_audio(std::span<const std::int16_t> samples, std::uint32_t rate) override {
        if (!entry_) keep_ = false;  // audio after on_done: forwarded, never stored
        if (keep_) keep_ = record(samples, rate);
        if (out_) out_->on_audio(samples, rate);
    }
    void on_done() override {
        if (keep_ && resampler_) keep_ = convert({}, true);  // the filter's tail
        if (keep_ && !cancelled_.load(std::memory_order_relaxed))
            store_->put(key_, std::move(entry_));
        finished_.store(true, std::memory_order_release);
        if (out_) out_->on_done();
    }
    void on_error(const Error& error) override {
        finished_.store(true, std::memory_order_release);
        if (out_) out_->on_error(error);
    }

    // A cancelled synthesis may stop early yet still report done: never store it.
    void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
    bool finished() const { return finished_.load(std::memory_order_acquire); }

  private:
    // Appends a chunk to the entry (resampled to the wanted rate); false = give up storing.
    bool record(std::span<const std::int16_t> samples, std::uint32_t rate) {
        if (source_rate_ != 0 && source_rate_ != rate) return false;  // not replayable
        if (source_rate_ == 0) {
            source_rate_ = rate;
            const std::uint32_t stored = wanted_rate_ != 0 ? wanted_rate_ : rate;
            entry_->rate = stored;
            if (stored != rate) {
                auto r = audio::Resampler::create(rate, stored);
                if (!r) return false;  // a rate the resampler refuses: forwarded, not stored
                resampler_.emplace(std::move(*r));
            }
        }
        return resampler_ ? convert(samples, false) : append(samples);
    }
    bool convert(std::span<const std::int16_t> samples, bool end) {
        converted_.clear();
        if (!resampler_->process_append(samples, converted_, end)) return false;
        return converted_.empty() && !end ? true : append(converted_);
    }
    bool append(std::span<const std::int16_t> samples) {
        if (entry_->bytes() + samples.size() * sizeof(std::int16_t) > store_->max_bytes()) {
            entry_->samples = {};  // could never be stored: stop copying
            entry_->chunk_sizes = {};
            return false;
        }
        if (samples.empty()) return true;
        entry_->samples.insert(entry_->samples.end(), samples.begin(), samples.end());
        entry_->chunk_sizes.push_back(samples.size());
        return true;
    }

    std::shared_ptr<Store> store_;
    const std::string key_;
    const std::uint32_t wanted_rate_;  // 0: keep the provider's rate
    std::shared_ptr<TtsSink> out_;
    std::shared_ptr<Entry> entry_;
    std::uint32_t source_rate_ = 0;  // the provider's rate, from its first chunk
    std::optional<audio::Resampler> resampler_;
    std::vector<std::int16_t> converted_;
    bool keep_ = true;
    std::atomic<bool> cancelled_{false};
    std::atomic<bool> finished_{false};
};

class DoneRequest final : public Request {
  public:
    void cancel() override {}
};

class MissRequest final : public Request {
  public:
    MissRequest(std::unique_ptr<Request> inner, std::shared_ptr<TeeSink> tee)
        : inner_(std::move(inner)), tee_(std::move(tee)) {}
    ~MissRequest() override { cancel(); }
    void cancel() override {
        tee_->cancel();
        if (inner_) inner_->cancel();
    }

  private:
    std::unique_ptr<Request> inner_;
    std::shared_ptr<TeeSink> tee_;
};

class PhraseCache final : public CachedTts {
  public:
    PhraseCache(std::shared_ptr<TtsProvider> inner, TtsCacheOptions options)
        : inner_(std::move(inner)), store_(std::make_shared<Store>(options.max_bytes)) {}

    std::string_view name() const override { return inner_->name(); }

    Result<std::unique_ptr<Request>> synthesize(const TtsRequest& request,
                                                std::shared_ptr<TtsSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "tts cache: no sink"};
        std::string key = cache_key(request);
        if (auto entry = store_->find(key)) {
            std::size_t at = 0;
            for (const std::size_t n : entry->chunk_sizes) {
                sink->on_shared_audio(entry, std::span(entry->samples).subspan(at, n), entry->rate);
                at += n;
            }
            sink->on_done();
            return std::unique_ptr<Request>(std::make_unique<DoneRequest>());
        }
        auto tee = std::make_shared<TeeSink>(store_, std::move(key), request.sample_rate_hz,
                                             std::move(sink));
        auto inner = inner_->synthesize(request, tee);
        if (!inner) return inner.error();
        return std::unique_ptr<Request>(
            std::make_unique<MissRequest>(std::move(*inner), std::move(tee)));
    }

    void prewarm(const std::vector<std::string>& texts, std::uint32_t sample_rate_hz) override {
        std::lock_guard lock(prewarm_mutex_);
        std::erase_if(prewarms_, [](const Prewarm& p) { return p.tee->finished(); });
        for (const auto& text : texts) {
            TtsRequest request{text, sample_rate_hz, {}};
            std::string key = cache_key(request);
            if (store_->contains(key)) continue;
            auto tee = std::make_shared<TeeSink>(store_, std::move(key), sample_rate_hz, nullptr);
            // A phrase the provider refuses is simply not cached: a call will see the refusal.
            if (auto inner = inner_->synthesize(request, tee))
                prewarms_.push_back(Prewarm{std::move(*inner), std::move(tee)});
        }
    }

    bool prewarmed() override {
        std::lock_guard lock(prewarm_mutex_);
        std::erase_if(prewarms_, [](const Prewarm& p) { return p.tee->finished(); });
        return prewarms_.empty();
    }

    std::size_t cached_bytes() const override { return store_->bytes(); }
    std::uint64_t hits() const override { return store_->hits(); }
    std::uint64_t misses() const override { return store_->misses(); }

  private:
    struct Prewarm {
        std::unique_ptr<Request> request;
        std::shared_ptr<TeeSink> tee;
    };
    std::shared_ptr<TtsProvider> inner_;
    std::shared_ptr<Store> store_;
    std::mutex prewarm_mutex_;
    // Kept until done (dropping a handle cancels it); destroyed, so cancelled, before inner_.
    std::vector<Prewarm> prewarms_;
};

}  // namespace

std::shared_ptr<CachedTts> CachedTts::create(std::shared_ptr<TtsProvider> inner,
                                             TtsCacheOptions options) {
    if (!inner) return nullptr;
    return std::make_shared<PhraseCache>(std::move(inner), options);
}

}  // namespace ringoverbot::providers
