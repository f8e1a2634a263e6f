// Parsing and tolerant application of model-written edits, and the unified
// diffs cadre shows for them. Lines keep their terminators internally so a
// file's CRLF or missing final newline survives an edit.
#include "server/workspace/edit_format.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace cadre::workspace {
namespace {

// A search this much like a window of the file is shown as "closest match".
constexpr double kShowClosestAbove = 0.3;
// Beyond this many differing lines a diff is shown as one replacement
// (Myers' trace memory grows with the square of the distance).
constexpr int kMaxDiffDistance = 4000;

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, nl - start + 1));
    start = nl + 1;
  }
  return out;
}

std::string_view chomp(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string_view rtrim(std::string_view s) {
  s = chomp(s);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = rtrim(s);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view indentOf(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return line.substr(0, i);
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// ---- parsing ---------------------------------------------------------------

bool isMarker(std::string_view line, char c, std::string_view word) {
  line = trim(line);
  std::size_t n = 0;
  while (n < line.size() && line[n] == c) ++n;
  if (n < 5) return false;
  return trim(line.substr(n)) == word;
}

std::string cleanPath(std::string_view s) {
  s = trim(s);
  // "```python path/x.py", "**path/x.py**", "`path/x.py`:", "# path/x.py"
  while (!s.empty() && (s.front() == '`' || s.front() == '*' || s.front() == '#' || s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '`' || s.back() == '*' || s.back() == ':' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

std::string stripDiffPrefix(std::string_view p) {
  p = trim(p);
  if (auto tab = p.find('\t'); tab != std::string_view::npos) p = p.substr(0, tab);  // "--- a/x\t2024-01-01 …"
  if (startsWith(p, "a/") || startsWith(p, "b/")) p.remove_prefix(2);
  return std::string(p);
}

int parseHunkStart(std::string_view header) {
  auto minus = header.find('-');
  if (minus == std::string_view::npos) return 0;
  int n = 0;
  for (std::size_t i = minus + 1; i < header.size() && std::isdigit(static_cast<unsigned char>(header[i])); ++i) {
    if (n > 100000000) return 0;  // no file has that many lines: a garbled header gives no hint (found by fuzz_edit)
    n = n * 10 + (header[i] - '0');
  }
  return n;
}

FileEdit* editFor(std::vector<FileEdit>& edits, const std::string& path) {
  for (auto& e : edits)
    if (e.kind == FileEdit::Kind::Patch && e.path == path) return &e;
  edits.push_back({FileEdit::Kind::Patch, path, {}, {}, {}});
  return &edits.back();
}

}  // namespace

Expected<std::vector<FileEdit>> parseEdits(std::string_view text) {
  std::vector<FileEdit> edits;
  auto lines = splitLines(text);
  std::string lastPath;
  int blockNo = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (isMarker(line, '<', "SEARCH")) {
      // The path is the nearest non-empty, non-fence line above.
      std::string path;
      for (std::size_t k = i; k-- > 0;) {
        std::string_view t = trim(lines[k]);
        if (t.empty()) continue;
        if (startsWith(t, "```") && trim(t.substr(3)).find_first_of(" /.") == std::string_view::npos) continue;
        if (isMarker(lines[k], '>', "REPLACE")) break;
        path = cleanPath(startsWith(t, "```") ? t.substr(3) : t);
        break;
      }
      if (path.empty()) path = lastPath;
      if (path.empty())
        return makeError(ErrorCode::InvalidParams, "a SEARCH/REPLACE block has no file path on the line before it");
      std::string search, replace;
      std::size_t k = i + 1;
      for (; k < lines.size() && !isMarker(lines[k], '=', ""); ++k) search += lines[k];
      // "=======" alone: isMarker with an empty word.
      if (k >= lines.size())
        return makeError(ErrorCode::InvalidParams, "SEARCH block for " + path + " has no ======= divider");
      for (++k; k < lines.size() && !isMarker(lines[k], '>', "REPLACE"); ++k) replace += lines[k];
      if (k >= lines.size())
        return makeError(ErrorCode::InvalidParams, "SEARCH block for " + path + " has no >>>>>>> REPLACE end");
      ++blockNo;
      Hunk h;
      h.search = std::move(search);
      h.replace = std::move(replace);
      h.header = "SEARCH/REPLACE block " + std::to_string(blockNo);
      editFor(edits, path)->hunks.push_back(std::move(h));
      lastPath = path;
      i = k;
      continue;
    }
    if (startsWith(line, "--- ") && i + 1 < lines.size() && startsWith(lines[i + 1], "+++ ")) {
      std::string from = stripDiffPrefix(chomp(line).substr(4));
      std::string to = stripDiffPrefix(chomp(lines[i + 1]).substr(4));
      i += 2;
      std::vector<Hunk> hunks;
      std::string added;  // for new files
      while (i < lines.size() && startsWith(lines[i], "@@")) {
        Hunk h;
        h.header = std::string(trim(lines[i]));
        h.lineHint = parseHunkStart(lines[i]);
        bool seenChange = false;
        ++i;
        for (; i < lines.size(); ++i) {
          std::string_view l = lines[i];
          if (startsWith(l, "@@") || (startsWith(l, "--- ") && i + 1 < lines.size() && startsWith(lines[i + 1], "+++ ")) ||
              startsWith(l, "diff --git ") || isMarker(l, '<', "SEARCH"))
            break;
          if (startsWith(l, "\\")) {  // "\ No newline at end of file" applies to the line before
            auto strip = [](std::string& s) {
              if (!s.empty() && s.back() == '\n') s.pop_back();
              if (!s.empty() && s.back() == '\r') s.pop_back();
            };
            if (i > 0 && startsWith(lines[i - 1], "+")) strip(h.replace);
            else if (i > 0 && startsWith(lines[i - 1], "-")) strip(h.search);
            else { strip(h.search); strip(h.replace); }
            continue;
          }
          if (startsWith(l, "```")) break;
          char c = l.empty() ? ' ' : l.front();
          std::string_view body = l.empty() ? l : l.substr(1);
          // Models often drop the space of an empty context line.
          if (chomp(l).empty()) {
            c = ' ';
            body = l;
          }
          if (c == '+') {
            h.replace += body;
            added += body;
            seenChange = true;
            h.contextAfter = 0;
          } else if (c == '-') {
            h.search += body;
            seenChange = true;
            h.contextAfter = 0;
          } else if (c == ' ') {
            h.search += body;
            h.replace += body;
            if (seenChange) ++h.contextAfter;
            else ++h.contextBefore;
          } else {
            break;  // prose after the diff
          }
        }
        hunks.push_back(std::move(h));
      }
      if (to == "/dev/null") {
        edits.push_back({FileEdit::Kind::Delete, from, {}, {}, {}});
      } else if (from == "/dev/null") {
        edits.push_back({FileEdit::Kind::Write, to, {}, {}, added});
      } else {
        if (from != to) edits.push_back({FileEdit::Kind::Rename, to, from, {}, {}});
        auto* e = editFor(edits, to);
        for (auto& h : hunks) e->hunks.push_back(std::move(h));
      }
      --i;
      continue;
    }
  }
  if (edits.empty())
    return makeError(ErrorCode::InvalidParams,
                     "no edits found: expected SEARCH/REPLACE blocks (path line, <<<<<<< SEARCH, =======, >>>>>>> "
                     "REPLACE) or a unified diff (--- a/path, +++ b/path, @@ hunks)");
  return edits;
}

// ---- application -----------------------------------------------------------

namespace {

struct Match {
  std::size_t line = 0;   // first matched line of the file
  std::size_t count = 0;  // lines matched
  std::string indentFrom, indentTo;  // re-indent: replace prefix `from` with `to`
};

enum class Level { TrailingSpace, Indentation };

bool linesEqual(std::string_view a, std::string_view b, Level level) {
  return level == Level::TrailingSpace ? rtrim(a) == rtrim(b) : trim(a) == trim(b);
}

std::vector<std::size_t> findAll(const std::vector<std::string_view>& file, const std::vector<std::string_view>& search,
                                 Level level) {
  std::vector<std::size_t> at;
  if (search.empty() || search.size() > file.size()) return at;
  for (std::size_t i = 0; i + search.size() <= file.size(); ++i) {
    bool ok = true;
    for (std::size_t k = 0; k < search.size() && ok; ++k) ok = linesEqual(file[i + k], search[k], level);
    if (ok) at.push_back(i);
  }
  return at;
}

std::optional<std::size_t> nearest(const std::vector<std::size_t>& at, int hint) {
  if (at.empty()) return std::nullopt;
  if (at.size() == 1) return at[0];
  if (hint <= 0) return std::nullopt;
  std::size_t best = at[0];
  for (auto a : at)
    if (std::labs(static_cast<long>(a) + 1 - hint) < std::labs(static_cast<long>(best) + 1 - hint)) best = a;
  return best;
}

std::string joinLines(const std::vector<std::string_view>& lines, std::size_t from, std::size_t to) {
  std::string s;
  for (std::size_t i = from; i < to && i < lines.size(); ++i) s += lines[i];
  return s;
}

// Re-indents replacement lines when the search matched at another
// indentation: the matched block's first indent replaces the search's.
std::string reindent(std::string_view replace, std::string_view from, std::string_view to) {
  if (from == to) return std::string(replace);
  std::string out;
  for (auto line : splitLines(replace)) {
    if (trim(line).empty()) {
      out += line;
    } else if (startsWith(line, from)) {
      out += std::string(to) + std::string(line.substr(from.size()));
    } else {
      out += std::string(to) + std::string(line.substr(indentOf(line).size()));
    }
  }
  return out;
}

std::string firstIndent(const std::vector<std::string_view>& lines) {
  for (auto l : lines)
    if (!trim(l).empty()) return std::string(indentOf(l));
  return {};
}

// What the file's lines look like: CRLF files get CRLF replacements.
std::string withEndings(std::string_view text, bool crlf) {
  if (!crlf) return std::string(text);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

struct Closest {
  std::size_t line = 0;
  double similarity = 0;
  std::string text;
};

Closest closestWindow(const std::vector<std::string_view>& file, const std::vector<std::string_view>& search) {
  Closest best;
  if (search.empty() || file.empty()) return best;
  const std::size_t n = std::min(search.size(), file.size());
  for (std::size_t i = 0; i + n <= file.size(); ++i) {
    std::size_t same = 0;
    for (std::size_t k = 0; k < n; ++k) same += trim(file[i + k]) == trim(search[k]);
    double sim = static_cast<double>(same) / static_cast<double>(search.size());
    if (sim > best.similarity) {
      best.similarity = sim;
      best.line = i;
      best.text = joinLines(file, i, i + n);
    }
  }
  return best;
}

Expected<std::string> applyOne(std::string_view path, std::string text, const Hunk& h, std::size_t index,
                               std::size_t total) {
  const bool crlf = text.find("\r\n") != std::string::npos;
  auto file = splitLines(text);
  const std::string where = std::string(path) + ", " + h.header + (total > 1 ? " (" + std::to_string(index + 1) + " of " + std::to_string(total) + ")" : "");

  if (h.search.empty()) {
    std::string insert = withEndings(h.replace, crlf);
    if (text.empty()) return insert;
    std::size_t at = h.lineHint > 0 ? std::min<std::size_t>(static_cast<std::size_t>(h.lineHint - 1), file.size()) : file.size();
    std::string before = joinLines(file, 0, at);
    if (!before.empty() && before.back() != '\n') before += crlf ? "\r\n" : "\n";
    return before + insert + joinLines(file, at, file.size());
  }

  auto search = splitLines(h.search);
  // Fuzz for diffs: drop context lines at the edges, one at a time.
  const int maxFuzz = std::min(2, std::max(h.contextBefore, h.contextAfter));
  for (int fuzz = 0; fuzz <= maxFuzz; ++fuzz) {
    const std::size_t dropBefore = static_cast<std::size_t>(std::min(fuzz, h.contextBefore));
    const std::size_t dropAfter = static_cast<std::size_t>(std::min(fuzz, h.contextAfter));
    if (dropBefore + dropAfter >= search.size()) break;
    std::vector<std::string_view> s(search.begin() + static_cast<long>(dropBefore), search.end() - static_cast<long>(dropAfter));
    auto replaceLines = splitLines(h.replace);
    if (dropBefore + dropAfter > replaceLines.size()) break;
    std::string replace = joinLines(replaceLines, dropBefore, replaceLines.size() - dropAfter);
    for (Level level : {Level::TrailingSpace, Level::Indentation}) {
      auto at = findAll(file, s, level);
      if (at.size() > 1 && h.lineHint <= 0) {
        std::string lines;
        for (std::size_t k = 0; k < at.size() && k < 5; ++k) lines += (k ? ", " : "") + std::to_string(at[k] + 1);
        return makeError(ErrorCode::InvalidParams,
                         "edit of " + where + " is ambiguous: the search text occurs " + std::to_string(at.size()) +
                             " times (lines " + lines + "); include more surrounding lines to pick one");
      }
      auto pick = nearest(at, h.lineHint);
      if (!pick) continue;
      std::string body = replace;
      if (level == Level::Indentation) {
        std::vector<std::string_view> matched(file.begin() + static_cast<long>(*pick),
                                              file.begin() + static_cast<long>(*pick + s.size()));
        body = reindent(replace, firstIndent(s), firstIndent(matched));
      }
      std::string tail = joinLines(file, *pick + s.size(), file.size());
      // The file's missing final newline stays missing.
      if (tail.empty() && !text.empty() && text.back() != '\n' && !body.empty() && body.back() == '\n') {
        body.pop_back();
        if (!body.empty() && body.back() == '\r') body.pop_back();
      }
      std::string out = joinLines(file, 0, *pick) + withEndings(body, crlf);
      // A replacement without a final newline must not glue onto the next line.
      if (!out.empty() && out.back() != '\n' && !tail.empty()) out += crlf ? "\r\n" : "\n";
      return out + tail;
    }
  }
  Closest c = closestWindow(file, search);
  std::string msg = "edit of " + where + " does not apply: the lines to replace were not found";
  if (c.similarity >= kShowClosestAbove) {
    msg += ". Closest match at line " + std::to_string(c.line + 1) + " (" +
           std::to_string(static_cast<int>(c.similarity * 100 + 0.5)) + "% of the lines equal):\n" + c.text;
  } else {
    msg += " (nothing similar in the file; is it the right file, or was it already changed?)";
  }
  return makeError(ErrorCode::InvalidParams, msg);
}

}  // namespace

Expected<std::string> applyHunks(std::string_view path, std::string_view text, const std::vector<Hunk>& hunks) {
  std::string current(text);
  for (std::size_t i = 0; i < hunks.size(); ++i) {
    auto next = applyOne(path, std::move(current), hunks[i], i, hunks.size());
    if (!next) return next.error();
    current = std::move(*next);
  }
  return current;
}

// ---- unified diff ------------------------------------------------------------

namespace {

enum class Op { Keep, Del, Add };

// Myers' O(ND) diff over lines, with a trace of V vectors for the backtrack.
std::vector<std::pair<Op, std::size_t>> diffLines(const std::vector<std::string_view>& a,
                                                  const std::vector<std::string_view>& b, bool& tooBig) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  const int max = n + m;
  const int offset = max + 1;
  std::vector<int> v(static_cast<std::size_t>(2 * max + 3), 0);
  std::vector<std::vector<int>> trace;
  int found = -1;
  for (int d = 0; d <= max; ++d) {
    if (d > kMaxDiffDistance) {
      tooBig = true;
      return {};
    }
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      int x;
      if (k == -d || (k != d && v[static_cast<std::size_t>(offset + k - 1)] < v[static_cast<std::size_t>(offset + k + 1)]))
        x = v[static_cast<std::size_t>(offset + k + 1)];
      else
        x = v[static_cast<std::size_t>(offset + k - 1)] + 1;
      int y = x - k;
      while (x < n && y < m && a[static_cast<std::size_t>(x)] == b[static_cast<std::size_t>(y)]) ++x, ++y;
      v[static_cast<std::size_t>(offset + k)] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  std::vector<std::pair<Op, std::size_t>> ops;  // reversed; index into a (Keep/Del) or b (Add)
  int x = n, y = m;
  for (int d = found; d > 0; --d) {
    const auto& pv = trace[static_cast<std::size_t>(d)];
    int k = x - y;
    int prevK = (k == -d || (k != d && pv[static_cast<std::size_t>(offset + k - 1)] < pv[static_cast<std::size_t>(offset + k + 1)])) ? k + 1 : k - 1;
    int prevX = pv[static_cast<std::size_t>(offset + prevK)];
    int prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push_back({Op::Keep, static_cast<std::size_t>(--x)}), --y;
    if (x == prevX) ops.push_back({Op::Add, static_cast<std::size_t>(--y)});
    else ops.push_back({Op::Del, static_cast<std::size_t>(--x)});
  }
  while (x > 0 && y > 0) ops.push_back({Op::Keep, static_cast<std::size_t>(--x)}), --y;
  std::reverse(ops.begin(), ops.end());
  return ops;
}

std::string diffLine(char sign, std::string_view line) {
  std::string s(1, sign);
  s += line;
  if (s.back() != '\n') s += "\n\\ No newline at end of file\n";
  return s;
}

}  // namespace

std::string unifiedDiff(std::string_view path, std::string_view oldText, std::string_view newText, bool oldExists,
                        bool newExists) {
  if (oldExists == newExists && oldText == newText) return {};
  auto a = splitLines(oldText), b = splitLines(newText);
  std::string out = std::string("--- ") + (oldExists ? "a/" + std::string(path) : "/dev/null") + "\n" + "+++ " +
                    (newExists ? "b/" + std::string(path) : "/dev/null") + "\n";
  bool tooBig = false;
  auto ops = diffLines(a, b, tooBig);
  if (tooBig) {
    ops.clear();
    for (std::size_t i = 0; i < a.size(); ++i) ops.push_back({Op::Del, i});
    for (std::size_t i = 0; i < b.size(); ++i) ops.push_back({Op::Add, i});
  }
  // Group into hunks with 3 lines of context.
  const std::size_t ctx = 3;
  std::size_t i = 0;
  while (i < ops.size()) {
    while (i < ops.size() && ops[i].first == Op::Keep) ++i;
    if (i >= ops.size()) break;
    std::size_t start = i >= ctx ? i - ctx : 0;
    std::size_t end = i;
    std::size_t keepRun = 0;
    for (std::size_t j = i; j < ops.size(); ++j) {
      if (ops[j].first == Op::Keep) {
        if (++keepRun > 2 * ctx) break;
      } else {
        keepRun = 0;
        end = j;
      }
    }
    std::size_t stop = std::min(ops.size(), end + 1 + ctx);
    // Line numbers at `start`.
    std::size_t aLine = 0, bLine = 0;
    for (std::size_t j = 0; j < start; ++j) {
      if (ops[j].first != Op::Add) ++aLine;
      if (ops[j].first != Op::Del) ++bLine;
    }
    std::size_t aCount = 0, bCount = 0;
    std::string body;
    for (std::size_t j = start; j < stop; ++j) {
      auto [op, idx] = ops[j];
      if (op == Op::Keep) body += diffLine(' ', a[idx]), ++aCount, ++bCount;
      else if (op == Op::Del) body += diffLine('-', a[idx]), ++aCount;
      else body += diffLine('+', b[idx]), ++bCount;
    }
    out += "@@ -" + std::to_string(aCount ? aLine + 1 : aLine) + "," + std::to_string(aCount) + " +" +
           std::to_string(bCount ? bLine + 1 : bLine) + "," + std::to_string(bCount) + " @@\n" + body;
    i = stop;
  }
  return out;
}

std::vector<TextReplacement> lineReplacements(std::string_view oldText, std::string_view newText) {
  std::vector<TextReplacement> out;
  if (oldText == newText) return out;
  auto a = splitLines(oldText), b = splitLines(newText);
  bool tooBig = false;
  auto ops = diffLines(a, b, tooBig);
  if (tooBig) return {{0, oldText.size(), std::string(newText)}};
  // Lines are views into the texts, so a line's offset is where it points.
  auto offsetOf = [&](std::size_t line) {
    return line < a.size() ? static_cast<std::size_t>(a[line].data() - oldText.data()) : oldText.size();
  };
  std::size_t line = 0;  // next line of `a`
  for (std::size_t i = 0; i < ops.size();) {
    if (ops[i].first == Op::Keep) {
      ++line, ++i;
      continue;
    }
    TextReplacement r;
    r.start = offsetOf(line);
    for (; i < ops.size() && ops[i].first != Op::Keep; ++i) {
      if (ops[i].first == Op::Del) ++line;
      else r.text += b[ops[i].second];
    }
    r.end = offsetOf(line);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace cadre::workspace
