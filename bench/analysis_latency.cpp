// Analysis latency as an editor feels it, each figure beside a reference
// measured in the same run on the same input:
//  1. keystroke -> updated symbols on a ~10k-line file (IncrementalDocument),
//     beside a full parse + extraction of the same text, which is what a
//     server without incremental reparsing does on every keystroke;
//  2. `cadre map` with a warm and a cold cache, beside `cadre index` (the
//     load that map includes);
//  3. documentSymbol and workspace/symbol over stdio, beside cadre/ping on the
//     same connection (the protocol floor).
// It reports: targets are printed beside the figures and never fail the run.
// Usage: bench_analysis_latency CADRE [--quick] [--only keystrokes|map|lsp]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "bench/process.hpp"
#include "bench/support.hpp"
#include "support/files.hpp"
#include "protocol/framing.hpp"
#include "server/analysis/check.hpp"
#include "server/analysis/discovery.hpp"
#include "server/analysis/language.hpp"
#include "server/analysis/parser.hpp"
#include "server/analysis/project_index.hpp"
#include "server/analysis/resolve.hpp"

using namespace cadre;
namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

using cadre::bench::TempDir;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bench_analysis_latency: %s\n", message.c_str());
  std::exit(1);
}

double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

const char* verdict(bool ok) { return ok ? "ok" : "MISSED"; }

// Nearest-rank percentiles of a sample.
struct Percentiles {
  double p50 = 0, p95 = 0, p99 = 0, max = 0;
};
Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
  };
  return {at(0.50), at(0.95), at(0.99), v.back()};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}



// ---------------------------------------------------------------------------
// 1. Keystroke -> updated symbols

struct KeystrokeInput {
  fs::path root;                   // the project the files belong to (for the check)
  std::vector<std::string> files;  // relative to root, concatenated in this order
};

// Where a keystroke lands: the middle of an identifier, so every edit renames
// something (a definition, a call, a type) the way typing does.
struct Site {
  std::uint32_t byte;
  analysis::Point point;
};

// Identifier leaves on one line, two bytes or longer, in source order.
std::vector<Site> identifierSites(const TSTree* tree) {
  std::vector<Site> out;
  TSTreeCursor c = ts_tree_cursor_new(ts_tree_root_node(tree));
  for (;;) {
    TSNode n = ts_tree_cursor_current_node(&c);
    if (ts_node_child_count(n) == 0 && ts_node_is_named(n)) {
      const std::string_view type = ts_node_type(n);
      const std::uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
      const TSPoint p = ts_node_start_point(n);
      if (type.ends_with("identifier") && b - a >= 2 && p.row == ts_node_end_point(n).row) {
        const std::uint32_t mid = (b - a) / 2;
        out.push_back({a + mid, {p.row, p.column + mid}});
      }
    }
    if (ts_tree_cursor_goto_first_child(&c)) continue;
    bool moved = false;
    while (!(moved = ts_tree_cursor_goto_next_sibling(&c))) {
      if (!ts_tree_cursor_goto_parent(&c)) break;
    }
    if (!moved) break;
  }
  ts_tree_cursor_delete(&c);
  return out;
}

// The symbols as an order-free, comparable value: the incremental update and
// a full extraction must agree on what the file defines and uses.
auto canonical(const analysis::FileSymbols& s) {
  using analysis::Span;
  auto key = [](const Span& x) { return std::make_tuple(x.startByte, x.endByte, x.start.row, x.start.column, x.end.row, x.end.column); };
  std::vector<std::tuple<decltype(key(Span{})), decltype(key(Span{})), std::string, int, std::string, std::uint32_t>> defs;
  for (const auto& d : s.definitions) {
    const std::uint32_t parentAt = d.parent >= 0 ? s.definitions[static_cast<std::size_t>(d.parent)].span.startByte : ~0u;
    defs.emplace_back(key(d.span), key(d.nameSpan), d.name, static_cast<int>(d.kind), d.signature, parentAt);
  }
  std::vector<std::tuple<decltype(key(Span{})), std::string, int, int>> refs;
  for (const auto& r : s.references) refs.emplace_back(key(r.span), r.name, static_cast<int>(r.kind), r.args);
  std::vector<std::tuple<decltype(key(Span{})), std::string, std::size_t>> imports;
  for (const auto& i : s.imports) imports.emplace_back(key(i.span), i.module, i.names.size());
  std::sort(defs.begin(), defs.end());
  std::sort(refs.begin(), refs.end());
  std::sort(imports.begin(), imports.end());
  return std::make_tuple(defs, refs, imports, s.exports, s.syntaxErrors);
}

