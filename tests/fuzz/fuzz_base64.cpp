// base64 decode in both alphabets must never read or write out of bounds, and whatever it
// accepts must re-encode to an equivalent input.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.hpp"

using namespace ringoverbot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    for (const auto alphabet : {base64::Alphabet::standard, base64::Alphabet::url}) {
        std::vector<std::uint8_t> out(base64::max_decoded_size(size));
        const auto n = base64::decode(in, out.data(), alphabet, size % 2 == 0);
        if (n < 0) continue;
        if (static_cast<std::size_t>(n) > out.size()) __builtin_trap();
        out.resize(static_cast<std::size_t>(n));
        // Round trip: encoding the decoded bytes and decoding again gives the same bytes.
        const auto again = base64::encode(out, alphabet);
        std::vector<std::uint8_t> back;
        if (!base64::decode(again, back, alphabet) || back != out) __builtin_trap();
    }
    return 0;
}
