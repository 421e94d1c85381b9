// Masking the cloud client's secrets.
#include "net/client/secret_mask.hpp"

#include <algorithm>

namespace ringoverbot::net::client_detail {

void SecretMask::add(const std::string& value) {
    std::vector<std::string> found;
    if (value.size() >= 4) found.push_back(value);
    // "Bearer sk-...", "Token ...": the key alone may appear in a body too.
    const auto space = value.find_last_of(' ');
    if (space != std::string::npos && value.size() - space - 1 >= 8)
        found.push_back(value.substr(space + 1));
    std::lock_guard<std::mutex> lock(mu_);
    for (std::string& s : found) {
        if (std::find(secrets_.begin(), secrets_.end(), s) != secrets_.end()) continue;
        if (secrets_.size() >= 256) secrets_.erase(secrets_.end() - 1);
        secrets_.push_back(std::move(s));
    }
    std::sort(secrets_.begin(), secrets_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string SecretMask::mask(std::string_view text) const {
    std::string out(text);
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& secret : secrets_) {
        std::size_t at = 0;
        while ((at = out.find(secret, at)) != std::string::npos) {
            out.replace(at, secret.size(), "***");
            at += 3;
        }
    }
    return out;
}

std::string SecretMask::excerpt(std::string_view body, std::size_t cap) const {
    // Masked before the cut, so a secret across the cut cannot leak its first half.
    std::string masked = mask(body);
    if (masked.size() <= cap) return masked;
    std::size_t cut = cap;
    while (cut > 0 && (static_cast<unsigned char>(masked[cut]) & 0xC0) == 0x80) --cut;
    masked.resize(cut);
    masked += "...(" + std::to_string(body.size()) + " bytes)";
    return masked;
}

}  // namespace ringoverbot::net::client_detail
