// Linter detection and output parsers. Parsers are lenient: a line they do
// not understand is skipped (linters print context, carets, summaries).
#include "server/workspace/lint.hpp"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <regex>

#include "server/security/glob.hpp"

namespace cadre::workspace {
namespace fs = std::filesystem;
using nlohmann::json;

const char* toString(LintFormat f) {
  switch (f) {
    case LintFormat::Gcc: return "gcc";
    case LintFormat::Tsc: return "tsc";
    case LintFormat::EslintJson: return "eslint-json";
    case LintFormat::RuffJson: return "ruff-json";
    case LintFormat::Regex: return "regex";
  }
  return "gcc";
}

namespace {

std::vector<std::string_view> lines(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string_view::npos) nl = s.size();
    std::string_view l = s.substr(start, nl - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (!l.empty()) out.push_back(l);
    start = nl + 1;
  }
  return out;
}

bool parseInt(std::string_view s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

std::string normalizePath(std::string p) {
  while (p.rfind("./", 0) == 0) p.erase(0, 2);
  return p;
}

// path:line:col: [severity:] message [code]
void parseGcc(const LinterSpec& l, std::string_view out, std::vector<LintDiagnostic>& diags) {
  for (auto line : lines(out)) {
    std::size_t a = line.find(':');
    if (a == std::string_view::npos || a == 0) continue;
    std::size_t b = line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    LintDiagnostic d;
    if (!parseInt(line.substr(a + 1, b - a - 1), d.line)) continue;
    std::size_t rest = b + 1;
    std::size_t c = line.find(':', rest);
    if (c != std::string_view::npos && parseInt(line.substr(rest, c - rest), d.column)) rest = c + 1;
    std::string_view msg = line.substr(rest);
    while (!msg.empty() && msg.front() == ' ') msg.remove_prefix(1);
    d.severity = "error";
    for (const char* sev : {"fatal error", "error", "warning", "note", "info", "style"}) {
      std::string_view s(sev);
      if (msg.substr(0, s.size()) == s && msg.size() > s.size() && msg[s.size()] == ':') {
        d.severity = (s == "fatal error") ? "error" : (s == "note" || s == "style") ? "info" : std::string(s);
        msg.remove_prefix(s.size() + 1);
        while (!msg.empty() && msg.front() == ' ') msg.remove_prefix(1);
        break;
      }
    }
    // A trailing [SC2086] / [-Wunused-variable] is the code.
    if (!msg.empty() && msg.back() == ']') {
      auto open = msg.rfind('[');
      if (open != std::string_view::npos && open > 0) {
        d.code = std::string(msg.substr(open + 1, msg.size() - open - 2));
        msg = msg.substr(0, open);
        while (!msg.empty() && msg.back() == ' ') msg.remove_suffix(1);
      }
    }
    if (msg.empty()) continue;
    // A note without a code explains the diagnostic before it (gcc's "each
    // undeclared identifier is reported only once"); shellcheck's notes have
    // codes and are findings of their own.
    if (d.severity == "info" && d.code.empty()) continue;
    // gcc's "In function 'main':" context lines have no line number and were skipped above.
    d.path = normalizePath(std::string(line.substr(0, a)));
    d.message = std::string(msg);
    d.source = l.name;
    diags.push_back(std::move(d));
  }
}

// path(line,col): error TS2322: message
void parseTsc(const LinterSpec& l, std::string_view out, std::vector<LintDiagnostic>& diags) {
  for (auto line : lines(out)) {
    auto open = line.find('(');
    auto close = line.find("):", open == std::string_view::npos ? 0 : open);
    if (open == std::string_view::npos || close == std::string_view::npos) continue;
    auto comma = line.find(',', open);
    LintDiagnostic d;
    if (comma == std::string_view::npos || comma > close || !parseInt(line.substr(open + 1, comma - open - 1), d.line) ||
        !parseInt(line.substr(comma + 1, close - comma - 1), d.column))
      continue;
    std::string_view rest = line.substr(close + 2);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    auto sp = rest.find(' ');
    d.severity = std::string(rest.substr(0, sp));
    rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
    auto colon = rest.find(": ");
    if (colon != std::string_view::npos && rest.substr(0, 2) == "TS") {
      d.code = std::string(rest.substr(0, colon));
      rest.remove_prefix(colon + 2);
    }
    d.path = normalizePath(std::string(line.substr(0, open)));
    d.message = std::string(rest);
    d.source = l.name;
    diags.push_back(std::move(d));
  }
}

void parseEslint(const LinterSpec& l, std::string_view out, std::vector<LintDiagnostic>& diags) {
  json j = json::parse(out, nullptr, false);
  if (!j.is_array()) return;
  for (const auto& file : j) {
    if (!file.is_object()) continue;
    for (const auto& m : file.value("messages", json::array())) {
      LintDiagnostic d;
      d.path = normalizePath(file.value("filePath", ""));
      d.line = m.value("line", 0);
      d.column = m.value("column", 0);
      d.severity = m.value("severity", 1) >= 2 ? "error" : "warning";
      d.code = m.contains("ruleId") && m["ruleId"].is_string() ? m["ruleId"].get<std::string>() : "";
      d.message = m.value("message", "");
      d.source = l.name;
      diags.push_back(std::move(d));
    }
  }
}

void parseRuff(const LinterSpec& l, std::string_view out, std::vector<LintDiagnostic>& diags) {
  json j = json::parse(out, nullptr, false);
  if (!j.is_array()) return;
  for (const auto& m : j) {
    if (!m.is_object()) continue;
    LintDiagnostic d;
    d.path = normalizePath(m.value("filename", ""));
    if (m.contains("location") && m["location"].is_object()) {
      d.line = m["location"].value("row", 0);
      d.column = m["location"].value("column", 0);
    }
    d.severity = "error";
    d.code = m.contains("code") && m["code"].is_string() ? m["code"].get<std::string>() : "";
    d.message = m.value("message", "");
    d.source = l.name;
    diags.push_back(std::move(d));
  }
}

void parseRegex(const LinterSpec& l, std::string_view out, std::vector<LintDiagnostic>& diags) {
  // std::regex has no named groups: the configured pattern's groups are
  // path, line, column, message in that order (column may be omitted with
  // three groups).
  std::regex re;
  try {
    re = std::regex(l.regex);
  } catch (const std::regex_error&) {
    return;
  }
  for (auto line : lines(out)) {
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_search(line.begin(), line.end(), m, re) || m.size() < 4) continue;
    LintDiagnostic d;
    d.path = normalizePath(m[1].str());
    parseInt(m[2].str(), d.line);
    if (m.size() >= 5) {
      parseInt(m[3].str(), d.column);
      d.message = m[4].str();
    } else {
      d.message = m[3].str();
    }
    d.severity = "error";
    d.source = l.name;
    diags.push_back(std::move(d));
  }
}

bool anyFile(const fs::path& root, std::initializer_list<const char*> names) {
  std::error_code ec;
  for (const char* n : names)
    if (fs::exists(root / n, ec)) return true;
  return false;
}

}  // namespace

