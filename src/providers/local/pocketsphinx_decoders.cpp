// The pocketsphinx decoder pool (see the header) and how a decoder is loaded: the acoustic model
// and dictionary, then a JSGF grammar of the phrases inside a loop of common short words, or
// the open language model when there are no phrases.
//
// On phone-band speech (8 kHz mu-law) the open language model misheard half of the demo
// dialog's phrases and decoded 10x slower, while the grammar found every one (measured with
// flite's voice; earlier measurements with espeak-ng voices saw the same).
#include "providers/local/pocketsphinx_decoders.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/err.h>
#include <sphinxbase/jsgf.h>

#include <algorithm>

#include "providers/local/scripted_dialog.hpp"

namespace ringoverbot::providers::local {
namespace {

constexpr std::size_t kMaxGrammarWords = 2000;  // keeps a hostile phrase list from exploding
// Short words callers put around what they came to say. The loop absorbs them so the phrase
// itself can match; more of them makes the loop swallow the phrases instead (measured).
constexpr const char* kFillers[] = {"a",  "the",   "i",    "to",  "um",  "uh", "please", "yes",
                                    "no", "hello", "okay", "can", "you", "me", "my"};

// sphinxbase logs through one process-wide FILE*; -logfn would reopen it per decoder while
// other threads log through it. Logging is switched off once instead.
void silence_sphinx_logging() {
    static std::once_flag once;
    std::call_once(once, [] { err_set_logfp(nullptr); });
}

bool same(const PhraseSet& a, const PhraseSet& b) {
    return a == b || *a == *b;
}

bool in_dictionary(ps_decoder_t* ps, const std::string& word) {
    char* phones = ps_lookup_word(ps, word.c_str());
    if (!phones) return false;
    ckd_free(phones);
    return true;
}

// The JSGF grammar of `phrases` (normalized, dictionary words only), or "" when none is left.
std::string build_grammar(ps_decoder_t* ps, const std::vector<std::string>& phrases) {
    std::vector<std::string> alternatives;
    std::size_t words = 0;
    for (const auto& phrase : phrases) {
        std::string alt;
        for (const auto& w : normalize_words(phrase)) {
            if (words >= kMaxGrammarWords) break;
            if (!in_dictionary(ps, w)) continue;  // an unknown word would fail the grammar
            if (!alt.empty()) alt.push_back(' ');
            alt += w;
            ++words;
        }
        if (!alt.empty() &&
            std::find(alternatives.begin(), alternatives.end(), alt) == alternatives.end())
            alternatives.push_back(std::move(alt));
    }
    if (alternatives.empty()) return {};
    std::string g = "#JSGF V1.0;\ngrammar rob;\n<filler> = ";
    bool first = true;
    for (const char* f : kFillers) {
        if (!in_dictionary(ps, f)) continue;
        g += first ? "" : " | ";
        g += f;
        first = false;
    }
    g += first ? "<NULL>;\n" : ";\n";
    g += "public <utt> = <filler>* (";
    for (std::size_t i = 0; i < alternatives.size(); ++i) {
        g += i ? " | " : " ";
        g += alternatives[i];
    }
    g += " ) <filler>*;\n";
    return g;
}

// ps_set_jsgf_string() of 5prealpha, without its leak: it never frees the parsed grammar.
bool set_grammar(ps_decoder_t* ps, const std::string& jsgf_text) {
    jsgf_t* jsgf = jsgf_parse_string(jsgf_text.c_str(), nullptr);
    if (!jsgf) return false;
    bool ok = false;
    if (jsgf_rule_t* rule = jsgf_get_public_rule(jsgf)) {
        const float lw = cmd_ln_float32_r(ps_get_config(ps), "-lw");
        if (fsg_model_t* fsg = jsgf_build_fsg(jsgf, rule, ps_get_logmath(ps), lw)) {
            ok = ps_set_fsg(ps, "grammar", fsg) >= 0;  // the search keeps its own reference
            fsg_model_free(fsg);
        }
    }
    jsgf_grammar_free(jsgf);
    return ok;
}

}  // namespace

void DecoderPool::DecoderDeleter::operator()(ps_decoder_s* ps) const {
    ps_free(ps);
}

// ---- Lease ----------------------------------------------------------------------------------

DecoderPool::Lease& DecoderPool::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        give_back();
        pool_ = std::move(other.pool_);
        ps_ = std::move(other.ps_);
        phrases_ = std::move(other.phrases_);
    }
    return *this;
}

DecoderPool::Lease::~Lease() {
    give_back();
}

void DecoderPool::Lease::give_back() {
    if (!ps_) return;
    {
        std::lock_guard lock(pool_->mutex_);
        pool_->idle_.push_front(Idle{std::move(ps_), std::move(phrases_)});
    }
    pool_->returned_.notify_one();
    pool_.reset();  // when it was the last reference, the pool goes on this (worker) thread
}

