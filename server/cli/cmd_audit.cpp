// `cadre audit verify|show`: checks the project's audit trail (.cadre/audit.jsonl)
// against its hash chain and the per-user anchor, and shows its entries filtered
// by time, kind and file. The parts write the trail through security::AuditLog.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/cli/args.hpp"
#include "server/core/state_paths.hpp"
#include "server/security/audit.hpp"
#include "support/utf8.hpp"

namespace cadre::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kAuditUsage = R"(Usage: cadre audit verify [DIR] [--anchor FILE] [--json]
       cadre audit show [DIR] [--since T] [--until T] [--kind K]... [--file PATH] [--limit N] [--json]

The project's audit trail, DIR/.cadre/audit.jsonl (DIR defaults to the current
directory): model requests, tool calls, approvals, commands and their exit
codes, applied edits with file hashes, checkpoint restores, policy denials.
Each entry carries the hash of the one before it.

  verify   check the chain; name every edited, removed, inserted, reordered
           or malformed entry and a cut-off tail; exit 1 when there is one
  show     the entries as a table or JSON lines, filtered

`cadre audit verify --help` and `cadre audit show --help` give the options.
)";

constexpr const char* kVerifyUsage = R"(Usage: cadre audit verify [DIR] [--anchor FILE] [--json]

Checks DIR/.cadre/audit.jsonl: every entry must carry the hash of the one
before it and the next seq. Reports each entry that was edited, removed,
inserted, moved or garbled, and — comparing with the anchor cadre keeps
outside the project — a tail that was cut off. Prints
"audit: N entries, chain intact" and exits 0, or one line per problem and
exits 1. No log at all is not a problem (nothing was recorded): exit 0.
Exit 2 for usage errors and unreadable files.

Options:
  --anchor FILE   compare with this anchor instead of the one in cadre's state
                  directory ($XDG_STATE_HOME/cadre/<project>/audit-anchor)
  --json          {"log", "anchor", "exists", "entries", "ok", "problems": [{"line", "seq", "kind", "message"}]}
)";

constexpr const char* kShowUsage = R"(Usage: cadre audit show [DIR] [--since T] [--until T] [--kind K]... [--file PATH] [--limit N] [--json]

Prints the entries of DIR/.cadre/audit.jsonl, oldest first, as a table
(time in UTC, seq, kind, who, summary) or as JSON lines. Malformed lines are
skipped; `cadre audit verify` reports them.

Options:
  --since T     entries at or after T: an ISO-8601 UTC time or a prefix of one
                (2026-11-21, "2026-11-21 22:50") or a duration back from now
                (90s, 30m, 2h, 7d)
  --until T     entries up to T; a prefix includes all it covers (a whole day)
  --kind K      only this kind (repeatable, or comma-separated): model_request,
                tool_call, approval, command, edit_applied, checkpoint_restore,
                policy_denied, session, git_commit, hook, memory_appended
  --file PATH   entries that name PATH (or a file under it) in files, path or
                paths; relative to DIR, or absolute inside DIR
  --limit N     only the last N matching entries
  --json        one JSON object per line (the entry's keys in sorted order)
)";

