// Decoding of workspace/executeCommand and the cadre.* command arguments.
#include "server/core/command_types.hpp"

namespace cadre::core::lsp {

using protocol::DecodeError;
using protocol::ObjectMapper;

void from_json(const json& j, ExecuteCommandParams& p) {
  ObjectMapper(j).required("command", p.command).optional("arguments", p.arguments);
  if (!p.arguments.is_array()) throw DecodeError("arguments", "expected an array");
}

void from_json(const json& j, AgentActionArgs& a) {
  ObjectMapper(j).required("uri", a.uri).required("range", a.range).optional("diagnostic", a.diagnostic).optional("instruction", a.instruction);
  if (!a.diagnostic.is_null() && !a.diagnostic.is_object()) throw DecodeError("diagnostic", "expected an object (an LSP Diagnostic)");
}

void from_json(const json& j, RenameSymbolArgs& a) {
  ObjectMapper(j).required("uri", a.uri).required("position", a.position).required("newName", a.newName);
}

void from_json(const json& j, MoveSymbolArgs& a) {
  ObjectMapper(j).required("uri", a.uri).required("position", a.position).required("targetUri", a.targetUri);
}

void from_json(const json& j, ExtractFunctionArgs& a) {
  ObjectMapper(j).required("uri", a.uri).required("range", a.range).required("name", a.name);
}

void from_json(const json& j, ApplyInstructionArgs& a) {
  ObjectMapper(j).required("instruction", a.instruction).required("uris", a.uris);
  if (a.instruction.empty()) throw DecodeError("instruction", "must not be empty");
  if (a.uris.empty()) throw DecodeError("uris", "name at least one file the instruction may change");
}

}  // namespace cadre::core::lsp
