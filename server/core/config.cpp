// Config layering and validation; the schema is the reader calls below, so a
// key is known exactly when some code reads it.
#include "server/core/config.hpp"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "server/core/jsonc.hpp"

namespace cadre::core {
namespace {

using json = nlohmann::json;

// Reads the keys of one object; whatever it was not asked for is "unknown".
class SectionReader {
 public:
  SectionReader(const json& obj, std::string prefix, const std::string& source, LoadedConfig& out)
      : obj_(obj), prefix_(std::move(prefix)), source_(source), out_(out) {}

  ~SectionReader() {
    for (const auto& [key, value] : obj_.items()) {
      if (!seen_.count(key)) warn(key, "unknown setting (ignored)");
    }
  }

  void string(const char* key, std::string& target, const std::set<std::string>& allowed = {}) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_string()) return error(key, "expected a string, got " + describe(*v));
    if (!allowed.empty() && !allowed.count(v->get<std::string>())) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return error(key, "expected one of " + list + ", got " + describe(*v));
    }
    target = v->get<std::string>();
  }

  template <class Int>
  void integer(const char* key, Int& target, std::int64_t min, std::int64_t max) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_number_integer()) return error(key, "expected an integer, got " + describe(*v));
    const auto n = v->get<std::int64_t>();
    if (n < min || n > max) {
      return error(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " + std::to_string(n));
    }
    target = static_cast<Int>(n);
  }

  // Calls `read` with a reader for the nested object `key`.
  template <class F>
  void section(const char* key, F&& read) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_object()) return error(key, "expected an object, got " + describe(*v));
    SectionReader nested(*v, path(key), source_, out_);
    read(nested);
  }

 private:
  const json* find(const char* key) {
    seen_.insert(key);
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  static std::string describe(const json& v) {
    std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return std::string(v.type_name()) + " " + text;
  }
  void warn(const std::string& key, std::string message) {
    out_.diagnostics.push_back({ConfigDiagnostic::Severity::Warning, source_, path(key), std::move(message)});
  }
  void error(const std::string& key, std::string message) {
    out_.diagnostics.push_back({ConfigDiagnostic::Severity::Error, source_, path(key), std::move(message)});
  }

  const json& obj_;
  std::string prefix_;
  const std::string& source_;
  LoadedConfig& out_;
  std::set<std::string> seen_;
};

void readConfig(SectionReader& root, Config& c) {
  root.section("log", [&](SectionReader& r) {
    r.string("level", c.log.level, {"trace", "debug", "info", "warn", "error", "off"});
    r.string("file", c.log.file);
  });
  root.section("server", [&](SectionReader& r) {
    r.integer("maxMessageBytes", c.server.maxMessageBytes, 1024, std::int64_t{1} << 32);
    r.integer("maxOutstandingCalls", c.server.maxOutstandingCalls, 1, 100000);
    r.integer("callTimeoutSeconds", c.server.callTimeoutSeconds, 1, 86400);
    r.string("tokenEnv", c.server.tokenEnv);
  });
}

void loadFile(const std::filesystem::path& file, LoadedConfig& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return;  // absent: nothing to layer
  std::stringstream buf;
  buf << in.rdbuf();
  out.sources.push_back(file.string());
  auto parsed = parseJsonc(buf.str());
  if (!parsed) {
    out.diagnostics.push_back({ConfigDiagnostic::Severity::Error, file.string(), "", parsed.error().message});
    return;
  }
  applyConfigJson(*parsed, file.string(), out);
}

}  // namespace

std::string ConfigDiagnostic::format() const {
  std::string s = source + ": ";
  if (!key.empty()) s += key + ": ";
  return s + message;
}

bool LoadedConfig::hasErrors() const {
  for (const auto& d : diagnostics) {
    if (d.severity == ConfigDiagnostic::Severity::Error) return true;
  }
  return false;
}

std::filesystem::path userConfigPath() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "cadre" / "config.json";
  if (const char* home = std::getenv("HOME"); home && *home) return std::filesystem::path(home) / ".config" / "cadre" / "config.json";
  return {};
}

void applyConfigJson(const json& j, const std::string& source, LoadedConfig& out) {
  if (!j.is_object()) {
    out.diagnostics.push_back({ConfigDiagnostic::Severity::Error, source, "", std::string("expected a JSON object, got ") + j.type_name()});
    return;
  }
  SectionReader root(j, "", source, out);
  readConfig(root, out.config);
}

LoadedConfig loadConfig(const std::vector<std::filesystem::path>& projectRoots, const std::filesystem::path& userFile) {
  LoadedConfig out;
  if (!userFile.empty()) loadFile(userFile, out);
  for (const auto& root : projectRoots) loadFile(root / ".cadre" / "config.json", out);
  return out;
}

}  // namespace cadre::core
