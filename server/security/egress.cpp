// Endpoint parsing and the local-only rule.
#include "server/security/egress.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace cadre::security {

Expected<Endpoint> parseEndpoint(std::string_view url) {
  Endpoint e;
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return makeError(ErrorCode::InvalidParams, "not a URL: '" + std::string(url) + "'");
  e.scheme = std::string(url.substr(0, sep));
  std::transform(e.scheme.begin(), e.scheme.end(), e.scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view rest = url.substr(sep + 3);
  if (e.scheme == "unix") return e;
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string_view portText;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return makeError(ErrorCode::InvalidParams, "unterminated IPv6 address in '" + std::string(url) + "'");
    e.host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') portText = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    e.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) portText = rest.substr(colon + 1);
  }
  if (e.host.empty()) return makeError(ErrorCode::InvalidParams, "no host in '" + std::string(url) + "'");
  std::transform(e.host.begin(), e.host.end(), e.host.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!portText.empty()) {
    int port = 0;
    for (char c : portText) {
      if (c < '0' || c > '9' || port > 65535) return makeError(ErrorCode::InvalidParams, "bad port in '" + std::string(url) + "'");
      port = port * 10 + (c - '0');
    }
    if (port == 0 || port > 65535) return makeError(ErrorCode::InvalidParams, "bad port in '" + std::string(url) + "'");
    e.port = port;
  }
  return e;
}

bool isLoopback(const Endpoint& e) {
  if (e.scheme == "unix") return true;
  std::string host = e.host;
  if (!host.empty() && host.back() == '.') host.pop_back();  // "localhost." is the same name
  if (host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0)) return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    static const in6_addr loop = IN6ADDR_LOOPBACK_INIT;
    if (std::equal(std::begin(v6.s6_addr), std::end(v6.s6_addr), std::begin(loop.s6_addr))) return true;
    // IPv4-mapped ::ffff:127.x.y.z
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::equal(mapped, mapped + 12, v6.s6_addr) && v6.s6_addr[12] == 127;
  }
  return false;
}

Expected<void> checkEgress(std::string_view url, bool markedLocal, bool localOnly) {
  auto e = parseEndpoint(url);
  if (!e) return e.error();
  if (!localOnly || markedLocal || isLoopback(*e)) return {};
  return makeError(ErrorCode::Unauthorized, "local-only mode (security.localOnly) refuses " + std::string(url) +
                                                ": it is not a loopback address and the user config does not mark it local");
}

}  // namespace cadre::security