void DecoderPool::Lease::discard() {
    if (!ps_) return;
    ps_.reset();  // freed outside the pool's lock
    {
        std::lock_guard lock(pool_->mutex_);
        pool_->forget_live(phrases_);
    }
    pool_->returned_.notify_one();
    phrases_.reset();
    pool_.reset();
}

// ---- DecoderPool ----------------------------------------------------------------------------

std::shared_ptr<DecoderPool> DecoderPool::create(PocketsphinxModel model, bool use_grammar,
                                                 std::size_t cap) {
    return std::shared_ptr<DecoderPool>(
        new DecoderPool(std::move(model), use_grammar, std::max<std::size_t>(cap, 1)));
}

DecoderPool::DecoderPool(PocketsphinxModel model, bool use_grammar, std::size_t cap)
    : model_(std::move(model)),
      use_grammar_(use_grammar),
      cap_(cap),
      no_phrases_(std::make_shared<const std::vector<std::string>>()) {
    live_.reserve(cap_);
}

DecoderPool::~DecoderPool() = default;  // a lent decoder's lease keeps the pool alive

Result<DecoderPool::Lease> DecoderPool::borrow(const PhraseSet& phrases) {
    return acquire(phrases, false);
}

void DecoderPool::warm(const PhraseSet& phrases) {
    // A failure is reported by the turn that needs the decoder; the lease goes back at once.
    (void)acquire(phrases, true);
}

Result<DecoderPool::Lease> DecoderPool::acquire(const PhraseSet& asked, bool warming) {
    // Without grammars every call shares the open language model's decoders.
    const PhraseSet& phrases = use_grammar_ && asked ? asked : no_phrases_;
    DecoderPtr evicted;
    {
        std::unique_lock lock(mutex_);
        bool counted_wait = false;
        for (;;) {
            if (warming && std::any_of(live_.begin(), live_.end(),
                                       [&](const PhraseSet& p) { return same(p, phrases); }))
                return Lease{};
            auto it = std::find_if(idle_.begin(), idle_.end(),
                                   [&](const Idle& i) { return same(i.phrases, phrases); });
            if (it != idle_.end()) {
                Lease lease(shared_from_this(), std::move(it->ps), std::move(it->phrases));
                idle_.erase(it);
                return lease;
            }
            if (live_.size() < cap_) break;
            // Warming is a guess: it takes a free slot, never another phrase set's decoder.
            if (warming) return Lease{};
            if (!idle_.empty()) {  // the least recently used one of another phrase set
                evicted = std::move(idle_.back().ps);
                forget_live(idle_.back().phrases);
                idle_.pop_back();
                ++evicted_;
                break;
            }
            if (!counted_wait) ++waited_;
            counted_wait = true;
            returned_.wait(lock);
        }
        live_.push_back(phrases);
        peak_ = std::max(peak_, live_.size());
    }
    evicted.reset();  // freed on this worker, outside the lock
    auto ps = load(*phrases);
    if (!ps) {
        {
            std::lock_guard lock(mutex_);
            forget_live(phrases);
        }
        returned_.notify_one();
        return ps.error();
    }
    {
        std::lock_guard lock(mutex_);
        ++loaded_;
    }
    return Lease(shared_from_this(), std::move(*ps), phrases);
}

void DecoderPool::forget_live(const PhraseSet& phrases) {
    auto it = std::find_if(live_.begin(), live_.end(),
                           [&](const PhraseSet& p) { return same(p, phrases); });
    if (it != live_.end()) live_.erase(it);
}

Result<DecoderPool::DecoderPtr> DecoderPool::load(const std::vector<std::string>& phrases) const {
    silence_sphinx_logging();
    cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", model_.hmm.c_str(), "-dict",
                                   model_.dict.c_str(), "-samprate", "16000", nullptr);
    if (!config) return Error{Errc::internal, "pocketsphinx: the decoder's settings failed"};
    DecoderPtr ps(ps_init(config));
    cmd_ln_free_r(config);  // the decoder holds its own reference
    if (!ps) return Error{Errc::internal, "pocketsphinx: the decoder failed to load"};
    const std::string grammar = build_grammar(ps.get(), phrases);
    if (!grammar.empty()) {
        if (!set_grammar(ps.get(), grammar) || ps_set_search(ps.get(), "grammar") < 0)
            return Error{Errc::internal, "pocketsphinx: the phrase grammar failed"};
    } else if (ps_set_lm_file(ps.get(), "lm", model_.lm.c_str()) < 0 ||
               ps_set_search(ps.get(), "lm") < 0) {
        return Error{Errc::internal, "pocketsphinx: the language model failed"};
    }
    return ps;
}

DecoderPoolStats DecoderPool::stats() const {
    std::lock_guard lock(mutex_);
    return {cap_, live_.size(), idle_.size(), peak_, loaded_, evicted_, waited_};
}

}  // namespace ringoverbot::providers::local
