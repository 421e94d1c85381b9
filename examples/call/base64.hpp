// Base64 (RFC 4648, the standard alphabet) as Ringover's media server uses it: the audio of
// audio_data events is encoded, the bot's streamAudio audio is decoded. The library keeps its
// own codec private; this program needs only these two calls.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringoverbot::callsim {

// Appends the padded encoding of `bytes` to `out`.
void base64_append(std::span<const std::uint8_t> bytes, std::string& out);

// Decodes `text` into `out` (its capacity is reused). CR and LF are skipped and padding is
// optional; false for anything else that is not base64: a character outside the alphabet,
// data after padding, a lone last character, or non-zero bits after the last byte (a bot must
// not send those, so the checker refuses them).
bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out);

}  // namespace ringoverbot::callsim