struct KeystrokeResult {
  std::string label;
  std::size_t lines = 0, bytes = 0, definitions = 0, references = 0, syntaxErrors = 0, keystrokes = 0, mismatches = 0;
  std::size_t firstMismatch = 0;
  std::size_t windowed = 0;  // keystrokes whose update parsed a window, not the whole file
  double openMs = 0;
  Percentiles reparse, incremental, full, check;
  Percentiles interleaved;  // the update right after a full parse (caches cold)
  Percentiles keystroke;    // update + check: keystroke -> symbols and diagnostics
  bool checked = false;
  std::size_t diagnostics = 0;
};

KeystrokeResult keystrokes(const KeystrokeInput& input, std::size_t n, bool withCheck) {
  KeystrokeResult r;
  std::string text, part;
  for (const auto& f : input.files) {
    if (!readWholeFile(input.root / f, part)) fail("cannot read " + (input.root / f).string());
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += part;
    r.label += (r.label.empty() ? "" : "+") + f;
  }
  const analysis::Language* lang = analysis::languageForPath(input.files.front());
  if (!lang) fail("no language for " + input.files.front());
  r.lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  r.bytes = text.size();

  // The check runs as the server runs it on an open document: the file's
  // fresh symbols against the project index (built here, unmeasured).
  std::optional<analysis::ProjectIndex> index;
  std::optional<analysis::Resolver> resolver;
  if (withCheck) {
    auto built = analysis::ProjectIndex::build(input.root);
    if (!built) fail("cannot index " + input.root.string() + ": " + built.error().message);
    index.emplace(std::move(*built));
    resolver.emplace(*index);
    r.checked = true;
  }

  analysis::Parser incrementalParser, fullParser, floorParser;
  auto t0 = Clock::now();
  analysis::IncrementalDocument doc(*lang, text, incrementalParser);
  r.openMs = msSince(t0);
  if (!doc.tree(incrementalParser)) fail("the parse of " + r.label + " timed out");
  r.definitions = doc.symbols().definitions.size();
  r.references = doc.symbols().references.size();
  r.syntaxErrors = doc.symbols().syntaxErrors;
  // The floor: tree-sitter's own incremental reparse of the same edit, with
  // no extraction, the least any incremental server does per keystroke.
  analysis::TreePtr floorTree = floorParser.parse(*lang, text);

  std::vector<Site> ids = identifierSites(doc.tree(incrementalParser));
  const std::size_t sites = std::max<std::size_t>(1, n / 2);
  if (ids.size() < sites) fail("too few identifiers in " + r.label);
  std::vector<Site> chosen;
  for (std::size_t k = 0; k < sites; ++k) chosen.push_back(ids[k * ids.size() / sites + ids.size() / sites / 2]);
  // Spread through the file, visited in no particular order (an editor jumps).
  std::shuffle(chosen.begin(), chosen.end(), std::mt19937(42));

  // Type a letter, then delete it: the text is the original again after
  // each pair, so every site's offsets stay valid.
  std::vector<analysis::TreeEdit> keys;
  for (const Site& s : chosen) {
    for (const bool insert : {true, false}) {
      analysis::TreeEdit e;
      e.startByte = s.byte;
      e.start = s.point;
      const analysis::Point after{s.point.row, s.point.column + 1};
      if (insert) e.oldEndByte = s.byte, e.newEndByte = s.byte + 1, e.oldEnd = s.point, e.newEnd = after;
      else e.oldEndByte = s.byte + 1, e.newEndByte = s.byte, e.oldEnd = after, e.newEnd = s.point;
      keys.push_back(e);
    }
  }
  auto nextText = [](const std::string& text, const analysis::TreeEdit& e) {
    std::string next = text;
    if (e.newEndByte > e.startByte) next.insert(e.startByte, 1, 'q');
    else next.erase(e.startByte, 1);
    return next;
  };

  // Pass 1, timed: what the server does per keystroke while someone types —
  // the incremental update and the check — with tree-sitter's own reparse of
  // the same edit beside it. Nothing else runs in between.
  std::vector<double> reparse, incremental, full, check, interleaved, keystroke;
  std::vector<analysis::TreeEdit> edits(1);
  for (const analysis::TreeEdit& e : keys) {
    edits[0] = e;
    std::string next = nextText(doc.text(), e);
    const auto r0 = Clock::now();
    analysis::editTree(floorTree.get(), e);
    floorTree = floorParser.parse(*lang, next, floorTree.get());
    reparse.push_back(msSince(r0));
    const auto i0 = Clock::now();
    doc.update(std::move(next), edits, incrementalParser);
    incremental.push_back(msSince(i0));
    if (doc.lastUpdate() == analysis::IncrementalDocument::Update::Window) ++r.windowed;
    double total = incremental.back();
    if (index) {
      const auto c0 = Clock::now();
      r.diagnostics = analysis::checkFile(*index, *resolver, input.files.front(), doc.symbols(), &doc.text()).size();
      check.push_back(msSince(c0));
      total += check.back();
    }
    keystroke.push_back(total);
  }
  // Pass 2, the same keystrokes on a second document: after every one its
  // symbols must equal a full parse + extraction of the same text (timed as
  // the reference). That full parse runs right before the update, so this
  // pass also shows the update with caches cleared by 35-60 ms of other work.
  analysis::Parser verifyParser;
  analysis::IncrementalDocument verify(*lang, text, verifyParser);
  for (const analysis::TreeEdit& e : keys) {
    edits[0] = e;
    std::string next = nextText(verify.text(), e);
    const auto f0 = Clock::now();
    analysis::TreePtr tree = fullParser.parse(*lang, next);
    const analysis::FileSymbols reference = tree ? analysis::extractSymbols(*lang, tree.get(), next) : analysis::FileSymbols{};
    full.push_back(msSince(f0));
    tree.reset();
    const auto i0 = Clock::now();
    verify.update(std::move(next), edits, verifyParser);
    interleaved.push_back(msSince(i0));
    ++r.keystrokes;
    if (canonical(verify.symbols()) != canonical(reference) && r.mismatches++ == 0) r.firstMismatch = r.keystrokes;
  }
  r.reparse = percentiles(reparse);
  r.incremental = percentiles(incremental);
  r.full = percentiles(full);
  r.check = percentiles(check);
  r.interleaved = percentiles(interleaved);
  r.keystroke = percentiles(keystroke);
  return r;
}

