// The little URL handling the verifier needs: normalization for the JWT `url` claim check and
// query parameters (the IVR token, the V3 signed URL).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ringoverbot::webhook::detail {

// scheme and host lowercased, default port (http 80, https 443) dropped, query and fragment
// dropped, a trailing '/' dropped ("https://H:443/a/" -> "https://h/a"). Percent-encoding is
// left as is. Input without "scheme://" is returned with only query/fragment/slash handling.
std::string normalize_url(std::string_view url);

// The query of a full URL or origin-form target (without '?', before any '#'); empty if none.
std::string_view url_query(std::string_view url);

// The percent-decoded value of the first `name=` parameter of `query`; nullopt if absent or
// badly encoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace ringoverbot::webhook::detail
