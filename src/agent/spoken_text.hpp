// Maps the samples of a reply to its text, so a cut-off reply keeps only the words heard.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::agent {

class SpokenText {
  public:
    // Appends a piece of text whose synthesized audio is `samples` long.
    void add(std::string_view text, std::uint64_t samples);
    // The text heard after `heard` samples: whole segments, then the words of the segment
    // being played in proportion to the part of it played.
    std::string heard(std::uint64_t heard_samples) const;
    std::string full() const;
    // Where the word being played after `heard` samples begins (words are placed in proportion
    // to their characters, as heard() does): a reply resumed there repeats the cut word whole.
    // Between words, the next word's start; past the text, `heard` itself.
    std::uint64_t word_start(std::uint64_t heard_samples) const;
    std::uint64_t total_samples() const { return total_; }
    void clear();

  private:
    struct Segment {
        std::string text;
        std::uint64_t start, samples;
    };
    std::vector<Segment> segments_;
    std::uint64_t total_ = 0;
};

}  // namespace ringoverbot::agent
