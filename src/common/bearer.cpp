#include "common/bearer.hpp"

#include "common/text.hpp"

namespace ringoverbot::bearer {

std::string_view credentials(std::string_view authorization) noexcept {
    constexpr std::string_view kScheme = "bearer";
    authorization = text::trim(authorization);
    if (authorization.size() <= kScheme.size() || !text::istarts_with(authorization, kScheme))
        return {};
    const char sep = authorization[kScheme.size()];
    if (sep != ' ' && sep != '\t') return {};
    return text::trim(authorization.substr(kScheme.size()));
}

}  // namespace ringoverbot::bearer