std::string plural(std::size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

fs::path logPathOf(const std::string& dir) { return fs::path(dir) / ".cadre" / "audit.jsonl"; }

int runVerify(Args& args) {
  std::string dir = ".";
  std::optional<std::string> anchorOption;
  bool asJson = false;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kVerifyUsage, stdout);
      return 0;
    } else if (a == "--anchor") {
      auto v = args.value();
      if (!v || v->empty()) return usageError("--anchor needs a file", kVerifyUsage);
      anchorOption = *v;
    } else if (a == "--json") {
      asJson = true;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for audit verify: " + a, kVerifyUsage);
    } else {
      dir = a;
    }
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::fprintf(stderr, "cadre audit verify: not a directory: %s\n", dir.c_str());
    return 2;
  }
  const fs::path log = logPathOf(dir);
  const fs::path anchor = anchorOption ? fs::path(*anchorOption) : core::projectStateDir(dir) / "audit-anchor";
  if (anchorOption && !fs::exists(anchor, ec)) {
    std::fprintf(stderr, "cadre audit verify: no anchor at %s\n", anchor.c_str());
    return 2;
  }
  const bool exists = fs::exists(log, ec);
  auto report = security::verifyAuditLog(log, anchor);
  if (!report && !exists) {
    // Nothing was ever recorded here (and the anchor does not say otherwise).
    if (asJson) {
      std::puts(json{{"log", log.string()}, {"anchor", anchor.string()}, {"exists", false}, {"entries", 0}, {"ok", true}, {"problems", json::array()}}
                    .dump()
                    .c_str());
    } else {
      std::printf("no audit log at %s: nothing has been recorded\n", log.c_str());
    }
    return 0;
  }
  if (!report) {
    std::fprintf(stderr, "cadre audit verify: %s\n", report.error().message.c_str());
    return 2;
  }
  if (asJson) {
    json problems = json::array();
    for (const auto& p : report->problems) {
      problems.push_back({{"line", p.line}, {"seq", p.seq}, {"kind", p.kind}, {"message", p.message}});
    }
    std::puts(json{{"log", log.string()},
                   {"anchor", anchor.string()},
                   {"exists", exists},
                   {"entries", report->entries},
                   {"ok", report->ok()},
                   {"problems", problems}}
                  .dump(-1, ' ', false, json::error_handler_t::replace)
                  .c_str());
    return report->ok() ? 0 : 1;
  }
  if (report->ok()) {
    std::printf("audit: %s, chain intact\n", plural(report->entries, "entry", "entries").c_str());
    return 0;
  }
  bool truncated = false;
  for (const auto& p : report->problems) {
    std::string where;
    if (p.line == 0) where = "";
    else if (p.kind == "removed" || p.seq < 0) where = "line " + std::to_string(p.line) + ": ";
    else where = "line " + std::to_string(p.line) + " (seq " + std::to_string(p.seq) + "): ";
    std::printf("%s%s — %s\n", where.c_str(), p.kind.c_str(), p.message.c_str());
    truncated = truncated || p.kind == "truncated";
  }
  if (truncated) {
    std::printf("(the anchor is %s; if this log was deliberately started afresh, delete it)\n", anchor.c_str());
  }
  std::printf("audit: %s, %s\n", plural(report->entries, "entry", "entries").c_str(),
              plural(report->problems.size(), "problem", "problems").c_str());
  return 1;
}

// One line for the table: control characters escaped, long text cut at a
// character boundary.
std::string clean(const std::string& s, std::size_t maxBytes) {
  std::string out;
  const std::string valid = utf8::sanitize(s);
  for (std::size_t i = 0; i < valid.size();) {
    const unsigned char c = static_cast<unsigned char>(valid[i]);
    const std::size_t len = std::max<std::size_t>(1, utf8::sequenceLength(c));
    if (out.size() + len > maxBytes) {
      out += "…";
      break;
    }
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.append(valid, i, len);
    }
    i += len;
  }
  return out;
}

// Width in characters, not bytes, so UTF-8 names keep the columns straight.
std::size_t columns(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

std::string text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string who(const json& e) {
  if (auto it = e.find("actor"); it != e.end() && !it->is_null()) return text(*it);
  if (auto it = e.find("model"); it != e.end() && !it->is_null()) return text(*it);
  return "-";
}

std::string summary(const json& e) {
  std::vector<std::string> parts;
  auto has = [&](const char* key) { return e.contains(key) && !e[key].is_null(); };
  if (has("event")) parts.push_back(text(e["event"]));
  if (has("model") && has("actor")) parts.push_back(text(e["model"]));
  if (has("role")) parts.push_back("as " + text(e["role"]));
  if (has("inputTokens") || has("outputTokens")) {
    parts.push_back((has("inputTokens") ? text(e["inputTokens"]) : "?") + " in / " + (has("outputTokens") ? text(e["outputTokens"]) : "?") +
                    " out tokens");
  }
  if (has("decision")) parts.push_back(text(e["decision"]));
  if (has("tool")) parts.push_back("tool " + text(e["tool"]));
  if (has("command")) parts.push_back("$ " + text(e["command"]));
  if (has("exitCode")) parts.push_back("→ exit " + text(e["exitCode"]));
  if (has("checkpoint")) parts.push_back("checkpoint " + text(e["checkpoint"]));
  std::vector<std::string> paths;
  if (has("path")) paths.push_back(text(e["path"]));
  for (const char* key : {"paths", "files"}) {
    if (!has(key) || !e[key].is_array()) continue;
    for (const auto& f : e[key]) paths.push_back(f.is_object() && f.contains("path") ? text(f["path"]) : text(f));
  }
  if (!paths.empty()) {
    std::string list;
    for (std::size_t i = 0; i < paths.size() && i < 3; ++i) list += (i ? ", " : "") + paths[i];
    if (paths.size() > 3) list += " +" + std::to_string(paths.size() - 3) + " more";
    parts.push_back(list);
  }
  if (has("reason")) parts.push_back("(" + text(e["reason"]) + ")");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "  ") + p;
  return out;
}

