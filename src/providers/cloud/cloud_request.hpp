// What the cloud providers share in building their requests: the client behind the public
// CloudClient, deadlines from CloudTimeouts, and URLs from a configured base URL.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "net/client/client.hpp"
#include "ringoverbot/providers.hpp"

namespace ringoverbot::providers::cloud {

// The loop behind `client`; invalid_argument when it is missing or not made by
// net::make_cloud_client. `who` names the provider in the message.
Result<std::shared_ptr<net::ClientLoop>> client_loop(const std::shared_ptr<CloudClient>& client,
                                                     std::string_view who);

net::Deadlines deadlines(const CloudTimeouts& t);
net::RetryPolicy retry_policy(const CloudTimeouts& t);

// base_url + path as a URL of one of `schemes`' kinds (http/https, or ws/wss), with the
// provider's name in the error.
Result<net::Url> endpoint(std::string_view who, std::string_view base_url, std::string_view path,
                          bool websocket);

// A POST of JSON (or another body) with the usual headers; `auth` is a secret header.
net::HttpRequest post(std::string_view provider, net::Url url, net::Header auth,
                      std::string content_type, std::string body, const CloudTimeouts& t);

}  // namespace ringoverbot::providers::cloud
