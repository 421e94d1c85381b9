// The scripted dialog as a language model (src/providers/local/README.md §The scripted dialog).
//
// The reply is known at once, so start() streams it synchronously: the tokens, the intent's
// actions and on_done all arrive before start() returns, and the returned handle has nothing
// left to cancel. Tokens are the reply's words with the whitespace before them, so they
// concatenate to the `say` text exactly, as a real model's stream would.
#include <algorithm>
#include <cctype>

#include "providers/local/scripted_dialog.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::providers {
namespace {

using local::Dialog;
using local::DialogIntent;

class FinishedRequest final : public Request {
  public:
    void cancel() override {}
};

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

void stream_words(std::string_view text, LlmSink& sink) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t word = pos;
        while (word < text.size() && is_space(text[word])) ++word;
        std::size_t end = word;
        while (end < text.size() && !is_space(text[end])) ++end;
        sink.on_token(text.substr(pos, end - pos));
        pos = end;
    }
}

// Digits first: they act inside this call, a transfer hands the call away, and ending it is
// always last.
void emit_actions(const DialogIntent& intent, LlmSink& sink) {
    if (intent.digits) sink.on_action(Action{ActionKind::digits, *intent.digits});
    if (intent.transfer) sink.on_action(Action{ActionKind::transfer, *intent.transfer});
    if (intent.end) sink.on_action(Action{ActionKind::end_call, {}});
}

class ScriptedLlm final : public LlmProvider {
  public:
    explicit ScriptedLlm(Dialog dialog) : dialog_(std::move(dialog)) {}

    std::string_view name() const override { return "scripted"; }
    bool replies_at_once() const override { return true; }

    Result<std::unique_ptr<Request>> start(const LlmRequest& request,
                                           std::shared_ptr<LlmSink> sink) override {
        if (!sink) return Error{Errc::invalid_argument, "scripted llm: no sink"};
        // The newest caller input decides; the history before it does not.
        const auto last_user = std::find_if(request.messages.rbegin(), request.messages.rend(),
                                            [](const Message& m) { return m.role == Role::user; });
        const DialogIntent* intent =
            last_user == request.messages.rend() ? nullptr : dialog_.match(last_user->content);
        stream_words(intent ? intent->say : dialog_.fallback, *sink);
        if (intent) emit_actions(*intent, *sink);
        sink->on_done();
        return std::unique_ptr<Request>(std::make_unique<FinishedRequest>());
    }

  private:
    const Dialog dialog_;
};

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out.push_back(' ');
        out += w;
    }
    return out;
}

void push_unique(std::vector<std::string>& list, std::string value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

}  // namespace

Result<std::shared_ptr<LlmProvider>> make_scripted_llm(std::string_view dialog_json) {
    auto dialog = local::parse_dialog(dialog_json);
    if (!dialog) return dialog.error();
    return std::shared_ptr<LlmProvider>(std::make_shared<ScriptedLlm>(std::move(*dialog)));
}

Result<DialogSummary> describe_dialog(std::string_view dialog_json) {
    auto dialog = local::parse_dialog(dialog_json);
    if (!dialog) return dialog.error();
    DialogSummary summary;
    summary.greeting = dialog->greeting;
    summary.fallback = dialog->fallback;
    for (const auto& phrase : dialog->phrases()) push_unique(summary.phrases, join_words(phrase));
    for (const auto& intent : dialog->intents)
        if (!intent.say.empty()) push_unique(summary.replies, intent.say);
    summary.confirm_end = dialog->confirm_end;
    summary.confirm_transfer = dialog->confirm_transfer;
    summary.reprompt = dialog->reprompt;
    summary.idle_goodbye = dialog->idle_goodbye;
    if (dialog->misunderstood) {
        summary.has_misunderstood = true;
        summary.misunderstood_say = dialog->misunderstood->say;
        summary.misunderstood_transfer = dialog->misunderstood->transfer;
    }
    return summary;
}

}  // namespace ringoverbot::providers
