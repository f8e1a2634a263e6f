// JSON-RPC 2.0 message classification and encoding; see message.hpp.
#include "protocol/message.hpp"

namespace cadre::protocol {
namespace {

Invalid invalid(json id, std::string message) {
  return Invalid{std::move(id), makeError(ErrorCode::InvalidRequest, std::move(message)), true};
}

Invalid invalidResponse(json id, std::string message) {
  return Invalid{std::move(id), makeError(ErrorCode::InvalidRequest, std::move(message)), false};
}

bool validId(const json& id) { return id.is_string() || id.is_number_integer() || id.is_number_unsigned(); }

Incoming classify(json&& msg) {
  if (msg.is_array()) {
    return invalid(nullptr, msg.empty() ? "empty batch" : "batch requests are not supported (LSP sends single messages)");
  }
  if (!msg.is_object()) return invalid(nullptr, "a JSON-RPC message must be an object");

  json id = nullptr;
  const bool hasId = msg.contains("id");
  if (hasId) {
    id = msg["id"];
    if (!validId(id) && !id.is_null()) return invalid(nullptr, "\"id\" must be an integer or a string");
  }
  auto version = msg.find("jsonrpc");
  if (version == msg.end() || *version != "2.0") {
    const bool responseShaped = !msg.contains("method") && (msg.contains("result") || msg.contains("error"));
    return responseShaped ? invalidResponse(id, "\"jsonrpc\" must be \"2.0\"") : invalid(id, "\"jsonrpc\" must be \"2.0\"");
  }

  if (auto method = msg.find("method"); method != msg.end()) {
    if (!method->is_string()) return invalid(id, "\"method\" must be a string");
    json params = nullptr;
    if (auto p = msg.find("params"); p != msg.end()) {
      if (!p->is_object() && !p->is_array() && !p->is_null()) return invalid(id, "\"params\" must be an object or an array");
      params = std::move(*p);
    }
    if (!hasId) return Notification{method->get<std::string>(), std::move(params)};
    if (id.is_null()) return invalid(nullptr, "a request's \"id\" must not be null");
    return Request{std::move(id), method->get<std::string>(), std::move(params)};
  }

  // No method: a response to one of our calls.
  if (!hasId) return invalid(nullptr, "message has neither \"method\" nor \"id\"");
  const bool hasResult = msg.contains("result");
  auto err = msg.find("error");
  if (hasResult == (err != msg.end())) return invalidResponse(id, "a response must carry exactly one of \"result\" and \"error\"");
  if (hasResult) return Response{std::move(id), Expected<json>(std::move(msg["result"]))};
  if (!err->is_object() || !err->contains("code") || !(*err)["code"].is_number_integer()) {
    return invalidResponse(id, "\"error\" must be an object with an integer \"code\"");
  }
  std::string message = err->contains("message") && (*err)["message"].is_string() ? (*err)["message"].get<std::string>() : "";
  return Response{std::move(id), Expected<json>(Error{static_cast<ErrorCode>((*err)["code"].get<int>()), std::move(message)})};
}

}  // namespace


Incoming parseMessage(std::string_view body) {
  // nlohmann copies/dumps recursively: a 120 KB "[[[[..." body overflowed the stack (SIGSEGV) in a handler.
  if (nestsDeeperThan(body, kMaxJsonNesting)) {
    return Invalid{nullptr, makeError(ErrorCode::InvalidRequest, "message nests deeper than " + std::to_string(kMaxJsonNesting) + " levels"), true};
  }
  json msg;
  try {
    msg = json::parse(body);
  } catch (const json::exception& e) {
    // parse_error names the byte offset and the reason (e.g. ill-formed
    // UTF-8); out_of_range is a number too large for a double (1e400).
    return Invalid{nullptr, makeError(ErrorCode::ParseError, std::string("invalid JSON: ") + e.what())};
  }
  return classify(std::move(msg));
}

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// The envelopes are written as text around the dumped payload: wrapping the
// payload in a json object first would deep-copy it (the bulk of a reply's cost).
namespace {
// Integer ids are written directly: each json dump constructs a serializer
// (which asks for the locale), and replies are the hot path.
std::string idText(const json& id) {
  // Unsigned first: is_number_integer() is true for ids above INT64_MAX too, which int64 would wrap.
  if (id.is_number_unsigned()) return std::to_string(id.get<std::uint64_t>());
  if (id.is_number_integer()) return std::to_string(id.get<std::int64_t>());
  return dump(id);
}
}  // namespace

std::string encodeRequest(const json& id, std::string_view method, const json& params) {
  std::string out = R"({"jsonrpc":"2.0","id":)" + idText(id) + R"(,"method":)" + dump(json(method));
  if (!params.is_null()) out += R"(,"params":)" + dump(params);
  return out + "}";
}

std::string encodeNotification(std::string_view method, const json& params) {
  std::string out = R"({"jsonrpc":"2.0","method":)" + dump(json(method));
  if (!params.is_null()) out += R"(,"params":)" + dump(params);
  return out + "}";
}

std::string encodeResponse(const json& id, const Expected<json>& result) {
  std::string out = R"({"jsonrpc":"2.0","id":)" + idText(id);
  if (result) {
    out += R"(,"result":)" + dump(*result);
  } else {
    out += R"(,"error":)" + dump(json{{"code", static_cast<int>(result.error().code)}, {"message", result.error().message}});
  }
  return out + "}";
}

std::string idToString(const json& id) { return id.is_string() ? id.get<std::string>() : id.dump(); }

}  // namespace cadre::protocol
