// The check kinds of task.json; see checks.hpp and docs/eval.md.
#include "server/eval/checks.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <regex>
#include <set>

#include "server/security/glob.hpp"

namespace cadre::eval {
namespace {

using nlohmann::json;

// Every key a matcher may hold. A key outside this set is a typo that would
// make the matcher match more than meant, so it is refused at load.
const std::set<std::string> kMatcherKeys = {"tool", "path", "outcome", "mutating", "argContains"};

struct KindSpec {
  const char* name;
  std::vector<const char*> required;
  std::vector<const char*> optional;
  std::vector<const char*> matchers;  // fields that are matchers
};

const std::vector<KindSpec>& kinds() {
  static const std::vector<KindSpec> k = {
      {"called", {"match"}, {"min", "max"}, {"match"}},
      {"notCalled", {"match"}, {}, {"match"}},
      {"before", {"first", "then"}, {}, {"first", "then"}},
      {"firstOf", {"match"}, {"among"}, {"among", "match"}},
      {"callsAfter", {"match", "max"}, {}, {"match"}},
      {"maxCalls", {"max"}, {}, {}},
      {"noRetryOfFailed", {}, {}, {}},
      {"maxRepeats", {"max"}, {}, {}},
      {"wellFormed", {}, {}, {}},
      {"finished", {}, {}, {}},
      {"answer", {}, {"matches", "notMatches", "ignoreCase"}, {}},
      {"file", {"path"}, {"contains", "notContains", "equals", "exists", "unchanged"}, {}},
      {"noChanges", {}, {}, {}},
      {"changedOnly", {"paths"}, {}, {}},
  };
  return k;
}

const KindSpec* findKind(const std::string& name) {
  for (const auto& k : kinds())
    if (name == k.name) return &k;
  return nullptr;
}

bool hasGlob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

bool pathMatches(const std::string& pattern, const std::string& path) {
  if (!hasGlob(pattern)) return pattern == path;
  // Case kept: a fixture's file names are exact.
  return security::globMatch(pattern, path, false);
}

std::vector<std::string> stringOrList(const json& j) {
  if (j.is_string()) return {j.get<std::string>()};
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

bool outcomeMatches(const std::string& want, CallOutcome got) {
  if (want == "error") return got != CallOutcome::Ok;
  CallOutcome w;
  return parseCallOutcome(want, w) && w == got;
}

bool matches(const json& m, const CallRecord& c) {
  if (m.contains("tool")) {
    auto tools = stringOrList(m["tool"]);
    if (std::find(tools.begin(), tools.end(), c.name) == tools.end()) return false;
  }
  if (m.contains("path")) {
    auto patterns = stringOrList(m["path"]);
    bool any = std::any_of(c.paths.begin(), c.paths.end(), [&](const std::string& p) {
      return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& g) { return pathMatches(g, p); });
    });
    if (!any) return false;
  }
  if (m.contains("outcome") && !outcomeMatches(m["outcome"].get<std::string>(), c.outcome)) return false;
  if (m.contains("mutating") && m["mutating"].get<bool>() != c.mutating) return false;
  if (m.contains("argContains") && c.rawArguments.find(m["argContains"].get<std::string>()) == std::string::npos) return false;
  return true;
}

std::string describe(const json& m) {
  if (m.empty()) return "any call";
  std::string s;
  if (m.contains("tool")) {
    auto t = stringOrList(m["tool"]);
    for (std::size_t i = 0; i < t.size(); ++i) s += (i ? "/" : "") + t[i];
  } else {
    s = m.value("mutating", false) ? "an edit" : "a call";
  }
  if (m.contains("path")) {
    auto p = stringOrList(m["path"]);
    s += " of " + (p.empty() ? std::string("?") : p[0]);
  }
  if (m.contains("argContains")) s += " with \"" + m["argContains"].get<std::string>() + "\"";
  if (m.contains("outcome")) s += " (" + m["outcome"].get<std::string>() + ")";
  return s;
}

std::size_t countMatches(const json& m, const Episode& e) {
  return static_cast<std::size_t>(std::count_if(e.calls.begin(), e.calls.end(), [&](const CallRecord& c) { return matches(m, c); }));
}

Expected<void> validateMatcher(const json& m, const std::string& where) {
  if (!m.is_object()) return makeError(ErrorCode::InvalidParams, where + ": a matcher must be an object");
  for (const auto& [k, v] : m.items()) {
    if (!kMatcherKeys.count(k))
      return makeError(ErrorCode::InvalidParams, where + ": unknown matcher key '" + k + "' (tool, path, outcome, mutating, argContains)");
    if ((k == "tool" || k == "path") && stringOrList(v).empty())
      return makeError(ErrorCode::InvalidParams, where + "." + k + ": a string or a list of strings");
    if (k == "mutating" && !v.is_boolean()) return makeError(ErrorCode::InvalidParams, where + ".mutating: true or false");
    if (k == "argContains" && !v.is_string()) return makeError(ErrorCode::InvalidParams, where + ".argContains: a string");
    if (k == "outcome") {
      CallOutcome o;
      if (!v.is_string() || (v != "error" && !parseCallOutcome(v.get<std::string>(), o)))
        return makeError(ErrorCode::InvalidParams,
                         where + ".outcome: one of ok, error, toolError, failed, refused, unknownTool, badArguments");
    }
  }
  return {};
}

CheckResult fail(CheckResult r, const json& check, std::string message) {
  r.passed = false;
  r.message = check.contains("why") ? check["why"].get<std::string>() + " (" + message + ")" : std::move(message);
  return r;
}

std::string callText(const CallRecord& c) {
  std::string args = c.rawArguments.size() > 80 ? c.rawArguments.substr(0, 77) + "..." : c.rawArguments;
  return c.name + " " + args;
}

}  // namespace