int runShow(Args& args) {
  std::string dir = ".";
  security::AuditFilter filter;
  std::optional<std::size_t> limit;
  bool asJson = false;
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(kShowUsage, stdout);
      return 0;
    } else if (a == "--since" || a == "--until") {
      auto v = args.value();
      if (!v || v->empty()) return usageError(a + " needs a time", kShowUsage);
      (a == "--since" ? filter.since : filter.until) = *v;
    } else if (a == "--kind") {
      auto v = args.value();
      if (!v || v->empty()) return usageError("--kind needs a kind", kShowUsage);
      for (std::size_t start = 0; start <= v->size();) {
        std::size_t comma = v->find(',', start);
        if (comma == std::string::npos) comma = v->size();
        std::string k = v->substr(start, comma - start);
        if (!security::isAuditKind(k)) return usageError("unknown audit entry kind: " + k, kShowUsage);
        filter.kinds.push_back(k);
        start = comma + 1;
      }
    } else if (a == "--file") {
      auto v = args.value();
      if (!v || v->empty()) return usageError("--file needs a path", kShowUsage);
      filter.file = *v;
    } else if (a == "--limit") {
      auto v = args.value();
      if (!v || v->empty() || v->find_first_not_of("0123456789") != std::string::npos || v->size() > 9) {
        return usageError("--limit needs a number", kShowUsage);
      }
      limit = std::stoul(*v);
    } else if (a == "--json") {
      asJson = true;
    } else if (!a.empty() && a[0] == '-') {
      return usageError("unknown option for audit show: " + a, kShowUsage);
    } else {
      dir = a;
    }
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::fprintf(stderr, "cadre audit show: not a directory: %s\n", dir.c_str());
    return 2;
  }
  // Entries name files relative to the project; an absolute path inside DIR
  // is turned into that form.
  if (filter.file && fs::path(*filter.file).is_absolute()) {
    const fs::path root = fs::weakly_canonical(fs::absolute(dir), ec);
    const fs::path rel = fs::weakly_canonical(*filter.file, ec).lexically_relative(root);
    if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0) filter.file = rel.generic_string();
  }
  const fs::path log = logPathOf(dir);
  auto entries = security::readAuditLog(log, filter);  // checks the filter first
  if (!entries) {
    if (entries.error().code == ErrorCode::InvalidParams) return usageError(entries.error().message, kShowUsage);
    if (!fs::exists(log, ec)) {
      std::fprintf(stderr, "cadre audit show: no audit log at %s: nothing has been recorded\n", log.c_str());
      return 0;
    }
    std::fprintf(stderr, "cadre audit show: %s\n", entries.error().message.c_str());
    return 2;
  }
  std::size_t first = limit && *limit < entries->size() ? entries->size() - *limit : 0;
  if (asJson) {
    for (std::size_t i = first; i < entries->size(); ++i) {
      std::puts((*entries)[i].dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    }
    return 0;
  }
  if (first == entries->size()) {
    std::puts("no matching entries");
    return 0;
  }
  struct Row {
    std::string time, seq, kind, who, summary;
  };
  std::vector<Row> rows;
  std::size_t seqW = 3, kindW = 4, whoW = 3;
  for (std::size_t i = first; i < entries->size(); ++i) {
    const json& e = (*entries)[i];
    Row r;
    r.time = e["ts"].get<std::string>().substr(0, 19);
    r.time[10] = ' ';
    r.seq = text(e["seq"]);
    r.kind = clean(text(e["kind"]), 24);
    r.who = clean(who(e), 24);
    r.summary = clean(summary(e), 200);
    seqW = std::max(seqW, r.seq.size());
    kindW = std::max(kindW, columns(r.kind));
    whoW = std::max(whoW, columns(r.who));
    rows.push_back(std::move(r));
  }
  auto pad = [](const std::string& s, std::size_t w) {
    const std::size_t have = columns(s);
    return s + std::string(w > have ? w - have : 0, ' ');
  };
  std::printf("%s  %*s  %s  %s  %s\n", pad("TIME (UTC)", 19).c_str(), static_cast<int>(seqW), "SEQ", pad("KIND", kindW).c_str(),
              pad("WHO", whoW).c_str(), "SUMMARY");
  for (const auto& r : rows) {
    std::printf("%s  %*s  %s  %s  %s\n", r.time.c_str(), static_cast<int>(seqW), r.seq.c_str(), pad(r.kind, kindW).c_str(),
                pad(r.who, whoW).c_str(), r.summary.c_str());
  }
  return 0;
}

}  // namespace

int runAudit(Args& args) {
  if (args.done()) return usageError("audit needs a subcommand: verify or show", kAuditUsage);
  const std::string sub = args.take();
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kAuditUsage, stdout);
    return 0;
  }
  if (sub == "verify") return runVerify(args);
  if (sub == "show") return runShow(args);
  return usageError("unknown audit subcommand: " + sub, kAuditUsage);
}

}  // namespace cadre::cli
