// The speculative reply's request and buffer (speculation.hpp).
#include "agent/speculation.hpp"

#include <utility>

#include "common/text.hpp"

namespace ringoverbot::agent {

bool Speculation::set_candidate(std::string_view text) {
    candidate_.assign(text::trim(text));
    candidate_words_ = text::normalize_words(candidate_);
    return running() && candidate_words_ != spoken_words_;
}

void Speculation::clear_candidate() {
    candidate_.clear();
    candidate_words_.clear();
    tried_words_.clear();
}

bool Speculation::wants_start() const {
    return !running() && !candidate_words_.empty() && candidate_words_ != tried_words_;
}

void Speculation::start(std::uint64_t id, std::vector<providers::Message> messages) {
    (void)cancel();
    id_ = id;
    messages_ = std::move(messages);
    spoken_words_ = messages_.empty() ? std::vector<std::string>{}
                                      : text::normalize_words(messages_.back().content);
    tried_words_ = candidate_words_;
}

void Speculation::set_request(std::unique_ptr<providers::Request> request) {
    if (running())
        request_ = std::move(request);
    else if (request)
        request->cancel();  // it failed while starting: nothing to keep
}

void Speculation::on_token(std::string_view text) {
    if (running()) items_.push_back(Item{Item::Kind::token, std::string(text), {}});
}

void Speculation::on_action(const providers::Action& action) {
    if (running()) items_.push_back(Item{Item::Kind::action, {}, action});
}

void Speculation::on_done() {
    if (running()) items_.push_back(Item{Item::Kind::done, {}, {}});
}

bool Speculation::matches(const std::vector<providers::Message>& messages) const {
    if (!running() || messages.size() != messages_.size() || messages.empty()) return false;
    for (std::size_t i = 0; i + 1 < messages.size(); ++i)
        if (messages[i].role != messages_[i].role || messages[i].content != messages_[i].content)
            return false;
    return messages.back().role == messages_.back().role &&
           text::normalize_words(messages.back().content) == spoken_words_;
}

Speculation::Adopted Speculation::take() {
    Adopted a{id_, std::move(request_), std::move(items_)};
    id_ = 0;
    request_.reset();
    items_.clear();
    messages_.clear();
    spoken_words_.clear();
    return a;
}

bool Speculation::cancel() {
    if (!running()) return false;
    Adopted a = take();
    if (a.request) a.request->cancel();
    return true;
}

}  // namespace ringoverbot::agent