void printKeystrokes(const std::vector<KeystrokeResult>& results) {
  std::printf("keystroke -> updated symbols: single-character edits in the middle of identifiers spread through the file\n");
  std::printf("(type a letter, then delete it): IncrementalDocument::update beside a full parse + extractSymbols of the same text\n");
  std::printf("(the reference) and tree-sitter's incremental reparse of the whole file alone (what any server that reparses\n");
  std::printf("the whole document pays; updates that parse only a window of items around the edit go under it).\n");
  std::printf("Timed while typing (update, check and floor only); a second pass replays the keystrokes against a full\n");
  std::printf("extraction each, and times its update right after that full parse (caches cold)\n");
  for (const auto& r : results) {
    std::printf("  %s (%s): %zu lines, %.0f KB, %zu definitions, %zu references, %zu syntax errors; open %.1f ms; %zu keystrokes\n",
                r.label.c_str(), r.label.substr(r.label.rfind('.') + 1).c_str(), r.lines, static_cast<double>(r.bytes) / 1e3, r.definitions,
                r.references, r.syntaxErrors, r.openMs, r.keystrokes);
    std::printf("    %-30s %9s %9s %9s\n", "", "p50 ms", "p99 ms", "max ms");
    std::printf("    %-30s %9.3f %9.3f %9.3f\n", "incremental update", r.incremental.p50, r.incremental.p99, r.incremental.max);
    std::printf("    %-30s %9.3f %9.3f %9.3f\n", "tree-sitter reparse only", r.reparse.p50, r.reparse.p99, r.reparse.max);
    std::printf("    %-30s %9.3f %9.3f %9.3f\n", "full parse + extract (ref)", r.full.p50, r.full.p99, r.full.max);
    std::printf("    %-30s %9.3f %9.3f %9.3f\n", "update after a full parse", r.interleaved.p50, r.interleaved.p99, r.interleaved.max);
    if (r.checked) {
      std::printf("    %-30s %9.3f %9.3f %9.3f   (%zu diagnostics)\n", "consistency check (checkFile)", r.check.p50, r.check.p99,
                  r.check.max, r.diagnostics);
    }
    std::printf("    incremental/full: p50 %.3fx, p99 %.3fx; incremental/reparse-only: p50 %.2fx; %zu of %zu updates parsed a window\n",
                r.incremental.p50 / r.full.p50, r.incremental.p99 / r.full.p99, r.incremental.p50 / r.reparse.p50, r.windowed,
                r.keystrokes);
    std::printf("    %-30s %9.3f %9.3f %9.3f\n", "keystroke: update + check", r.keystroke.p50, r.keystroke.p99, r.keystroke.max);
    std::printf("    targets (keystroke): p50 <= 1 ms: %s; p99 <= 10 ms: %s\n", verdict(r.keystroke.p50 <= 1.0), verdict(r.keystroke.p99 <= 10.0));
    if (r.mismatches) {
      std::printf("    NOTE: incremental symbols differed from the full extraction after %zu of %zu keystrokes (first: #%zu)\n",
                  r.mismatches, r.keystrokes, r.firstMismatch);
    } else {
      std::printf("    incremental symbols equal the full extraction's after all %zu keystrokes\n", r.keystrokes);
    }
  }
  std::printf("\n");
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// 2. Repo map

struct ChildRun {
  double wall = 0;
  long maxRssKiB = 0;
  std::string out;
};

ChildRun runChild(const std::vector<std::string>& argv, const fs::path& state) {
  bench::SpawnOptions options;
  options.measure = true;
  options.env = {"XDG_STATE_HOME=" + state.string()};
  bench::Child child(argv, options);
  child.closeStdin();
  ChildRun run;
  run.out = child.readAll();
  bench::Usage usage;
  const int code = child.wait(&usage);
  if (code != 0) fail(argv[0] + " " + argv[1] + " exited with " + std::to_string(code));
  run.wall = usage.wallSeconds;
  run.maxRssKiB = usage.rusage.ru_maxrss;
  return run;
}

struct IndexRun {
  ChildRun run;
  std::size_t files = 0, parsed = 0;
};

IndexRun cadreIndex(const std::string& cadre, const fs::path& dir, const fs::path& state) {
  IndexRun r{runChild({cadre, "index", dir.string(), "--json"}, state)};
  try {
    const json j = json::parse(r.run.out);
    r.parsed = j.value("parsed", std::size_t{0});
    if (j.contains("languages")) {
      for (const auto& [lang, counts] : j["languages"].items()) r.files += counts.value("files", std::size_t{0});
    }
  } catch (const std::exception& e) {
    fail("cadre index printed no JSON: " + std::string(e.what()));
  }
  return r;
}

ChildRun cadreMap(const std::string& cadre, const fs::path& dir, const fs::path& state) {
  ChildRun r = runChild({cadre, "map", dir.string(), "--tokens", "1024"}, state);
  if (r.out.empty()) std::fprintf(stderr, "bench: warning: cadre map %s printed nothing\n", dir.c_str());
  return r;
}

void repoMap(const std::string& cadre, const std::vector<std::pair<fs::path, double>>& dirs, const fs::path& coldDir, int rounds,
             int coldRounds) {
  std::printf("repo map: `cadre map DIR --tokens 1024` beside `cadre index DIR` (the cache load map includes), child processes\n");
  std::printf("warm: own XDG_STATE_HOME, indexed once first, then %d interleaved rounds, medians\n", rounds);
  std::printf("  %-28s %7s %10s %10s %12s %11s  %s\n", "", "files", "index s", "map s", "map-index s", "map RSS", "target (map warm)");
  std::vector<double> coldIndex;
  std::size_t files = 0;  // in coldDir
  for (const auto& [dir, target] : dirs) {
    TempDir state;
    // The first index in a fresh state directory is a cold one: with a single
    // cold round (quick mode) it stands in for the cold reference.
    const IndexRun first = cadreIndex(cadre, dir, state.path);
    if (dir == coldDir && coldRounds == 1) {
      coldIndex.push_back(first.run.wall);
      files = first.files;
    }
    std::vector<double> index, map, rss;
    std::size_t reparsed = 0;
    for (int i = 0; i < rounds; ++i) {
      const IndexRun warm = cadreIndex(cadre, dir, state.path);
      reparsed += warm.parsed;
      index.push_back(warm.run.wall);
      const ChildRun m = cadreMap(cadre, dir, state.path);
      map.push_back(m.wall);
      rss.push_back(static_cast<double>(m.maxRssKiB));
    }
    const double mi = median(index), mm = median(map);
    std::printf("  %-28s %7zu %10.3f %10.3f %12.3f %7.1f MiB  <= %g s: %s\n", dir.c_str(), first.files, mi, mm, mm - mi,
                median(rss) / 1024.0, target, verdict(mm <= target));
    if (reparsed) std::printf("  NOTE: warm index runs parsed %zu files (was cadre rebuilt meanwhile?)\n", reparsed);
    std::fflush(stdout);
  }
  // Cold: a fresh state directory per run, so map builds (and saves) the
  // index first, as the first `cadre map` in a project does.
  std::vector<double> map;
  for (int i = 0; i < coldRounds; ++i) {
    TempDir a, b;
    if (coldIndex.size() < static_cast<std::size_t>(coldRounds)) {
      const IndexRun cold = cadreIndex(cadre, coldDir, a.path);
      files = cold.files;
      coldIndex.push_back(cold.run.wall);
    }
    map.push_back(cadreMap(cadre, coldDir, b.path).wall);
  }
  const double mi = median(coldIndex), mm = median(map);
  const double rate = static_cast<double>(files) / mm;
  std::printf("cold: fresh XDG_STATE_HOME per run, %s (%zu files), median of %d\n", coldDir.c_str(), files, coldRounds);
  std::printf("  %-28s %8.3f s %8.0f files/s\n", "cadre index (cold, ref)", mi, static_cast<double>(files) / mi);
  std::printf("  %-28s %8.3f s %8.0f files/s  (target >= 400 files/s: %s); map-index %.3f s\n\n", "cadre map (cold)", mm, rate,
              verdict(rate >= 400), mm - mi);
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// 3. LSP requests over stdio

// file:// URI with everything outside RFC 3986's unreserved set and '/' escaped.
std::string fileUri(const fs::path& p) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = "file://";
  for (unsigned char c : p.string()) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A minimal LSP client: answers the server's requests (window/workDoneProgress/create)
// with null, and notes the end of work-done progress.
class LspClient {
 public:
  LspClient(const std::vector<std::string>& argv, const bench::SpawnOptions& options) : child_(argv, options) {}

  void send(const json& message) { child_.write(protocol::frame(message.dump())); }
  void notify(const std::string& method, json params) { send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}}); }

  // Sends a request and waits for its response; `ms` is the time until the
  // response's last byte arrived (the client's JSON parse is not included).
  json call(const std::string& method, json params, double* ms = nullptr) {
    const int id = nextId_++;
    const auto t0 = Clock::now();
    send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
    for (;;) {
      std::string body = readBody();
      const double elapsed = msSince(t0);
      json m = json::parse(body);
      if (handleServerMessage(m)) continue;
      if (m.value("id", json()) != json(id)) continue;
      if (m.contains("error")) fail(method + " failed: " + m["error"].dump());
      if (ms) *ms = elapsed;
      return m.value("result", json());
    }
  }

  // Reads until work-done progress has ended.
  void waitForProgressEnd() {
    while (!progressEnded_) {
      json m = json::parse(readBody());
      handleServerMessage(m);
    }
  }

  int finish() {
    call("shutdown", nullptr);
    notify("exit", nullptr);
    child_.closeStdin();
    return child_.wait();
  }

 private:
  std::string readBody() {
    while (!reader_.hasEvent()) {
      std::string chunk = child_.readSome();
      if (chunk.empty()) fail("cadre serve closed its output");
      reader_.feed(chunk);
    }
    protocol::FrameEvent e = reader_.next();
    if (e.kind != protocol::FrameEvent::Kind::Message) fail("bad frame from cadre serve: " + e.error);
    return std::move(e.body);
  }

  // True for the server's own requests and notifications.
  bool handleServerMessage(const json& m) {
    if (!m.contains("method")) return false;
    if (m.contains("id")) send({{"jsonrpc", "2.0"}, {"id", m["id"]}, {"result", nullptr}});
    if (m["method"] == "$/progress" && m.contains("params") && m["params"].value("value", json::object()).value("kind", "") == "end") {
      progressEnded_ = true;
    }
    return true;
  }

  bench::Child child_;
  protocol::FrameReader reader_;
  int nextId_ = 1;
  bool progressEnded_ = false;
};

