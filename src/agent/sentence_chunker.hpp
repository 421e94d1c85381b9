// Cuts a stream of LLM tokens into sentences for TTS: speech can start on the first sentence
// while the model is still writing the rest.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::agent {

struct ChunkerConfig {
    std::size_t min_chars = 8;    // shorter "sentences" ("Hi.") wait for the next one
    std::size_t max_chars = 240;  // a sentence longer than this is cut at a clause or a space
};

class SentenceChunker {
  public:
    explicit SentenceChunker(ChunkerConfig config = {}) : config_(config) {}
    // Appends a token and appends every sentence it completes to `out`.
    void push(std::string_view token, std::vector<std::string>& out);
    // The text left at the end of the reply (may be empty).
    std::string flush();
    void clear() { buf_.clear(); }

  private:
    std::size_t find_boundary() const;
    ChunkerConfig config_;
    std::string buf_;
};

}  // namespace ringoverbot::agent
