#include "common/secret.hpp"

#include <algorithm>
#include <cstddef>

namespace ringoverbot::secret {

bool equal(std::string_view a, std::string_view b) noexcept {
    // volatile: every byte's difference is stored, so no compiler may stop the loop once the
    // result is known.
    volatile std::size_t diff = a.size() ^ b.size();
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        // Which side has ended depends on the lengths only, never on the bytes.
        const std::size_t x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0u;
        const std::size_t y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0u;
        diff = diff | (x ^ y);
    }
    return diff == 0;
}

}  // namespace ringoverbot::secret
