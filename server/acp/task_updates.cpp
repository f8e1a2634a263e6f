// TaskEvent → session/update payloads; see task_updates.hpp.
#include "server/acp/task_updates.hpp"

namespace cadre::acp {

namespace {

json chunk(const char* kind, const std::string& text) {
  return {{"sessionUpdate", kind}, {"content", {{"type", "text"}, {"text", text}}}};
}

std::string shortened(std::string s, std::size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…";
}

}  // namespace

json textContent(const std::string& text) { return {{"type", "content"}, {"content", {{"type", "text"}, {"text", text}}}}; }

std::string toolKind(const std::string& tool) {
  if (tool == "read_file" || tool == "list_files") return "read";
  if (tool == "search_files") return "search";
  if (tool == "write_file" || tool == "edit_file") return "edit";
  if (tool == "delete_file") return "delete";
  if (tool == "rename_file") return "move";
  if (tool == "run_command" || tool == "lint_changes") return "execute";
  return "other";
}

std::string toolTitle(const std::string& tool, const json& args) {
  auto str = [&](const char* key) { return args.is_object() && args.contains(key) && args[key].is_string() ? args[key].get<std::string>() : std::string(); };
  if (tool == "run_command") return "Run `" + shortened(str("command"), 120) + "`";
  if (tool == "rename_file") return "Rename " + str("from") + " → " + str("to");
  if (tool == "search_files") return "Search for \"" + shortened(str("query"), 80) + "\"";
  if (tool == "edit_file") {
    // The first line of a SEARCH/REPLACE block names the file.
    std::string edits = str("edits");
    return "Edit " + shortened(edits.substr(0, edits.find('\n')), 120);
  }
  const std::string path = str("path");
  if (tool == "read_file") return "Read " + path;
  if (tool == "list_files") return "List " + (path.empty() ? std::string(".") : path);
  if (tool == "write_file") return "Write " + path;
  if (tool == "delete_file") return "Delete " + path;
  return path.empty() ? tool : tool + " " + path;
}

json diffContent(const std::vector<workspace::ShadowChange>& changes) {
  json out = json::array();
  for (const auto& c : changes) {
    json d = {{"type", "diff"}, {"path", c.path.string()}, {"newText", c.content.value_or("")}};
    d["oldText"] = c.base ? json(*c.base) : json(nullptr);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<json> TaskUpdates::locations(const json& args) const {
  std::vector<json> out;
  if (!args.is_object()) return out;
  for (const char* key : {"path", "from", "to"}) {
    if (!args.contains(key) || !args[key].is_string()) continue;
    std::filesystem::path p = args[key].get<std::string>();
    out.push_back({{"path", (p.is_absolute() ? p : root_ / p).lexically_normal().string()}});
  }
  return out;
}

json TaskUpdates::planUpdate() const { return {{"sessionUpdate", "plan"}, {"entries", entries_}}; }

json TaskUpdates::finishPlan() {
  if (entries_.empty()) return nullptr;
  for (auto& e : entries_) e["status"] = "completed";
  return planUpdate();
}

std::vector<json> TaskUpdates::map(const agent::TaskEvent& event) {
  const json& d = event.data;
  std::vector<json> out;
  if (event.kind == "token") {
    const std::string text = d.value("text", "");
    if (text.empty()) return out;
    // The executor speaks to the user; planning and reviewing are cadre thinking.
    out.push_back(chunk(d.value("role", "") == "executor" ? "agent_message_chunk" : "agent_thought_chunk", text));
  } else if (event.kind == "plan") {
    entries_ = json::array();
    for (const auto& s : d.value("steps", json::array())) {
      std::string title = s.is_object() ? s.value("title", "") : s.is_string() ? s.get<std::string>() : s.dump();
      if (s.is_object() && s.contains("files") && s["files"].is_array() && !s["files"].empty()) {
        std::string files;
        for (const auto& f : s["files"]) files += (files.empty() ? "" : ", ") + (f.is_string() ? f.get<std::string>() : f.dump());
        title += " (" + files + ")";
      }
      entries_.push_back({{"content", title}, {"priority", "high"}, {"status", "pending"}});
    }
    stepCount_ = entries_.size();
    for (const auto& c : d.value("criteria", json::array()))
      entries_.push_back({{"content", "Check: " + (c.is_string() ? c.get<std::string>() : c.dump())}, {"priority", "medium"},
                          {"status", "pending"}});
    out.push_back(planUpdate());
  } else if (event.kind == "status") {
    // cadre does not track steps one by one: the steps are in progress while
    // the executor works, the checks while the reviewer reads.
    const std::string status = d.value("status", "");
    if (entries_.empty()) return out;
    bool changed = false;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const bool step = i < stepCount_;
      std::string want = entries_[i]["status"];
      if (status == "executing" && step && want == "pending") want = "in_progress";
      if (status == "reviewing" && step) want = "completed";
      if (status == "reviewing" && !step && want == "pending") want = "in_progress";
      if (status == "executing" && !step && want == "in_progress") want = "pending";  // findings sent back
      if (status == "executing" && step && want == "completed") want = "in_progress";
      if (entries_[i]["status"] != want) {
        entries_[i]["status"] = want;
        changed = true;
      }
    }
    if (changed) out.push_back(planUpdate());
  } else if (event.kind == "toolCall") {
    const std::string name = d.value("name", "");
    const std::string id = turn_ + "-" + std::to_string(++calls_);
    ids_[d.value("worker", "") + "/" + d.value("id", "")] = id;
    lastToolCall_ = id;
    lastToolName_ = name;
    json args = json::parse(d.value("arguments", "{}"), nullptr, false);
    if (args.is_discarded()) args = d.value("arguments", "");
    json call = {{"sessionUpdate", "tool_call"}, {"toolCallId", id}, {"title", toolTitle(name, args)},
                 {"kind", toolKind(name)}, {"status", "in_progress"}, {"rawInput", args}};
    auto where = locations(args);
    if (!where.empty()) call["locations"] = where;
    out.push_back(std::move(call));
  } else if (event.kind == "toolResult") {
    auto it = ids_.find(d.value("worker", "") + "/" + d.value("id", ""));
    if (it == ids_.end()) return out;
    out.push_back({{"sessionUpdate", "tool_call_update"}, {"toolCallId", it->second},
                   {"status", d.value("ok", false) ? "completed" : "failed"},
                   {"content", json::array({textContent(d.value("text", ""))})}});
  } else if (event.kind == "diagnostics") {
    const json introduced = d.value("introduced", json::array());
    if (introduced.empty()) return out;
    std::string text = "\nThe checks found " + std::to_string(introduced.size()) + " problem(s) the change introduced:\n";
    for (const auto& p : introduced)
      text += "- " + p.value("path", "") + ":" + std::to_string(p.value("line", 0)) + ": " + p.value("message", "") + " (" +
              p.value("source", "") + ")\n";
    out.push_back(chunk("agent_thought_chunk", text));
  } else if (event.kind == "review") {
    std::string text = "\nReview by " + d.value("model", std::string("the reviewer")) + ": " +
                       (d.value("approved", false) ? "approved" : "changes requested") + "\n";
    for (const auto& f : d.value("findings", json::array())) text += "- " + (f.is_string() ? f.get<std::string>() : f.dump()) + "\n";
    out.push_back(chunk("agent_thought_chunk", text));
  }
  return out;
}

}  // namespace cadre::acp