std::vector<LintDiagnostic> parseLintOutput(const LinterSpec& linter, std::string_view output) {
  std::vector<LintDiagnostic> diags;
  switch (linter.format) {
    case LintFormat::Gcc: parseGcc(linter, output, diags); break;
    case LintFormat::Tsc: parseTsc(linter, output, diags); break;
    case LintFormat::EslintJson: parseEslint(linter, output, diags); break;
    case LintFormat::RuffJson: parseRuff(linter, output, diags); break;
    case LintFormat::Regex: parseRegex(linter, output, diags); break;
  }
  return diags;
}

std::string whichOnPath(std::string_view program) {
  const char* path = std::getenv("PATH");
  if (!path) return {};
  std::string_view p(path);
  while (!p.empty()) {
    auto colon = p.find(':');
    std::string dir(p.substr(0, colon));
    p.remove_prefix(colon == std::string_view::npos ? p.size() : colon + 1);
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + std::string(program);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::vector<LinterSpec> detectLinters(const fs::path& root, const std::function<std::string(std::string_view)>& which) {
  std::vector<LinterSpec> out;
  auto local = [&](const char* bin) -> std::string {
    std::error_code ec;
    fs::path p = root / "node_modules/.bin" / bin;
    return fs::exists(p, ec) ? p.string() : which(bin);
  };
  if (auto ruff = which("ruff"); !ruff.empty()) {
    out.push_back({"ruff", {ruff, "check", "--output-format", "json", "--no-cache", "{files}"}, {"*.py"}, LintFormat::RuffJson, "", 60, false});
  } else if (auto pf = which("pyflakes3"); !pf.empty()) {
    out.push_back({"pyflakes", {pf, "{files}"}, {"*.py"}, LintFormat::Gcc, "", 60, false});
  } else if (auto pf2 = which("pyflakes"); !pf2.empty()) {
    out.push_back({"pyflakes", {pf2, "{files}"}, {"*.py"}, LintFormat::Gcc, "", 60, false});
  }
  if (anyFile(root, {"tsconfig.json"})) {
    if (auto tsc = local("tsc"); !tsc.empty())
      out.push_back({"tsc", {tsc, "--noEmit", "--pretty", "false", "-p", "."}, {"*.ts", "*.tsx", "*.mts", "*.cts"}, LintFormat::Tsc, "", 120, false});
  }
  if (anyFile(root, {"eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", ".eslintrc", ".eslintrc.js", ".eslintrc.json",
                     ".eslintrc.cjs", ".eslintrc.yml", ".eslintrc.yaml"})) {
    if (auto eslint = local("eslint"); !eslint.empty())
      out.push_back({"eslint", {eslint, "-f", "json", "{files}"}, {"*.js", "*.jsx", "*.ts", "*.tsx", "*.mjs", "*.cjs"}, LintFormat::EslintJson, "", 120, false});
  }
  if (auto gcc = which("gcc"); !gcc.empty())
    out.push_back({"gcc", {gcc, "-fsyntax-only", "-fdiagnostics-plain-output", "{file}"}, {"*.c"}, LintFormat::Gcc, "", 60, false});
  if (auto gxx = which("g++"); !gxx.empty())
    out.push_back({"g++", {gxx, "-fsyntax-only", "-std=c++20", "-fdiagnostics-plain-output", "{file}"}, {"*.cpp", "*.cc", "*.cxx"}, LintFormat::Gcc, "", 60, false});
  if (auto sc = which("shellcheck"); !sc.empty())
    out.push_back({"shellcheck", {sc, "-f", "gcc", "{files}"}, {"*.sh", "*.bash"}, LintFormat::Gcc, "", 60, false});
  if (anyFile(root, {"go.mod"})) {
    if (auto go = which("go"); !go.empty()) out.push_back({"go vet", {go, "vet", "./..."}, {"*.go"}, LintFormat::Gcc, "", 120, false});
  }
  return out;
}

Expected<LinterSpec> linterFromJson(const json& j) {
  if (!j.is_object()) return makeError(ErrorCode::Config, "a linter must be an object");
  LinterSpec l;
  l.configured = true;
  l.name = j.value("name", "");
  if (l.name.empty()) return makeError(ErrorCode::Config, "a linter needs a \"name\"");
  if (!j.contains("command") || !j["command"].is_array() || j["command"].empty())
    return makeError(ErrorCode::Config, "linter " + l.name + ": \"command\" must be a non-empty array of strings");
  for (const auto& a : j["command"]) {
    if (!a.is_string()) return makeError(ErrorCode::Config, "linter " + l.name + ": \"command\" must hold strings");
    l.command.push_back(a.get<std::string>());
  }
  if (j.contains("globs")) {
    if (!j["globs"].is_array()) return makeError(ErrorCode::Config, "linter " + l.name + ": \"globs\" must be an array");
    for (const auto& g : j["globs"])
      if (g.is_string()) l.globs.push_back(g.get<std::string>());
  }
  static const std::map<std::string, LintFormat> formats = {{"gcc", LintFormat::Gcc}, {"tsc", LintFormat::Tsc},
                                                            {"eslint-json", LintFormat::EslintJson},
                                                            {"ruff-json", LintFormat::RuffJson}, {"regex", LintFormat::Regex}};
  const std::string f = j.value("format", "gcc");
  auto it = formats.find(f);
  if (it == formats.end())
    return makeError(ErrorCode::Config, "linter " + l.name + ": unknown format \"" + f + "\" (gcc, tsc, eslint-json, ruff-json, regex)");
  l.format = it->second;
  l.regex = j.value("regex", "");
  if (l.format == LintFormat::Regex) {
    try {
      std::regex probe(l.regex);
    } catch (const std::regex_error& e) {
      return makeError(ErrorCode::Config, "linter " + l.name + ": bad regex: " + e.what());
    }
  }
  l.timeoutSeconds = j.value("timeoutSeconds", 60);
  if (l.timeoutSeconds < 1 || l.timeoutSeconds > 3600)
    return makeError(ErrorCode::Config, "linter " + l.name + ": timeoutSeconds must be 1 to 3600");
  return l;
}

bool lintGlobMatch(const LinterSpec& linter, std::string_view relPath) {
  if (linter.globs.empty()) return true;
  auto slash = relPath.rfind('/');
  std::string_view base = slash == std::string_view::npos ? relPath : relPath.substr(slash + 1);
  for (const auto& g : linter.globs) {
    const bool hasSlash = g.find('/') != std::string::npos;
    if (security::globMatch(g, hasSlash ? relPath : base, false)) return true;
  }
  return false;
}

std::vector<LintDiagnostic> lintDelta(const std::vector<LintDiagnostic>& before, const std::vector<LintDiagnostic>& after) {
  std::map<std::tuple<std::string, std::string, std::string, std::string>, int> seen;
  for (const auto& d : before) ++seen[{d.source, d.path, d.code, d.message}];
  std::vector<LintDiagnostic> out;
  for (const auto& d : after) {
    auto& n = seen[{d.source, d.path, d.code, d.message}];
    if (n > 0) --n;
    else out.push_back(d);
  }
  return out;
}

}  // namespace cadre::workspace
