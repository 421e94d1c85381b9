// Out-of-line anchors of the provider interfaces: their vtables and type information live in the
// library once, so providers defined in other modules (and dynamic_cast across them) agree.
#include "ringoverbot/providers.hpp"

namespace ringoverbot::providers {

Request::~Request() = default;
SttProvider::~SttProvider() = default;
LlmProvider::~LlmProvider() = default;
TtsProvider::~TtsProvider() = default;
WorkerPool::~WorkerPool() = default;
CloudClient::~CloudClient() = default;

std::string_view action_name(ActionKind kind) noexcept {
    switch (kind) {
        case ActionKind::transfer:
            return "transfer";
        case ActionKind::digits:
            return "digits";
        case ActionKind::play:
            return "play";
        case ActionKind::end_call:
            return "end_call";
    }
    return "unknown";
}

}  // namespace ringoverbot::providers
