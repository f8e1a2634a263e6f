// JSON-RPC 2.0 messages: classifying what arrives (request, notification,
// response, or invalid with the reason and whatever id could be recovered) and
// serializing what leaves. Knows nothing of LSP methods.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "support/expected.hpp"
#include "support/jsonc.hpp"

namespace cadre::protocol {

using json = nlohmann::json;

struct Request {
  json id;  // number or string
  std::string method;
  json params;  // object, array, or null when absent
};

struct Notification {
  std::string method;
  json params;
};

struct Response {
  json id;
  Expected<json> result;
};

// A message that cannot be processed; `id` is null unless one was readable.
struct Invalid {
  json id;
  Error error;
  // False for a malformed *response*: JSON-RPC never answers responses, and an
  // error carrying the peer's id would read as the answer to its own request.
  bool answerable = true;
};

// Batches are refused with one error: LSP never sends them (see docs/protocol.md).
using Incoming = std::variant<Request, Notification, Response, Invalid>;


// Parses one framed body. Invalid JSON (including invalid UTF-8) is ParseError;
// a well-formed value that is not a JSON-RPC 2.0 message is InvalidRequest.
Incoming parseMessage(std::string_view body);

// Serialization never throws: strings holding invalid UTF-8 are repaired with
// U+FFFD rather than failing the whole message.
std::string dump(const json& value);
std::string encodeRequest(const json& id, std::string_view method, const json& params);
std::string encodeNotification(std::string_view method, const json& params);
std::string encodeResponse(const json& id, const Expected<json>& result);

std::string idToString(const json& id);

}  // namespace cadre::protocol