void collectNames(const json& symbols, std::vector<std::string>& out) {
  if (!symbols.is_array()) return;
  for (const auto& s : symbols) {
    if (s.contains("name") && s["name"].is_string()) out.push_back(s["name"]);
    if (s.contains("children")) collectNames(s["children"], out);
  }
}

std::size_t countSymbols(const json& symbols) {
  std::size_t n = 0;
  if (!symbols.is_array()) return 0;
  for (const auto& s : symbols) n += 1 + (s.contains("children") ? countSymbols(s["children"]) : 0);
  return n;
}

void lspRequests(const std::string& cadre, const fs::path& root, std::size_t n) {
  // The files documentSymbol asks for: a spread of sizes, smallest to largest.
  analysis::Discovery found = analysis::discoverFiles(root);
  std::erase_if(found.files, [](const analysis::DiscoveredFile& f) { return f.language != "python" || f.size == 0; });
  if (found.files.empty()) fail("no Python files under " + root.string());
  std::sort(found.files.begin(), found.files.end(), [](const auto& a, const auto& b) { return a.size < b.size; });
  std::vector<const analysis::DiscoveredFile*> files;
  for (std::size_t i = 0; i < n; ++i) files.push_back(&found.files[i * (found.files.size() - 1) / std::max<std::size_t>(1, n - 1)]);
  std::shuffle(files.begin(), files.end(), std::mt19937(7));

  TempDir state;
  bench::SpawnOptions options;
  options.env = {"XDG_STATE_HOME=" + state.path.string()};
  LspClient client({cadre, "serve", "--stdio", "--log-level", "warn"}, options);
  const json capabilities = {{"window", {{"workDoneProgress", true}}}};
  client.call("initialize", {{"processId", ::getpid()}, {"rootUri", fileUri(root)}, {"capabilities", capabilities}});
  const auto t0 = Clock::now();
  client.notify("initialized", json::object());
  client.waitForProgressEnd();
  const double indexSeconds = msSince(t0) / 1e3;

  // Warm-up (unmeasured): loads every query once, and gives the real names
  // whose prefixes workspace/symbol is asked for.
  std::vector<std::string> names;
  const std::size_t warmup = std::min<std::size_t>(files.size(), std::max<std::size_t>(10, n / 5));
  for (std::size_t i = 0; i < warmup; ++i) {
    collectNames(client.call("textDocument/documentSymbol", {{"textDocument", {{"uri", fileUri(root / files[i]->path)}}}}), names);
    client.call("cadre/ping", nullptr);
  }
  std::erase_if(names, [](const std::string& s) { return s.size() < 3; });
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty()) fail("documentSymbol returned no names");
  std::vector<std::string> queries;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& name = names[(i * 7919) % names.size()];
    queries.push_back(name.substr(0, std::min(name.size(), 3 + i % 4)));
  }

  // Interleaved, so that drift hits the three alike.
  std::vector<double> ping, docSymbol, wsSymbol;
  std::size_t docSymbols = 0, wsResults = 0, wsEmpty = 0;
  std::uint64_t docBytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double ms = 0;
    client.call("cadre/ping", nullptr, &ms);
    ping.push_back(ms);
    docSymbols +=
        countSymbols(client.call("textDocument/documentSymbol", {{"textDocument", {{"uri", fileUri(root / files[i]->path)}}}}, &ms));
    docSymbol.push_back(ms);
    docBytes += files[i]->size;
    const json found = client.call("workspace/symbol", {{"query", queries[i]}}, &ms);
    wsSymbol.push_back(ms);
    wsResults += found.size();
    wsEmpty += found.empty();
  }
  const int code = client.finish();

  const Percentiles pp = percentiles(ping), pd = percentiles(docSymbol), pw = percentiles(wsSymbol);
  std::printf("LSP over stdio: cadre serve --stdio, root %s (indexed cold in %.2f s, waited for $/progress end)\n", root.c_str(),
              indexSeconds);
  std::printf(
      "%zu of each request, interleaved, one at a time; documentSymbol on files of %llu B to %llu B (mean %.0f KB, %.0f symbols),\n", n,
      static_cast<unsigned long long>(found.files.front().size), static_cast<unsigned long long>(found.files.back().size),
      static_cast<double>(docBytes) / static_cast<double>(n) / 1e3, static_cast<double>(docSymbols) / static_cast<double>(n));
  std::printf("workspace/symbol on 3-6 letter prefixes of real names (mean %.0f results, %zu empty)\n",
              static_cast<double>(wsResults) / static_cast<double>(n), wsEmpty);
  std::printf("  %-30s %9s %9s %9s  %s\n", "", "p50 ms", "p95 ms", "max ms", "target");
  std::printf("  %-30s %9.3f %9.3f %9.3f\n", "cadre/ping (protocol floor)", pp.p50, pp.p95, pp.max);
  std::printf("  %-30s %9.3f %9.3f %9.3f  p95 <= 50 ms: %s\n", "textDocument/documentSymbol", pd.p50, pd.p95, pd.max,
              verdict(pd.p95 <= 50));
  std::printf("  %-30s %9.3f %9.3f %9.3f  p95 <= 50 ms: %s\n", "workspace/symbol", pw.p50, pw.p95, pw.max, verdict(pw.p95 <= 50));
  std::printf("  p95 over the floor: documentSymbol %.1fx, workspace/symbol %.1fx\n", pd.p95 / pp.p95, pw.p95 / pp.p95);
  if (code != 0) std::printf("  NOTE: cadre serve exited with %d after shutdown/exit\n", code);
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (auto helped = bench::runMeasureHelper(argc, argv)) return *helped;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CADRE [--quick] [--only keystrokes|map|lsp]\n", argv[0]);
    return 2;
  }
  const std::string cadre = argv[1];
  bool quick = false;
  std::string only;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--only" && i + 1 < argc &&
               (std::string(argv[i + 1]) == "keystrokes" || std::string(argv[i + 1]) == "map" || std::string(argv[i + 1]) == "lsp")) {
      only = argv[++i];
    } else {
      fail("unknown argument " + a);
    }
  }
  auto runs = [&](const char* section) { return only.empty() || only == section; };
  const fs::path python = "/usr/lib/python3.11", include = "/usr/include";
  const fs::path treeSitter = CADRE_SOURCE_DIR "/grammars/node_modules/tree-sitter/vendor/tree-sitter/lib/src";
  const fs::path typesNode = CADRE_BENCH_CORPORA "/node_modules/@types/node";
  std::vector<fs::path> used = {python};
  if (!quick && runs("keystrokes")) used.insert(used.end(), {treeSitter, typesNode});
  if (!quick && runs("map")) used.push_back(include);
  for (const auto& d : used) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) fail(d.string() + " is not a directory (bench/corpora and grammars are installed by scripts/bootstrap)");
  }

  std::printf("analysis latency%s\n\n", quick ? " (quick)" : "");
  if (runs("keystrokes")) {
    std::vector<KeystrokeInput> inputs = {{python, {"typing.py", "argparse.py", "inspect.py"}}};
    if (!quick) {
      inputs.push_back({treeSitter, {"parser.c", "query.c", "subtree.c", "node.c", "stack.c"}});
      inputs.push_back({typesNode, {"fs.d.ts", "crypto.d.ts", "events.d.ts"}});
    }
    std::vector<KeystrokeResult> results;
    for (const auto& in : inputs) results.push_back(keystrokes(in, quick ? 50 : 400, /*withCheck=*/!quick));
    printKeystrokes(results);
  }

  if (runs("map")) {
    std::vector<std::pair<fs::path, double>> mapDirs = {{python, 0.1}};
    if (!quick) mapDirs.push_back({include, 1.0});
    repoMap(cadre, mapDirs, python, quick ? 3 : 5, quick ? 1 : 3);
  }
  if (runs("lsp")) lspRequests(cadre, python, quick ? 30 : 200);
  return 0;
}
