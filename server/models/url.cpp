// URL joining and display; see url.hpp.
#include "server/models/url.hpp"

namespace cadre::models {

std::string joinUrl(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string out(base);
  out += '/';
  out += path;
  return out;
}

std::string displayUrl(std::string_view url) {
  auto cut = url.find_first_of("?#");
  if (cut != std::string_view::npos) url = url.substr(0, cut);
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::string(url);
  auto authorityStart = sep + 3;
  auto authorityEnd = url.find('/', authorityStart);
  std::string_view authority = url.substr(authorityStart, authorityEnd == std::string_view::npos ? std::string_view::npos
                                                                                                 : authorityEnd - authorityStart);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  std::string out(url.substr(0, authorityStart));
  out += authority;
  if (authorityEnd != std::string_view::npos) out += url.substr(authorityEnd);
  return out;
}

}  // namespace cadre::models
