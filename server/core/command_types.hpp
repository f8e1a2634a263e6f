// workspace/executeCommand on the wire: the params, and the argument object
// of each cadre.* command (docs/protocol.md "Code actions and commands",
// protocol/schema/cadre-commands.json). Every command takes one object as
// arguments[0]; a decoding error names the field ("arguments[0].range.start").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/json_decode.hpp"
#include "server/core/lsp_types.hpp"

namespace cadre::core::lsp {

// Part of ExecuteCommandParams (workDoneToken is not used).
struct ExecuteCommandParams {
  std::string command;
  json arguments = json::array();
};
void from_json(const json& j, ExecuteCommandParams& p);

// cadre.explain, cadre.fix, cadre.generateTests, cadre.addDocs, cadre.refactor.
struct AgentActionArgs {
  std::string uri;
  Range range;
  json diagnostic;          // cadre.fix: the diagnostic to fix (LSP Diagnostic); null otherwise
  std::string instruction;  // cadre.refactor: what to do; optional elsewhere
};
void from_json(const json& j, AgentActionArgs& a);

struct RenameSymbolArgs {
  std::string uri;
  Position position;
  std::string newName;
};
void from_json(const json& j, RenameSymbolArgs& a);

struct MoveSymbolArgs {
  std::string uri;
  Position position;
  std::string targetUri;
};
void from_json(const json& j, MoveSymbolArgs& a);

struct ExtractFunctionArgs {
  std::string uri;
  Range range;
  std::string name;
};
void from_json(const json& j, ExtractFunctionArgs& a);

struct ApplyInstructionArgs {
  std::string instruction;
  std::vector<std::string> uris;
};
void from_json(const json& j, ApplyInstructionArgs& a);

// arguments[0] decoded as T; errors name "arguments[0].<field>".
template <class T>
T commandArgument(const ExecuteCommandParams& p) {
  if (!p.arguments.is_array() || p.arguments.empty())
    throw protocol::DecodeError("arguments", "expected an array holding one object (" + p.command + "'s arguments)");
  T out{};
  try {
    protocol::decodeValue(p.arguments[0], out);
  } catch (const protocol::DecodeError& e) {
    throw e.within("arguments[0]");
  }
  return out;
}

}  // namespace cadre::core::lsp
