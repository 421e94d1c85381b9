// The credentials of an HTTP Authorization header in the Bearer scheme (RFC 6750).
#pragma once

#include <string_view>

namespace ringoverbot::bearer {

// The credentials after "Bearer" and a blank (scheme case-insensitive, blanks around the
// value and the credentials trimmed); empty for another scheme or no credentials.
std::string_view credentials(std::string_view authorization) noexcept;

}  // namespace ringoverbot::bearer
