// URL helpers for providers and messages: joining a base URL with an API
// path, and the form of a URL that may be shown (no user:password, no query).
#pragma once

#include <string>
#include <string_view>

namespace cadre::models {

// "http://h:1/v1/" + "/chat/completions" → "http://h:1/v1/chat/completions".
std::string joinUrl(std::string_view base, std::string_view path);

// scheme://host[:port]/path without userinfo, query or fragment: safe for
// logs and error messages even when a URL carries a credential.
std::string displayUrl(std::string_view url);

}  // namespace cadre::models
