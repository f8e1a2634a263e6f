// See path_arguments.hpp.
#include "server/mcp/path_arguments.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <set>

namespace cadre::mcp {
namespace {

// Keys compared lowercased with '_' and '-' removed.
std::string normalKey(const std::string& key) {
  std::string k;
  for (char c : key)
    if (c != '_' && c != '-') k.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return k;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isPathKey(const std::string& key) {
  static const std::set<std::string> exact = {
      "path",   "paths",  "file",        "files",  "filename", "filenames", "dir",     "dirs",        "directory",
      "directories", "folder", "folders", "root", "roots",   "uri",       "uris",    "source",      "sources",
      "destination", "target", "src",    "dst",    "dest",     "cwd",       "workdir", "location",    "from",
      "to",     "output", "input"};
  const std::string k = normalKey(key);
  if (exact.count(k)) return true;
  for (const char* suffix : {"path", "paths", "file", "files", "dir", "directory", "uri", "folder"})
    if (endsWith(k, suffix)) return true;
  return false;
}

// Free text whose words are not paths to check: what a tool writes or says.
bool isContentKey(const std::string& key) {
  static const std::set<std::string> content = {"content", "contents", "text", "body", "newtext", "oldtext", "message",
                                                "description", "prompt", "comment", "data", "title", "summary", "name"};
  return content.count(normalKey(key)) > 0;
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// file:// URIs and ~ become plain paths; other URIs (http:) are not paths.
std::optional<std::string> asPath(const std::string& value) {
  if (value.rfind("file://", 0) == 0) {
    std::string rest = value.substr(7);
    if (auto slash = rest.find('/'); slash != 0) {
      // file://host/path: only localhost is this machine.
      std::string host = rest.substr(0, slash);
      if (host != "localhost" && !host.empty()) return value;  // checked as given: it resolves nowhere under the roots
      rest = slash == std::string::npos ? "/" : rest.substr(slash);
    }
    return percentDecode(rest);
  }
  if (value.find("://") != std::string::npos) return std::nullopt;
  if (value == "~" || value.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/") + value.substr(1);
  }
  return value;
}

bool looksAbsolute(const std::string& v) {
  return !v.empty() && v.find_first_of(" \t\n") == std::string::npos &&
         (v[0] == '/' || v == "~" || v.rfind("~/", 0) == 0 || v.rfind("file://", 0) == 0);
}

// A word worth a deny-list look: it has a path's shape or a dotfile's name.
bool pathShaped(const std::string& w) {
  if (w.empty() || w.size() > 4096) return false;
  if (w.find("://") != std::string::npos && w.rfind("file://", 0) != 0) return false;
  return w.find('/') != std::string::npos || w[0] == '.' || w[0] == '~' || w.find('.') != std::string::npos ||
         w.rfind("id_", 0) == 0;
}

struct Walker {
  std::vector<PathArgument> out;
  std::size_t words = 0;

  void add(const std::string& where, const std::string& value, PathArgument::Kind kind) {
    if (auto p = asPath(value)) out.push_back({where, *p, kind});
  }

  void words_(const std::string& where, const std::string& text) {
    std::string word;
    auto flush = [&] {
      // Quotes, commas and shell punctuation around a word are not its name.
      while (!word.empty() && std::string("\"'`,;:()[]{}<>|&").find(word.back()) != std::string::npos) word.pop_back();
      std::size_t start = word.find_first_not_of("\"'`(<[{=");
      word = start == std::string::npos ? "" : word.substr(start);
      if (pathShaped(word) && words < kMaxWords) {
        ++words;
        add(where, word, looksAbsolute(word) ? PathArgument::Kind::Absolute : PathArgument::Kind::Word);
      }
      word.clear();
    };
    for (char c : text) {
      if (std::isspace(static_cast<unsigned char>(c)) || c == '=' || c == '>' || c == '<' || c == '|' || c == ';') flush();
      else word.push_back(c);
    }
    flush();
  }

  void walk(const nlohmann::json& v, const std::string& where, const std::string& key, bool underPathKey) {
    if (v.is_object()) {
      for (const auto& [k, child] : v.items()) walk(child, where + "/" + k, k, isPathKey(k));
    } else if (v.is_array()) {
      std::size_t i = 0;
      for (const auto& child : v) walk(child, where + "/" + std::to_string(i++), key, underPathKey);
    } else if (v.is_string()) {
      const std::string s = v.get<std::string>();
      if (s.empty()) return;
      if (underPathKey) add(where, s, PathArgument::Kind::Named);
      else if (looksAbsolute(s)) add(where, s, PathArgument::Kind::Absolute);
      else if (!isContentKey(key)) words_(where, s);
    }
  }
};

}  // namespace

std::vector<PathArgument> pathArguments(const nlohmann::json& arguments) {
  Walker w;
  w.walk(arguments, "", "", false);
  return std::move(w.out);
}

}  // namespace cadre::mcp
