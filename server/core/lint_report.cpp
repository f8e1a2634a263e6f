// See lint_report.hpp.
#include "server/core/lint_report.hpp"

#include "server/core/uri.hpp"

namespace cadre::core {

using nlohmann::json;

Expected<json> lintShadowReport(const agent::ToolRegistry& tools, agent::ToolContext& context, std::vector<std::string> known) {
  auto out = tools.call("lint_changes", json::object(), context);
  if (!out) return out.error();
  const auto root = context.shadow && !context.shadow->roots().empty() ? context.shadow->roots().front() : std::filesystem::path();
  json diags = json::array();
  for (const auto& d : out->data.value("introduced", json::array())) {
    json e = d;
    e["uri"] = pathToUri(root / d.value("path", ""));
    diags.push_back(e);
  }
  for (const auto& q : out->data.value("problems", json::array())) known.push_back(q.get<std::string>());
  return json{{"diagnostics", diags}, {"ran", out->data.value("ran", json::array())}, {"problems", known}};
}

bool reportHasErrors(const json& report) {
  for (const auto& d : report.value("diagnostics", json::array())) {
    if (d.value("severity", "") == "error") return true;
  }
  return false;
}

}  // namespace cadre::core
