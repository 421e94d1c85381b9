// Transcribes what the caller heard of each bot reply, after the call (so decoding takes no CPU
// from the live calls): one STT stream per call, fed turn by turn at the provider's rate, with
// the dialog's replies as the grammar.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "call/simulated_call.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::callsim {

class Transcriber {
  public:
    // The grammar: every reply of the dialog, whole and cut into sentences.
    static Result<std::unique_ptr<Transcriber>> create(std::vector<std::string> bot_phrases,
                                                       std::shared_ptr<providers::WorkerPool> pool);
    ~Transcriber();

    // Fills TurnRecord::transcript for every turn of `call` that played audio. A failure of the
    // engine on one turn is noted in the transcript ("[stt error: ...]"), not in the call's
    // errors: the call itself went fine.
    void transcribe(CallRecord& call, std::uint32_t call_rate_hz);

  private:
    class Stream;
    Transcriber() = default;
    std::shared_ptr<providers::SttProvider> stt_;
    std::vector<std::string> whole_, cut_;  // grammars for whole and for cut replies
};

// The stretches of speech in `pcm` (pauses of 170 ms or more separate them, stretches under
// 0.6 s join a neighbour, 50 ms of margin kept), as [begin, end) sample ranges. The grammar holds
// one phrase per utterance, and a synthesizer pauses at sentence and clause ends, so each stretch
// is decoded on its own.
std::vector<std::pair<std::size_t, std::size_t>> speech_segments(
    const std::vector<std::int16_t>& pcm, std::uint32_t rate_hz);

// The replies and their sentences and clauses (split on . ! ? , ; :), normalized, without
// duplicates; with `with_beginnings`, also every sentence's first 3, 4, ... words (what a cut reply
// leaves).
std::vector<std::string> grammar_phrases(const std::vector<std::string>& replies,
                                         bool with_beginnings);

}  // namespace ringoverbot::callsim
