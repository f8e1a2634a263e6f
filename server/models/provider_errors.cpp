// Provider error bodies → Failures with messages a user can act on. Shared by
// the three providers because the statuses mean the same everywhere; only
// the body shapes differ, and errorInfoFromBody reads all of them.
#include <ctime>

#include <algorithm>
#include <cctype>

#include "server/models/provider.hpp"
#include "server/security/redact.hpp"

namespace cadre::models {
namespace {

using json = nlohmann::json;

bool contains(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
  return it != hay.end();
}

std::string withDetail(std::string text, const ProviderErrorInfo& info) {
  std::string detail = cleanProviderMessage(info.message);
  if (detail.empty() && !info.type.empty()) detail = cleanProviderMessage(info.type);
  if (!detail.empty()) text += ": " + detail;
  return text;
}

bool isContextLength(const ProviderErrorInfo& info) {
  return info.code == "context_length_exceeded" || contains(info.message, "context length") ||
         contains(info.message, "context_length") || contains(info.message, "prompt is too long") ||
         contains(info.message, "maximum context") || contains(info.message, "too many tokens");
}

}  // namespace

std::string cleanProviderMessage(std::string_view message) {
  std::string text = security::redact(message);
  std::string out;
  out.reserve(std::min<std::size_t>(text.size(), 400));
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  if (out.size() > 300) {
    std::size_t cut = 297;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // whole characters only
    out = out.substr(0, cut) + "...";
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

ProviderErrorInfo errorInfoFromBody(std::string_view body) {
  ProviderErrorInfo info;
  json j = json::parse(body, nullptr, false);
  auto str = [](const json& o, const char* key) -> std::string {
    auto it = o.find(key);
    if (it == o.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    return {};
  };
  if (j.is_object()) {
    auto e = j.find("error");
    if (e != j.end() && e->is_object()) {
      info.type = str(*e, "type");
      info.code = str(*e, "code");
      info.message = str(*e, "message");
    } else if (e != j.end() && e->is_string()) {
      info.message = e->get<std::string>();  // Ollama, llama.cpp's older form
    } else {
      info.message = str(j, "message");
      if (info.message.empty()) info.message = str(j, "detail");
    }
    return info;
  }
  if (j.is_array() && !j.empty() && j[0].is_object()) return errorInfoFromBody(j[0].dump());  // Gemini-style lists
  // Not JSON (a proxy's HTML page): its first line, if it is short text.
  std::string_view first = body.substr(0, body.find('\n'));
  if (first.size() <= 200 && first.find('<') == std::string_view::npos) info.message.assign(first);
  return info;
}

std::optional<std::chrono::milliseconds> parseRetryAfter(const HttpResponseHead& head) {
  if (const std::string* ms = head.header("retry-after-ms")) {
    char* end = nullptr;
    double v = std::strtod(ms->c_str(), &end);
    if (end != ms->c_str() && v >= 0) return std::chrono::milliseconds(static_cast<long long>(v));
  }
  const std::string* value = head.header("retry-after");
  if (!value || value->empty()) return std::nullopt;
  if (std::all_of(value->begin(), value->end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; })) {
    double seconds = std::strtod(value->c_str(), nullptr);
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  }
  std::tm tm{};
  if (::strptime(value->c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) {
    std::time_t when = ::timegm(&tm);
    std::time_t now = std::time(nullptr);
    return std::chrono::milliseconds(when > now ? (when - now) * 1000 : 0);
  }
  return std::nullopt;
}

Failure classifyHttpError(long status, const ProviderErrorInfo& info, const HttpResponseHead& head, const ErrorContext& ctx) {
  const std::string who = ctx.modelName + ": " + ctx.endpoint;
  const std::string http = " (HTTP " + std::to_string(status) + ")";
  if (status == 401 || status == 403) {
    // The provider's own text is left out: some echo part of the key back.
    std::string text = ctx.keySource.empty()
                           ? who + " requires a key" + http + "; set models." + ctx.modelName + ".keyEnv or keyFile in " + ctx.userConfig
                           : who + " rejected the key from " + ctx.keySource + http;
    if (!info.type.empty() || !info.code.empty()) text += " [" + cleanProviderMessage(info.code.empty() ? info.type : info.code) + "]";
    return {makeError(ErrorCode::Unauthorized, text), FailureKind::Auth, {}};
  }
  if (status == 429) {
    if (info.code == "insufficient_quota" || info.type == "insufficient_quota" || contains(info.message, "quota") ||
        contains(info.message, "credit balance")) {
      return {makeError(ErrorCode::Unavailable, withDetail(who + " reports the account is out of quota or credit" + http, info)),
              FailureKind::Quota, {}};
    }
    auto after = parseRetryAfter(head);
    std::string text = who + " is rate limiting" + http;
    if (after) text += ", retry after " + std::to_string(after->count()) + " ms";
    return {makeError(ErrorCode::Unavailable, withDetail(text, info)), FailureKind::RateLimited, after};
  }
  if (status == 404 || info.code == "model_not_found" || info.type == "not_found_error" ||
      (contains(info.message, "model") && contains(info.message, "not found"))) {
    return {makeError(ErrorCode::Config, withDetail(who + " does not serve model '" + ctx.servedModel + "'" + http, info) +
                                             "; check models." + ctx.modelName + ".model in " + ctx.userConfig),
            FailureKind::ModelNotFound, {}};
  }
  if (status == 413 || ((status == 400 || status == 422) && isContextLength(info))) {
    return {makeError(ErrorCode::RequestFailed, withDetail(ctx.modelName + ": the prompt is longer than model '" + ctx.servedModel +
                                                               "' accepts" + http, info)),
            FailureKind::ContextLength, {}};
  }
  if (status >= 500) {
    return {makeError(ErrorCode::Unavailable, withDetail(who + " failed" + http, info)), FailureKind::ServerError, parseRetryAfter(head)};
  }
  return {makeError(ErrorCode::RequestFailed, withDetail(who + " refused the request" + http, info)), FailureKind::BadRequest, {}};
}

Failure streamErrorFailure(const ProviderErrorInfo& info, const ErrorContext& ctx) {
  const std::string who = ctx.modelName + ": " + ctx.endpoint;
  if (info.type == "overloaded_error" || info.type == "api_error" || info.type == "server_error") {
    return {makeError(ErrorCode::Unavailable, withDetail(who + " reported an error mid-stream", info)), FailureKind::ServerError, {}};
  }
  if (info.type == "rate_limit_error") {
    return {makeError(ErrorCode::Unavailable, withDetail(who + " is rate limiting", info)), FailureKind::RateLimited, {}};
  }
  if (isContextLength(info)) {
    return {makeError(ErrorCode::RequestFailed, withDetail(ctx.modelName + ": the prompt is longer than model '" + ctx.servedModel + "' accepts", info)),
            FailureKind::ContextLength, {}};
  }
  return {makeError(ErrorCode::Unavailable, withDetail(who + " reported an error mid-stream", info)), FailureKind::ServerError, {}};
}

}  // namespace cadre::models
