// URI conversion; see uri.hpp.
#include "server/core/uri.hpp"

#include <cctype>

namespace cadre::core {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Expected<std::filesystem::path> uriToPath(std::string_view uri) {
  constexpr std::string_view kScheme = "file://";
  if (uri.size() < kScheme.size() || uri.substr(0, 4) != "file" || uri.substr(0, kScheme.size()) != kScheme) {
    return makeError(ErrorCode::InvalidParams, "not a file:// URI: " + std::string(uri.substr(0, 200)));
  }
  std::string_view rest = uri.substr(kScheme.size());
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (!authority.empty() && authority != "localhost") {
    return makeError(ErrorCode::InvalidParams, "file URI with a remote host is not supported: " + std::string(authority));
  }
  if (slash == std::string_view::npos) return makeError(ErrorCode::InvalidParams, "file URI without a path");
  std::string_view encoded = rest.substr(slash);
  if (auto q = encoded.find_first_of("?#"); q != std::string_view::npos) encoded = encoded.substr(0, q);
  std::string path;
  path.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      int hi = i + 2 < encoded.size() ? hexValue(encoded[i + 1]) : -1;
      int lo = i + 2 < encoded.size() ? hexValue(encoded[i + 2]) : -1;
      if (hi < 0 || lo < 0) return makeError(ErrorCode::InvalidParams, "bad percent-encoding in URI");
      char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return makeError(ErrorCode::InvalidParams, "URI contains a NUL byte");
      path += decoded;
      i += 2;
    } else {
      path += encoded[i];
    }
  }
  return std::filesystem::path(path);
}

std::string pathToUri(const std::filesystem::path& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : path.string()) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace cadre::core
