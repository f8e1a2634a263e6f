// Local-only mode: one setting that keeps code on the premises. Every
// outbound connection cadre makes to a model or an MCP server asks here
// first; with local-only on, only loopback endpoints and those the user's
// config explicitly marks local are allowed. Hosts are judged by their
// literal form (an IP literal or "localhost"), never by a DNS answer an
// attacker could steer.
#pragma once

#include <string>
#include <string_view>

#include "support/expected.hpp"

namespace cadre::security {

struct Endpoint {
  std::string scheme;  // "http", "https", "unix", …
  std::string host;    // without brackets for IPv6
  int port = 0;        // 0: the scheme's default
};

// Parses scheme://[user@]host[:port][/…]; IPv6 literals in brackets.
Expected<Endpoint> parseEndpoint(std::string_view url);

// 127.0.0.0/8, ::1, ::ffff:127.x.y.z, "localhost" and "*.localhost" (RFC
// 6761 reserves them for loopback), and unix sockets.
bool isLoopback(const Endpoint& endpoint);

// Unauthorized when local-only is on and the endpoint is neither loopback
// nor marked local by the user; the message names the setting.
Expected<void> checkEgress(std::string_view url, bool markedLocal, bool localOnly);

}  // namespace cadre::security
