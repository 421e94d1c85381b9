// The failure kinds' metric labels, and how an HTTP status or a connection error becomes a
// failure kind.
#include "net/client/failure.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace ringoverbot::net {

std::string_view failure_kind_name(FailureKind kind) noexcept {
    switch (kind) {
        case FailureKind::dns:
            return "dns";
        case FailureKind::connect:
            return "connect";
        case FailureKind::tls:
            return "tls";
        case FailureKind::timeout:
            return "timeout";
        case FailureKind::unauthorized:
            return "unauthorized";
        case FailureKind::rate_limited:
            return "rate_limited";
        case FailureKind::client_error:
            return "client_error";
        case FailureKind::server_error:
            return "server_error";
        case FailureKind::dropped:
            return "dropped";
        case FailureKind::protocol:
            return "protocol";
        case FailureKind::count_:
            break;
    }
    return "unknown";
}

namespace client_detail {

FailureKind status_kind(int status) noexcept {
    if (status == 401 || status == 403) return FailureKind::unauthorized;
    if (status == 429) return FailureKind::rate_limited;
    if (status >= 500) return FailureKind::server_error;
    return FailureKind::client_error;
}

std::string connection_error_text(const void* in, std::size_t len) {
    if (in == nullptr) return "connection error";
    const auto* text = static_cast<const char*>(in);
    return std::string(text, len != 0 ? len : strnlen(text, 512));
}

FailureKind connection_error_kind(std::string_view text) noexcept {
    std::string lower;
    try {
        lower.reserve(text.size());
        for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } catch (...) {
        return FailureKind::connect;
    }
    for (const char* word : {"ssl", "tls", "certificate", "hostname mismatch", "x509"})
        if (lower.find(word) != std::string::npos) return FailureKind::tls;
    return FailureKind::connect;
}

std::string one_line(std::string_view text, std::size_t cap) {
    std::size_t cut = std::min(cap, text.size());
    if (cut < text.size())
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    std::string out(text.substr(0, cut));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

}  // namespace client_detail

}  // namespace ringoverbot::net