Expected<void> validateCheck(const json& check) {
  if (!check.is_object() || !check.contains("kind") || !check["kind"].is_string())
    return makeError(ErrorCode::InvalidParams, "a check is an object with a \"kind\"");
  const std::string kind = check["kind"].get<std::string>();
  const KindSpec* spec = findKind(kind);
  if (!spec) {
    std::string known;
    for (const auto& k : kinds()) known += (known.empty() ? "" : ", ") + std::string(k.name);
    return makeError(ErrorCode::InvalidParams, "unknown check kind '" + kind + "' (" + known + ")");
  }
  for (const char* r : spec->required)
    if (!check.contains(r)) return makeError(ErrorCode::InvalidParams, kind + ": missing \"" + r + "\"");
  for (const auto& item : check.items()) {
    // Not a structured binding: clang before 16 cannot capture one in the lambdas below.
    const std::string k = item.key();
    const auto& v = item.value();
    if (k == "kind" || k == "why") continue;
    auto in = [&](const std::vector<const char*>& list) {
      return std::any_of(list.begin(), list.end(), [&](const char* s) { return k == s; });
    };
    if (!in(spec->required) && !in(spec->optional)) return makeError(ErrorCode::InvalidParams, kind + ": unknown field '" + k + "'");
    if (in(spec->matchers)) {
      if (auto ok = validateMatcher(v, kind + "." + k); !ok) return ok;
    } else if (k == "min" || k == "max") {
      if (!v.is_number_integer() || v.get<long long>() < 0) return makeError(ErrorCode::InvalidParams, kind + "." + k + ": a count");
    } else if (k == "matches" || k == "notMatches") {
      if (!v.is_string()) return makeError(ErrorCode::InvalidParams, kind + "." + k + ": a regular expression");
      try {
        std::regex re(v.get<std::string>(), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return makeError(ErrorCode::InvalidParams, kind + "." + k + ": not a valid regular expression: " + e.what());
      }
    } else if (k == "ignoreCase" || k == "exists" || k == "unchanged") {
      if (!v.is_boolean()) return makeError(ErrorCode::InvalidParams, kind + "." + k + ": true or false");
    } else if (k == "paths") {
      if (!v.is_array() || stringOrList(v).size() != v.size())
        return makeError(ErrorCode::InvalidParams, kind + ".paths: a list of paths or globs");
    } else if (!v.is_string()) {
      return makeError(ErrorCode::InvalidParams, kind + "." + k + ": a string");
    }
  }
  if (check.contains("why") && !check["why"].is_string()) return makeError(ErrorCode::InvalidParams, kind + ".why: a string");
  return {};
}

CheckResult runCheck(const json& check, const Episode& e) {
  CheckResult r;
  r.kind = check.value("kind", "");
  const std::string& k = r.kind;
  if (k == "called" || k == "notCalled") {
    const json& m = check["match"];
    const std::size_t n = countMatches(m, e);
    // "max" alone means "at most": min is then 0, else at least once.
    const auto min = static_cast<std::size_t>(k == "notCalled" ? 0 : check.value("min", check.contains("max") ? 0 : 1));
    const auto max = static_cast<std::size_t>(k == "notCalled" ? 0 : check.value("max", std::numeric_limits<long long>::max()));
    if (n < min) return fail(r, check, "expected " + describe(m) + (min == 1 ? "" : " at least " + std::to_string(min) + " times") + ", got " + std::to_string(n));
    if (n > max) return fail(r, check, "expected " + describe(m) + " at most " + std::to_string(max) + " times, got " + std::to_string(n));
    return r;
  }
  if (k == "before") {
    // The first call matching `then` must come after some call matching
    // `first`; when nothing matches `then` there is nothing to order.
    for (std::size_t i = 0; i < e.calls.size(); ++i) {
      if (!matches(check["then"], e.calls[i])) continue;
      for (std::size_t j = 0; j < i; ++j)
        if (matches(check["first"], e.calls[j])) return r;
      return fail(r, check, describe(check["then"]) + " came before any " + describe(check["first"]));
    }
    return r;
  }
  if (k == "firstOf") {
    const json among = check.value("among", json::object());
    for (const auto& c : e.calls) {
      if (!matches(among, c)) continue;
      if (matches(check["match"], c)) return r;
      std::string what = describe(among);
      for (const char* article : {"a ", "an "})
        if (what.rfind(article, 0) == 0) what = what.substr(std::strlen(article));
      return fail(r, check, "the first " + what + " was " + callText(c) + ", not " + describe(check["match"]));
    }
    return r;  // none: other checks say whether there should have been one
  }
  if (k == "callsAfter") {
    const auto max = static_cast<std::size_t>(check["max"].get<long long>());
    for (std::size_t i = 0; i < e.calls.size(); ++i) {
      if (!matches(check["match"], e.calls[i])) continue;
      const std::size_t after = e.calls.size() - i - 1;
      if (after > max)
        return fail(r, check, std::to_string(after) + " more calls after " + describe(check["match"]) + " (at most " + std::to_string(max) + ")");
      return r;
    }
    return r;
  }
  if (k == "maxCalls") {
    const auto max = static_cast<std::size_t>(check["max"].get<long long>());
    if (e.calls.size() > max) return fail(r, check, std::to_string(e.calls.size()) + " tool calls, at most " + std::to_string(max));
    return r;
  }
  if (k == "noRetryOfFailed" || k == "maxRepeats") {
    // Calls are the same when the tool and the arguments (as JSON, so key
    // order and spacing do not matter) are.
    auto key = [](const CallRecord& c) { return c.name + "\n" + (c.arguments.is_null() ? c.rawArguments : c.arguments.dump()); };
    std::map<std::string, int> seen;
    std::set<std::string> failed;
    const long long max = check.value("max", 1LL);
    for (const auto& c : e.calls) {
      const std::string id = key(c);
      if (k == "noRetryOfFailed" && failed.count(id)) return fail(r, check, "repeated a call that had failed: " + callText(c));
      if (k == "maxRepeats" && ++seen[id] > max) return fail(r, check, "the same call " + std::to_string(seen[id]) + " times: " + callText(c));
      if (c.outcome != CallOutcome::Ok) failed.insert(id);
    }
    return r;
  }
  if (k == "wellFormed") {
    for (const auto& c : e.calls) {
      if (c.outcome == CallOutcome::UnknownTool) return fail(r, check, "called a tool that was not offered: " + c.name);
      if (c.outcome == CallOutcome::BadArguments) return fail(r, check, "malformed arguments: " + callText(c) + ": " + c.message);
    }
    return r;
  }
  if (k == "finished") {
    if (!e.modelError.empty()) return fail(r, check, "the model request failed: " + e.modelError);
    if (e.turnLimit) return fail(r, check, "still calling tools after " + std::to_string(e.turns) + " turns");
    if (!e.finished) return fail(r, check, "did not end with an answer");
    return r;
  }
  if (k == "answer") {
    auto flags = std::regex::ECMAScript;
    if (check.value("ignoreCase", true)) flags |= std::regex::icase;
    if (check.contains("matches") && !std::regex_search(e.finalText, std::regex(check["matches"].get<std::string>(), flags)))
      return fail(r, check, "the answer does not match /" + check["matches"].get<std::string>() + "/");
    if (check.contains("notMatches") && std::regex_search(e.finalText, std::regex(check["notMatches"].get<std::string>(), flags)))
      return fail(r, check, "the answer matches /" + check["notMatches"].get<std::string>() + "/");
    return r;
  }
  if (k == "file") {
    const std::string path = check["path"].get<std::string>();
    auto it = e.after.find(path);
    const bool exists = it != e.after.end();
    if (check.contains("exists") && check["exists"].get<bool>() != exists)
      return fail(r, check, path + (exists ? " exists" : " does not exist"));
    if (check.value("unchanged", false)) {
      auto b = e.before.find(path);
      const bool same = (b == e.before.end() && !exists) || (b != e.before.end() && exists && b->second == it->second);
      if (!same) return fail(r, check, path + " was changed");
    }
    if (check.contains("contains") || check.contains("notContains") || check.contains("equals")) {
      if (!exists) return fail(r, check, path + " does not exist");
      const std::string& text = it->second;
      if (check.contains("equals") && text != check["equals"].get<std::string>()) return fail(r, check, path + " does not have the expected content");
      if (check.contains("contains") && text.find(check["contains"].get<std::string>()) == std::string::npos)
        return fail(r, check, path + " does not contain \"" + check["contains"].get<std::string>() + "\"");
      if (check.contains("notContains") && text.find(check["notContains"].get<std::string>()) != std::string::npos)
        return fail(r, check, path + " still contains \"" + check["notContains"].get<std::string>() + "\"");
    }
    return r;
  }
  if (k == "noChanges") {
    if (!e.changed.empty()) return fail(r, check, "changed " + e.changed.front() + (e.changed.size() > 1 ? " and more" : ""));
    return r;
  }
  if (k == "changedOnly") {
    auto allowed = stringOrList(check["paths"]);
    for (const auto& p : e.changed)
      if (std::none_of(allowed.begin(), allowed.end(), [&](const std::string& g) { return pathMatches(g, p); }))
        return fail(r, check, "changed " + p + ", which the task does not need");
    return r;
  }
  return fail(r, check, "unknown check kind");
}

std::vector<CheckResult> runChecks(const json& checks, const Episode& e) {
  std::vector<CheckResult> out;
  if (!e.modelError.empty()) out.push_back({false, "model", "the model request failed: " + e.modelError});
  for (const auto& c : checks) out.push_back(runCheck(c, e));
  return out;
}

}  // namespace cadre::eval
