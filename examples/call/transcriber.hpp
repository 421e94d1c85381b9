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

// The replies and their sentences (split on . ! ?), normalized, without duplicates; with
// `with_beginnings`, also every sentence's first 3, 4, ... words (what a cut reply leaves).
std::vector<std::string> grammar_phrases(const std::vector<std::string>& replies,
                                         bool with_beginnings);

}  // namespace ringoverbot::callsim
