#include "agent/sentence_chunker.hpp"

#include <array>
#include <cctype>

#include "common/text.hpp"
#include "ringoverbot/agent.hpp"

namespace ringoverbot::agent {
namespace {

// Words after which a period does not end a sentence.
bool is_abbreviation(std::string_view word) {
    static constexpr std::array<std::string_view, 14> kAbbrev = {
        "mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "no", "jr", "sr", "prof", "inc"};
    for (const auto a : kAbbrev)
        if (text::iequals(word, a)) return true;
    return false;
}

}  // namespace

// Index one past the end of the first complete sentence in buf_, or 0 if none yet.
std::size_t SentenceChunker::find_boundary() const {
    for (std::size_t i = 0; i + 1 < buf_.size(); ++i) {
        const char c = buf_[i];
        if (c == '\n') return i + 1;
        if (c != '.' && c != '!' && c != '?' && c != ';') continue;
        // Absorb closing punctuation: "Really?!" and quotes.
        std::size_t j = i + 1;
        while (j < buf_.size() && (buf_[j] == '.' || buf_[j] == '!' || buf_[j] == '?' ||
                                   buf_[j] == '"' || buf_[j] == '\'' || buf_[j] == ')'))
            ++j;
        if (j >= buf_.size()) return 0;                                    // we cannot tell yet
        if (!std::isspace(static_cast<unsigned char>(buf_[j]))) continue;  // 3.5, e.g.x
        if (c == '.') {
            std::size_t w = i;
            while (w > 0 && !std::isspace(static_cast<unsigned char>(buf_[w - 1]))) --w;
            if (is_abbreviation(std::string_view(buf_).substr(w, i - w))) continue;
        }
        if (text::trim(std::string_view(buf_).substr(0, j)).size() < config_.min_chars) continue;
        return j;
    }
    return 0;
}

void SentenceChunker::push(std::string_view token, std::vector<std::string>& out) {
    buf_.append(token);
    for (;;) {
        std::size_t cut = find_boundary();
        if (cut == 0 && buf_.size() > config_.max_chars) {
            // Too long without an end: cut at the last clause mark, else the last space.
            const std::string_view head = std::string_view(buf_).substr(0, config_.max_chars);
            std::size_t at = head.find_last_of(",:");
            if (at == std::string_view::npos || at < config_.min_chars) at = head.find_last_of(' ');
            cut = (at == std::string_view::npos || at == 0) ? config_.max_chars : at + 1;
        }
        if (cut == 0) return;
        std::string sentence(text::trim(std::string_view(buf_).substr(0, cut)));
        buf_.erase(0, cut);
        if (!sentence.empty()) out.push_back(std::move(sentence));
    }
}

std::string SentenceChunker::flush() {
    std::string rest(text::trim(buf_));
    buf_.clear();
    return rest;
}

std::vector<std::string> reply_sentences(std::string_view reply) {
    auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    SentenceChunker chunker;
    std::vector<std::string> sentences;
    std::size_t pos = 0;
    while (pos < reply.size()) {
        std::size_t end = pos;
        while (end < reply.size() && is_space(reply[end])) ++end;
        while (end < reply.size() && !is_space(reply[end])) ++end;
        chunker.push(reply.substr(pos, end - pos), sentences);
        pos = end;
    }
    if (std::string rest = chunker.flush(); !rest.empty()) sentences.push_back(std::move(rest));
    return sentences;
}

}  // namespace ringoverbot::agent
