// The pocketsphinx decoders of one provider: a pool shared by all its calls, bounded by a cap,
// and what a decoder's hypothesis is worth (text and confidence).
//
// A decoder is loaded (~0.2 s of CPU, ~28 MB with a grammar; ~0.5 s, ~90 MB with the open
// language model) for one phrase set and lent to one turn at a time. A turn sets the decoder's
// cepstral mean to its call's own estimate before decoding, so a decoder carries nothing from
// one call to the next and any call with the same phrases may use it. Loading and freeing happen
// only in borrow() and warm() (called on worker threads) and in the pool's destructor, never when a
// call ends.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "ringoverbot/error.hpp"

struct ps_decoder_s;  // pocketsphinx's ps_decoder_t

namespace ringoverbot::providers::local {

// What a decoder heard: the words (empty when nothing or no dialog phrase was heard) and how
// sure it is of them, in [0, 1] (kUnknownConfidence with the open language model).
struct Hypothesis {
    std::string text;
    double confidence = 0.0;
};

// A call's estimate of its line's cepstral mean (the model's 13 cepstra), carried from one turn
// to the next; `known` false means the phone-band starting value.
struct CepstralMean {
    std::array<float, 13> value{};
    bool known = false;
};

// Live decoding (ps_process_raw without full_utt) normalises by a running mean that starts
// from this value; the model's own starting value is a wideband one.
void set_cepstral_mean(ps_decoder_s* ps, const CepstralMean& mean);
CepstralMean cepstral_mean(ps_decoder_s* ps);

// The decoder's current hypothesis, mid-utterance or after ps_end_utt. Speech
// that the grammar's phone loop explains better than any phrase gives an empty text.
// `phrases` are the decoder's (a one-word phrase may also be a filler: "yes", "no").
Hypothesis read_hypothesis(ps_decoder_s* ps, const std::vector<std::string>& phrases);
// Decodes `pcm` (16 kHz) as one whole utterance with the model's batch normalisation.
Result<Hypothesis> decode_whole(ps_decoder_s* ps, std::span<const std::int16_t> pcm,
                                const std::vector<std::string>& phrases);

struct PocketsphinxModel {
    std::string hmm, dict, lm;  // the acoustic model folder, the dictionary, the open LM
};

// The phrases a decoder's grammar listens for; an empty set means the open language model.
using PhraseSet = std::shared_ptr<const std::vector<std::string>>;

struct DecoderPoolStats {
    std::size_t cap = 0;        // the most decoders that may exist at once
    std::size_t live = 0;       // existing now: lent, loading or idle
    std::size_t idle = 0;       // parked, ready for the next turn of their phrase set
    std::size_t peak = 0;       // the most that existed at once so far
    std::uint64_t loaded = 0;   // decoders loaded so far
    std::uint64_t evicted = 0;  // idle decoders freed to load one for another phrase set
    std::uint64_t waited = 0;   // borrows that waited for a lent decoder (cap below the threads)
};

class DecoderPool : public std::enable_shared_from_this<DecoderPool> {
  public:
    struct DecoderDeleter {
        void operator()(ps_decoder_s* ps) const;
    };
    using DecoderPtr = std::unique_ptr<ps_decoder_s, DecoderDeleter>;

    // One decoder lent to one turn; goes back to the pool when destroyed.
    class Lease {
      public:
        Lease() = default;
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) noexcept;
        ~Lease();
        ps_decoder_s* get() const { return ps_.get(); }
        explicit operator bool() const { return ps_ != nullptr; }
        // Frees the decoder instead of returning it (after a failed decode, its state unknown).
        void discard();

      private:
        friend class DecoderPool;
        Lease(std::shared_ptr<DecoderPool> pool, DecoderPtr ps, PhraseSet phrases)
            : pool_(std::move(pool)), ps_(std::move(ps)), phrases_(std::move(phrases)) {}
        void give_back();
        std::shared_ptr<DecoderPool> pool_;
        DecoderPtr ps_;
        PhraseSet phrases_;
    };

    // `use_grammar` false: every phrase set gets the open language model. `cap` >= 1.
    static std::shared_ptr<DecoderPool> create(PocketsphinxModel model, bool use_grammar,
                                               bool reject, std::size_t cap);
    ~DecoderPool();
    DecoderPool(const DecoderPool&) = delete;
    DecoderPool& operator=(const DecoderPool&) = delete;

    // An idle decoder of `phrases`, else a new one (in a free slot, or in place of the least
    // recently used idle decoder of another phrase set), else waits for a lent one to come back.
    // Worker threads only: it may load or free a decoder.
    Result<Lease> borrow(const PhraseSet& phrases);
    // As borrow(), but an empty lease instead of waiting when every decoder is lent (a turn
    // decoding as the caller speaks then buffers its audio and borrows at its end).
    Result<Lease> try_borrow(const PhraseSet& phrases);
    // Loads a decoder for `phrases` ahead of its first turn when none exists and one can be
    // had without waiting. Worker threads only.
    void warm(const PhraseSet& phrases);

    DecoderPoolStats stats() const;

  private:
    struct Idle {
        DecoderPtr ps;
        PhraseSet phrases;
    };
    DecoderPool(PocketsphinxModel model, bool use_grammar, bool reject, std::size_t cap);
    // An empty lease when warming finds nothing to do.
    enum class Wait { yes, no, warming };
    Result<Lease> acquire(const PhraseSet& asked, Wait wait);
    Result<DecoderPtr> load(const std::vector<std::string>& phrases) const;
    void forget_live(const PhraseSet& phrases);  // with mutex_ held

    const PocketsphinxModel model_;
    const bool use_grammar_;
    const bool reject_;  // the grammar's phone loop (PocketsphinxOptions::reject)
    const std::size_t cap_;
    const PhraseSet no_phrases_;
    mutable std::mutex mutex_;
    std::condition_variable returned_;
    std::deque<Idle> idle_;        // most recently returned first
    std::vector<PhraseSet> live_;  // the phrase set of every existing decoder
    std::size_t peak_ = 0;
    std::uint64_t loaded_ = 0, evicted_ = 0, waited_ = 0;
};

}  // namespace ringoverbot::providers::local
