// The pocketsphinx decoder pool (see the header) and how a decoder is loaded: the acoustic model
// and dictionary, then a JSGF grammar of the phrases inside a loop of common short words beside
// a loop of single phones (the garbage model that out-of-dialog speech takes), or the open
// language model when there are no phrases. Why this rejection and its numbers: README.md.
//
// On phone-band speech (8 kHz mu-law) the open language model misheard half of the demo
// dialog's phrases and decoded 10x slower, while the grammar found every one (measured with
// flite's voice; earlier measurements with espeak-ng voices saw the same).
#include "providers/local/pocketsphinx_decoders.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/jsgf.h>

#include <algorithm>
#include <cmath>

#include "providers/local/scripted_dialog.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::providers::local {
namespace {

constexpr std::size_t kMaxGrammarWords = 2000;  // keeps a hostile phrase list from exploding
// Short words callers put around what they came to say. The loop absorbs them so the phrase
// itself can match; more of them makes the loop swallow the phrases instead (measured).
constexpr const char* kFillers[] = {"a",  "the",   "i",    "to",  "um",  "uh", "please", "yes",
                                    "no", "hello", "okay", "can", "you", "me", "my"};

// The garbage model: every phone of the model as a one-phone "word" in a loop. A word
// insertion penalty of 1e-6 (pocketsphinx's default is 0.65) makes each phone cost as much as
// a word, so a phrase that fits wins over the loop and speech that fits none takes the loop.
constexpr const char* kGarbagePrefix = "ph_";
constexpr const char* kPhones[] = {"AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH",
                                   "EH", "ER", "EY", "F",  "G",  "HH", "IH", "IY", "JH", "K",
                                   "L",  "M",  "N",  "NG", "OW", "OY", "P",  "R",  "S",  "SH",
                                   "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
constexpr const char* kWordInsertionPenalty = "1e-4";

// The confidence of a phrase the grammar heard: a logistic of two pieces of evidence (README.md
// has the numbers that chose them). The coverage: the share of the caller's speech (frames of
// words, silence and noise left out) that the phrase's words explain, the rest being fillers
// and phones; a phrase in a run of fillers is how out-of-dialog speech that beat the phone loop
// looks. The acoustic fit: the phrase's acoustic score per frame. pocketsphinx scores each
// frame's senones relative to the best active one (the phone loop's phones are always active),
// so this is a per-frame log-likelihood ratio of the phrase against the best any state of the
// model (in practice the phone loop) does over the same frames, in the decoder's score units
// (about -45 for a phrase said clearly, -75 for one forced onto other words).
constexpr double kAcousticWeight = 0.03;
constexpr double kConfidenceMidpoint = -1.35, kConfidenceSlope = 4.0;

// The cepstral mean of phone-band speech (8 kHz, upsampled to 16 kHz), measured live over
// Debian's asterisk-core-sounds-en recordings; the model's own -cmninit is a wideband one.
constexpr std::array<float, 13> kPhoneBandMean = {46.0f,  31.0f, -27.2f, 39.3f, -18.5f, -0.5f, 5.6f,
                                                  -21.7f, 21.1f, -13.9f, -5.9f, 5.6f,   -13.2f};

constexpr int kEstimateFrames = 100;  // the weight of a turn's starting mean (10 ms frames)

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

std::string garbage_word(const char* phone) {
    std::string w = kGarbagePrefix;
    for (const char* c = phone; *c; ++c) w.push_back(static_cast<char>(*c - 'A' + 'a'));
    return w;
}

bool add_garbage_words(ps_decoder_t* ps) {
    for (std::size_t i = 0; i < std::size(kPhones); ++i)
        if (ps_add_word(ps, garbage_word(kPhones[i]).c_str(), kPhones[i],
                        i + 1 == std::size(kPhones)) < 0)
            return false;
    return true;
}

bool is_filler(std::string_view word) {
    return std::any_of(std::begin(kFillers), std::end(kFillers),
                       [&](const char* f) { return word == f; });
}

// The JSGF grammar of `phrases` (normalized, dictionary words only), or "" when none is left.
std::string build_grammar(ps_decoder_t* ps, const std::vector<std::string>& phrases, bool reject) {
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
    if (!reject) {  // fillers only: any speech is forced onto a phrase
        g += "public <utt> = <filler>* (";
        for (std::size_t i = 0; i < alternatives.size(); ++i) {
            g += i ? " | " : " ";
            g += alternatives[i];
        }
        g += " ) <filler>*;\n";
        return g;
    }
    g += "<garbage> = ";
    for (std::size_t i = 0; i < std::size(kPhones); ++i) {
        g += i ? " | " : "";
        g += garbage_word(kPhones[i]);
    }
    g += ";\n<extra> = <filler> | <garbage>;\npublic <utt> = <extra>* (";
    for (std::size_t i = 0; i < alternatives.size(); ++i) {
        g += i ? " | " : " ";
        g += alternatives[i];
    }
    g += " ) <extra>* | <garbage>+;\n";
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

void set_cepstral_mean(ps_decoder_s* ps, const CepstralMean& mean) {
    std::array<mfcc_t, 13> v{};
    const auto& from = mean.known ? mean.value : kPhoneBandMean;
    std::copy(from.begin(), from.end(), v.begin());
    cmn_t* cmn = ps_get_feat(ps)->cmn_struct;
    cmn_live_set(cmn, v.data());
    // cmn_live_set weighs the estimate as 5 s of speech; as 1 s, the turn's own frames
    // dominate the mean it ends with, so a call's second turn starts from its own line's mean.
    for (int i = 0; i < cmn->veclen && i < static_cast<int>(v.size()); ++i)
        cmn->sum[i] = v[static_cast<std::size_t>(i)] * kEstimateFrames;
    cmn->nframe = kEstimateFrames;
}

CepstralMean cepstral_mean(ps_decoder_s* ps) {
    std::array<mfcc_t, 13> v{};
    cmn_live_get(ps_get_feat(ps)->cmn_struct, v.data());
    CepstralMean mean{{}, true};
    std::copy(v.begin(), v.end(), mean.value.begin());
    return mean;
}

Hypothesis read_hypothesis(ps_decoder_s* ps, const std::vector<std::string>& phrases) {
    int32 score = 0;
    const char* hyp = ps_get_hyp(ps, &score);  // NULL when nothing matched the grammar
    if (!hyp || !*hyp) return {};
    // Only grammar decoders have the phone words (ps_get_search would tell too, but leaks a
    // hash iterator on every call in 5prealpha).
    if (!in_dictionary(ps, garbage_word(kPhones[0]))) return {hyp, kUnknownConfidence};
    long speech = 0, outside_fillers = 0, outside_fillers_ascr = 0;
    std::vector<std::pair<std::string, long>> words;  // the words heard and their frames
    std::vector<long> word_ascr;
    std::string text;
    for (ps_seg_t* seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
        std::string_view w = ps_seg_word(seg);
        w = w.substr(0, w.find('('));  // "to(2)": the dictionary's second pronunciation
        if (w.empty() || w.front() == '<' || w.front() == '[' || w.front() == '(') continue;
        int sf = 0, ef = 0;
        ps_seg_frames(seg, &sf, &ef);
        speech += ef - sf + 1;
        int32 ascr = 0, lscr = 0, lback = 0;
        ps_seg_prob(seg, &ascr, &lscr, &lback);
        if (w.starts_with(kGarbagePrefix)) continue;  // speech no word explains
        word_ascr.push_back(ascr);
        if (!is_filler(w)) {
            outside_fillers += ef - sf + 1;
            outside_fillers_ascr += ascr;
        }
        words.emplace_back(std::string(w), ef - sf + 1);
        if (!text.empty()) text.push_back(' ');
        text += w;
    }
    // The phrase's share: the longest run of words that is one of the phrases, its filler words
    // included ("check my order", "no"); a partial hypothesis that holds none yet counts the
    // words that are no fillers.
    long phrase = 0, phrase_ascr = 0;
    for (const auto& p : phrases) {
        const auto pw = normalize_words(p);
        if (pw.empty() || pw.size() > words.size()) continue;
        for (std::size_t i = 0; i + pw.size() <= words.size(); ++i) {
            long frames = 0, a = 0;
            std::size_t k = 0;
            for (; k < pw.size() && words[i + k].first == pw[k]; ++k) {
                frames += words[i + k].second;
                a += word_ascr[i + k];
            }
            if (k == pw.size() && frames > phrase) {
                phrase = frames;
                phrase_ascr = a;
            }
        }
    }
    if (phrase <= 0) {
        phrase = outside_fillers;
        phrase_ascr = outside_fillers_ascr;
    }
    if (speech <= 0 || phrase <= 0) return {};  // the phone loop alone: no dialog phrase
    const double coverage = static_cast<double>(phrase) / static_cast<double>(speech);
    const double acoustic = static_cast<double>(phrase_ascr) / static_cast<double>(phrase);
    const double evidence = coverage + kAcousticWeight * acoustic;
    return {std::move(text),
            1.0 / (1.0 + std::exp(-kConfidenceSlope * (evidence - kConfidenceMidpoint)))};
}

Result<Hypothesis> decode_whole(ps_decoder_s* ps, std::span<const std::int16_t> pcm,
                                const std::vector<std::string>& phrases) {
    // A decoder that decoded live switched itself to live normalisation; a whole turn gets the
    // model's batch normalisation back (the turn's own mean).
    ps_get_feat(ps)->cmn = CMN_BATCH;
    if (ps_start_utt(ps) < 0) return Error{Errc::internal, "pocketsphinx: start_utt failed"};
    const int processed = ps_process_raw(ps, pcm.data(), pcm.size(), FALSE, TRUE);
    ps_end_utt(ps);
    if (processed < 0) return Error{Errc::internal, "pocketsphinx: decoding failed"};
    return read_hypothesis(ps, phrases);
}

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
                                                 bool reject, std::size_t cap) {
    return std::shared_ptr<DecoderPool>(
        new DecoderPool(std::move(model), use_grammar, reject, std::max<std::size_t>(cap, 1)));
}

DecoderPool::DecoderPool(PocketsphinxModel model, bool use_grammar, bool reject, std::size_t cap)
    : model_(std::move(model)),
      use_grammar_(use_grammar),
      reject_(reject),
      cap_(cap),
      no_phrases_(std::make_shared<const std::vector<std::string>>()) {
    live_.reserve(cap_);
}

DecoderPool::~DecoderPool() = default;  // a lent decoder's lease keeps the pool alive

Result<DecoderPool::Lease> DecoderPool::borrow(const PhraseSet& phrases) {
    return acquire(phrases, Wait::yes);
}

Result<DecoderPool::Lease> DecoderPool::try_borrow(const PhraseSet& phrases) {
    return acquire(phrases, Wait::no);
}

void DecoderPool::warm(const PhraseSet& phrases) {
    // A failure is reported by the turn that needs the decoder; the lease goes back at once.
    (void)acquire(phrases, Wait::warming);
}

Result<DecoderPool::Lease> DecoderPool::acquire(const PhraseSet& asked, Wait wait) {
    const bool warming = wait == Wait::warming;
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
            if (wait == Wait::no) return Lease{};
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
    const bool grammar_wanted = use_grammar_ && !phrases.empty();
    cmd_ln_t* config =
        cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", model_.hmm.c_str(), "-dict",
                    model_.dict.c_str(), "-samprate", "16000", "-wip",
                    grammar_wanted && reject_ ? kWordInsertionPenalty : "0.65", nullptr);
    if (!config) return Error{Errc::internal, "pocketsphinx: the decoder's settings failed"};
    DecoderPtr ps(ps_init(config));
    cmd_ln_free_r(config);  // the decoder holds its own reference
    if (!ps) return Error{Errc::internal, "pocketsphinx: the decoder failed to load"};
    const std::string grammar = grammar_wanted ? build_grammar(ps.get(), phrases, reject_) : "";
    if (!grammar.empty()) {
        if ((reject_ && !add_garbage_words(ps.get())) || !set_grammar(ps.get(), grammar) ||
            ps_set_search(ps.get(), "grammar") < 0)
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
