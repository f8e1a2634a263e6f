// The audit trail's writer, verifier and reader; the format and the guarantees
// are in audit.hpp, the user-facing description in docs/cli.md ("cadre audit").
#include "server/security/audit.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "support/files.hpp"

namespace cadre::security {
namespace {

namespace fs = std::filesystem;
using Digest = std::array<unsigned char, 32>;
using json = nlohmann::json;

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
// Reads are chunked so a large log never has to sit in memory whole.
constexpr std::size_t kReadChunk = 1 << 20;
// The tail is looked for in a window that doubles until it holds a whole line.
constexpr std::size_t kTailWindow = 64 * 1024;

Digest sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string toHex(const Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(64, '0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    s[2 * i] = kDigits[d[i] >> 4];
    s[2 * i + 1] = kDigits[d[i] & 15];
  }
  return s;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case is not what the writer produces, so it is not a valid prev
}

bool fromHex(std::string_view s, Digest& out) {
  if (s.size() != 64) return false;
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hexValue(s[2 * i]), lo = hexValue(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

struct DigestHasher {
  std::size_t operator()(const Digest& d) const {
    std::size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

Error ioError(const std::string& what, const fs::path& path, int err) {
  return makeError(ErrorCode::IoError, what + " " + path.string() + ": " + std::strerror(err));
}

std::string formatTimestamp(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  const int millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // sized for any int, though the values are small
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

// flock for the length of a scope. flock belongs to the open file description,
// so it orders processes (and separate AuditLog instances); threads sharing one
// instance are ordered by its mutex.
class FileLock {
 public:
  FileLock(int fd, int op) : fd_(fd) {
    while ((rc_ = ::flock(fd_, op)) != 0 && errno == EINTR) {
    }
    err_ = rc_ == 0 ? 0 : errno;
  }
  ~FileLock() {
    if (rc_ == 0) ::flock(fd_, LOCK_UN);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool ok() const { return rc_ == 0; }
  int error() const { return err_; }

 private:
  int fd_;
  int rc_ = -1;
  int err_ = 0;
};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool preadAll(int fd, char* buf, std::size_t n, off_t offset) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, buf, n, offset);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf += r;
    n -= static_cast<std::size_t>(r);
    offset += r;
  }
  return true;
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(w));
  }
  return true;
}

// Calls onLine(bytes, endsWithNewline) for each line from `offset` on; a last
// line without a newline is still a line (a torn write or a cut file).
template <class OnLine>
bool forEachLine(int fd, OnLine&& onLine) {
  std::string carry;
  std::string buf(kReadChunk, '\0');
  for (;;) {
    const ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) break;
    std::string_view chunk(buf.data(), static_cast<std::size_t>(r));
    while (!chunk.empty()) {
      const std::size_t nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        carry.append(chunk);
        break;
      }
      if (carry.empty()) {
        onLine(chunk.substr(0, nl), true);
      } else {
        carry.append(chunk.substr(0, nl));
        onLine(std::string_view(carry), true);
        carry.clear();
      }
      chunk.remove_prefix(nl + 1);
    }
  }
  if (!carry.empty()) onLine(std::string_view(carry), false);
  return true;
}

// The four header keys, checked the way verify and show need them.
struct Header {
  std::int64_t seq = -1;
  Digest prev{};
  std::string kind;
  std::string ts;
};

bool isTimestamp(const std::string& ts) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (ts.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (kShape[i] == 'd' ? (ts[i] < '0' || ts[i] > '9') : ts[i] != kShape[i]) return false;
  }
  return true;
}

// Fills `h` from a parsed line; returns why it is not an entry, or "".
// seq is filled as soon as it is known, so a malformed report can name it.
std::string checkHeader(const json& j, Header& h) {
  if (!j.is_object()) return "not a JSON object";
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_integer()) return "seq is missing or not an integer";
  if (seq->is_number_unsigned() ? seq->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX) || seq->get<std::uint64_t>() == 0
                                : seq->get<std::int64_t>() < 1) {
    return "seq is not a positive integer";
  }
  h.seq = seq->get<std::int64_t>();
  auto ts = j.find("ts");
  if (ts == j.end() || !ts->is_string() || !isTimestamp(ts->get<std::string>())) return "ts is missing or not a UTC time";
  h.ts = ts->get<std::string>();
  auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string() || kind->get<std::string>().empty()) return "kind is missing";
  h.kind = kind->get<std::string>();
  auto prev = j.find("prev");
  if (prev == j.end() || !prev->is_string() || !fromHex(prev->get<std::string>(), h.prev)) {
    return "prev is missing or not a SHA-256 in lowercase hex";
  }
  return "";
}

std::string parseLine(std::string_view line, Header& h, json* keep = nullptr) {
  if (line.empty()) return "empty line";
  try {
    json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return "not valid JSON";
    std::string why = checkHeader(j, h);
    if (why.empty() && keep) *keep = std::move(j);
    return why;
  } catch (const std::exception& e) {
    return std::string("not valid JSON (") + e.what() + ")";
  }
}

// ---- anchor ----------------------------------------------------------------

struct Anchor {
  std::int64_t seq = 0;
  Digest hash{};
};

enum class AnchorState { Missing, Valid, Invalid };

bool parseAnchor(std::string_view text, Anchor& out) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto seq = j.find("seq");
  auto hash = j.find("hash");
  if (seq == j.end() || !seq->is_number_integer() || seq->get<std::int64_t>() < 1) return false;
  if (hash == j.end() || !hash->is_string() || !fromHex(hash->get<std::string>(), out.hash)) return false;
  out.seq = seq->get<std::int64_t>();
  return true;
}

AnchorState readAnchor(const fs::path& file, Anchor& out, std::string& why) {
  std::string text;
  if (!readWholeFile(file, text)) {
    std::error_code ec;
    if (!fs::exists(file, ec) && !ec) return AnchorState::Missing;
    why = "cannot be read";
    return AnchorState::Invalid;
  }
  if (!parseAnchor(text, out)) {
    why = "is not {\"seq\": N, \"hash\": \"<sha256 hex>\"}";
    return AnchorState::Invalid;
  }
  return AnchorState::Valid;
}

// The anchor is one fixed-size record rewritten in place: a 128-byte pwrite
// within one sector is not seen half-done, and it avoids the flush ext4 does
// when a file is replaced by rename (measured: 7 µs vs 150 µs an append).
constexpr std::size_t kAnchorRecord = 128;

std::string anchorRecord(std::int64_t seq, const std::string& hashHex) {
  std::string text = "{\"seq\":" + std::to_string(seq) + ",\"hash\":\"" + hashHex + "\"}";
  text.resize(kAnchorRecord - 1, ' ');  // JSON allows the trailing blanks
  text += '\n';
  return text;
}

// ---- writer helpers ---------------------------------------------------------

void redactStrings(json& v, const AuditRedactor& redact) {
  if (v.is_string()) {
    v = redact(v.get_ref<const std::string&>());
  } else if (v.is_array() || v.is_object()) {
    for (auto& child : v) redactStrings(child, redact);
  }
}

}  // namespace

bool isAuditKind(std::string_view kind) {
  return std::find(kAuditKinds.begin(), kAuditKinds.end(), kind) != kAuditKinds.end();
}

std::string sha256Hex(std::string_view data) { return toHex(sha256(data)); }

// ---- AuditLog ----------------------------------------------------------------

struct AuditLog::State {
  fs::path file;
  fs::path anchorFile;
  AuditOptions options;
  mutable std::mutex mutex;
  Fd fd;
  dev_t dev = 0;
  ino_t ino = 0;
  // What this instance knows of the file's end. Valid while the size is
  // unchanged; another process's append changes it and forces a re-read.
  off_t knownSize = -1;
  Fd anchorFd;
  dev_t anchorDev = 0;
  ino_t anchorIno = 0;
  std::int64_t lastSeq = 0;
  std::string lastHash;
  bool endsWithNewline = true;

  Expected<void> openFd() {
    Fd f(::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (f.get() < 0) return ioError("cannot open", file, errno);
    struct stat st {};
    if (::fstat(f.get(), &st) != 0) return ioError("cannot stat", file, errno);
    dev = st.st_dev;
    ino = st.st_ino;
    fd = std::move(f);
    knownSize = -1;
    return {};
  }

  // Someone may have moved or deleted the log under us; appending to an
  // unlinked inode would lose entries, so follow the path.
  Expected<void> ensureCurrentFile() {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || st.st_dev != dev || st.st_ino != ino) return openFd();
    return {};
  }

  // The anchor too may be deleted (to accept a new log, docs/cli.md) while
  // this instance has it open.
  Expected<void> ensureAnchorFile() {
    struct stat st {};
    if (anchorFd.get() >= 0 && ::stat(anchorFile.c_str(), &st) == 0 && st.st_dev == anchorDev && st.st_ino == anchorIno) return {};
    std::error_code ec;
    if (anchorFile.has_parent_path()) fs::create_directories(anchorFile.parent_path(), ec);
    if (ec) return makeError(ErrorCode::IoError, "cannot create " + anchorFile.parent_path().string() + ": " + ec.message());
    Fd f(::open(anchorFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (f.get() < 0 || ::fstat(f.get(), &st) != 0) return ioError("cannot open", anchorFile, errno);
    anchorDev = st.st_dev;
    anchorIno = st.st_ino;
    anchorFd = std::move(f);
    return {};
  }

  // Advances the anchor to seq unless it is already there or beyond: an anchor
  // ahead of the log means the log lost entries, and that evidence is kept.
  // Not synced: the log line was synced first, so after a crash the anchor can
  // lag the log (which verify accepts) but never lead it.
  Expected<void> advanceAnchor(std::int64_t seq) {
    if (auto ok = ensureAnchorFile(); !ok) return ok;
    char buf[4096];
    ssize_t n;
    while ((n = ::pread(anchorFd.get(), buf, sizeof buf, 0)) < 0 && errno == EINTR) {
    }
    if (n < 0) return ioError("cannot read", anchorFile, errno);
    Anchor current;
    if (n > 0 && parseAnchor(std::string_view(buf, static_cast<std::size_t>(n)), current) && current.seq >= seq) return {};
    const std::string record = anchorRecord(seq, lastHash);
    ssize_t w;
    while ((w = ::pwrite(anchorFd.get(), record.data(), record.size(), 0)) < 0 && errno == EINTR) {
    }
    if (w != static_cast<ssize_t>(record.size())) return ioError("cannot write", anchorFile, w < 0 ? errno : EIO);
    if (n > static_cast<ssize_t>(record.size()) && ::ftruncate(anchorFd.get(), static_cast<off_t>(record.size())) != 0) {
      return ioError("cannot write", anchorFile, errno);
    }
    return {};
  }

  // Reads seq and hash of the last line. Called with the flock held.
  Expected<void> readTail(off_t size) {
    lastSeq = 0;
    lastHash = std::string(64, '0');
    endsWithNewline = true;
    if (size == 0) return {};
    std::size_t window = std::min<std::size_t>(static_cast<std::size_t>(size), kTailWindow);
    std::string buf;
    std::string last;
    for (;;) {
      buf.resize(window);
      const off_t offset = size - static_cast<off_t>(window);
      if (!preadAll(fd.get(), buf.data(), window, offset)) return ioError("cannot read", file, errno ? errno : EIO);
      endsWithNewline = buf.back() == '\n';
      const std::size_t end = endsWithNewline ? window - 1 : window;
      const std::size_t nl = end == 0 ? std::string::npos : buf.rfind('\n', end - 1);
      if (nl != std::string::npos || offset == 0 || end == 0) {
        const std::size_t begin = nl == std::string::npos ? 0 : nl + 1;
        last = buf.substr(begin, end - begin);
        break;
      }
      window = std::min<std::size_t>(static_cast<std::size_t>(size), window * 2);
    }
    lastHash = sha256Hex(last);
    Header h;
    if (parseLine(last, h).empty()) {
      lastSeq = h.seq;
      return {};
    }
    // A broken last line: number on from the last entry that parses. The chain
    // still links to the broken line's bytes, so verify sees one malformed line
    // and no further break.
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) return ioError("cannot read", file, errno);
    std::int64_t seq = 0;
    if (!forEachLine(fd.get(), [&](std::string_view line, bool) {
          Header lh;
          if (parseLine(line, lh).empty()) seq = lh.seq;
        })) {
      return ioError("cannot read", file, errno);
    }
    lastSeq = seq;
    return {};
  }
};

AuditLog::AuditLog(std::unique_ptr<State> state) : state_(std::move(state)) {}
AuditLog::AuditLog(AuditLog&&) noexcept = default;
AuditLog& AuditLog::operator=(AuditLog&&) noexcept = default;
AuditLog::~AuditLog() = default;

Expected<AuditLog> AuditLog::open(fs::path file, fs::path anchorFile, AuditOptions options) {
  auto state = std::make_unique<State>();
  state->file = std::move(file);
  state->anchorFile = std::move(anchorFile);
  state->options = std::move(options);
  std::error_code ec;
  if (state->file.has_parent_path()) fs::create_directories(state->file.parent_path(), ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot create " + state->file.parent_path().string() + ": " + ec.message());
  if (auto ok = state->openFd(); !ok) return std::move(ok).error();
  FileLock lock(state->fd.get(), LOCK_SH);
  if (!lock.ok()) return ioError("cannot lock", state->file, lock.error());
  struct stat st {};
  if (::fstat(state->fd.get(), &st) != 0) return ioError("cannot stat", state->file, errno);
  if (auto ok = state->readTail(st.st_size); !ok) return std::move(ok).error();
  state->knownSize = st.st_size;
  return AuditLog(std::move(state));
}

void AuditLog::setRedactor(AuditRedactor redactor) {
  std::lock_guard<std::mutex> guard(state_->mutex);
  state_->options.redactor = std::move(redactor);
}

const fs::path& AuditLog::file() const { return state_->file; }

std::int64_t AuditLog::lastSeq() const {
  std::lock_guard<std::mutex> guard(state_->mutex);
  return state_->lastSeq;
}

Expected<void> AuditLog::append(std::string_view kind, json fields) {
  if (!isAuditKind(kind)) return makeError(ErrorCode::InvalidParams, "unknown audit entry kind: " + std::string(kind));
  if (fields.is_null()) fields = json::object();
  if (!fields.is_object()) return makeError(ErrorCode::InvalidParams, "audit fields must be a JSON object");
  for (const char* reserved : {"seq", "ts", "kind", "prev"}) {
    if (fields.contains(reserved)) {
      return makeError(ErrorCode::InvalidParams, std::string("audit fields may not set \"") + reserved + "\"");
    }
  }
  State& s = *state_;
  std::lock_guard<std::mutex> guard(s.mutex);

  std::string body;
  try {
    if (s.options.redactor) redactStrings(fields, s.options.redactor);
    body = fields.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::exception& e) {
    return makeError(ErrorCode::InternalError, std::string("cannot serialize audit entry: ") + e.what());
  }

  if (auto ok = s.ensureCurrentFile(); !ok) return ok;
  FileLock lock(s.fd.get(), LOCK_EX);
  if (!lock.ok()) return ioError("cannot lock", s.file, lock.error());
  struct stat st {};
  if (::fstat(s.fd.get(), &st) != 0) return ioError("cannot stat", s.file, errno);
  if (st.st_size != s.knownSize) {
    if (auto ok = s.readTail(st.st_size); !ok) return ok;
  }

  const std::int64_t seq = s.lastSeq + 1;
  // Taken under the lock, so time order and seq order agree across processes.
  const std::string ts = formatTimestamp(std::chrono::system_clock::now());
  std::string line;
  line.reserve(body.size() + 160);
  line += "{\"seq\":";
  line += std::to_string(seq);
  line += ",\"ts\":\"";
  line += ts;
  line += "\",\"kind\":\"";
  line += kind;  // checked against kAuditKinds: nothing to escape
  line += "\",\"prev\":\"";
  line += s.lastHash;
  line += '"';
  if (body.size() > 2) {
    line += ',';
    line.append(body, 1, body.size() - 2);
  }
  line += '}';

  // A torn last line gets its newline here rather than having ours glued on.
  std::string out;
  out.reserve(line.size() + 2);
  if (!s.endsWithNewline) out += '\n';
  out += line;
  out += '\n';
  if (!writeAll(s.fd.get(), out)) {
    const int err = errno;
    s.knownSize = -1;  // a short write may have left part of the line
    return ioError("cannot append to", s.file, err);
  }
  if (s.options.sync && ::fdatasync(s.fd.get()) != 0) {
    const int err = errno;
    s.knownSize = -1;
    return ioError("cannot sync", s.file, err);
  }
  s.knownSize = st.st_size + static_cast<off_t>(out.size());
  s.lastSeq = seq;
  s.lastHash = sha256Hex(line);
  s.endsWithNewline = true;

  if (!s.anchorFile.empty()) {
    if (auto ok = s.advanceAnchor(seq); !ok) {
      return makeError(ErrorCode::IoError,
                       "audit entry seq " + std::to_string(seq) + " was written, but the anchor was not updated: " + ok.error().message);
    }
  }
  return {};
}

// ---- verify -------------------------------------------------------------------

namespace {

enum class Role { Chain, Inserted, Reordered, Malformed };

struct LineInfo {
  std::size_t number = 0;  // 1-based line number
  Digest hash{};
  bool good = false;
  std::int64_t seq = -1;
  Digest prev{};
  std::size_t pred = kNone;       // the line whose hash prev names
  std::size_t validPred = kNone;  // pred, when seq also follows on
  bool genesis = false;
  std::vector<std::size_t> succs;  // lines whose validPred is this one
  std::size_t depth = 0;           // longest valid chain from here on
  bool reachesAnchor = false;
  bool orphan = false;  // inserted because nothing links to or from it
  Role role = Role::Chain;
};

std::string seqAt(const LineInfo& l) {
  return "seq " + std::to_string(l.seq) + " (line " + std::to_string(l.number) + ")";
}

class Verifier {
 public:
  Verifier(std::vector<LineInfo> lines, std::optional<Anchor> anchor) : lines_(std::move(lines)), anchor_(anchor) {}

  std::vector<AuditProblem> run(std::vector<AuditProblem> problems) {
    problems_ = std::move(problems);
    findCopies();
    linkLines();
    measureChains();
    resolveForks();
    findOrphans();
    findReordered();
    walkChain();
    checkAnchor();
    return std::move(problems_);
  }

 private:
  void report(std::size_t line, std::int64_t seq, const char* kind, std::string message) {
    problems_.push_back(AuditProblem{line, seq, kind, std::move(message)});
    problemAt_[line] = problems_.size() - 1;
  }

  bool chain(std::size_t i) const { return lines_[i].good && lines_[i].role == Role::Chain; }

  // An exact copy of an earlier line (a replayed entry) is inserted; its
  // original keeps the hash index so links resolve to the first occurrence.
  void findCopies() {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      auto [it, fresh] = byHash_.emplace(lines_[i].hash, i);
      if (fresh || !lines_[i].good) continue;
      const LineInfo& orig = lines_[it->second];
      lines_[i].role = Role::Inserted;
      report(lines_[i].number, lines_[i].seq, "inserted",
             "line " + std::to_string(lines_[i].number) + " was inserted: it is a copy of line " + std::to_string(orig.number));
    }
  }

  void linkLines() {
    for (std::size_t j = 0; j < lines_.size(); ++j) {
      LineInfo& l = lines_[j];
      if (!chain(j)) continue;
      l.genesis = l.seq == 1 && l.prev == Digest{};
      auto it = byHash_.find(l.prev);
      if (it == byHash_.end()) continue;
      l.pred = it->second;
      if (chain(l.pred) && lines_[l.pred].seq + 1 == l.seq) {
        l.validPred = l.pred;
        lines_[l.pred].succs.push_back(j);
      }
    }
  }

  // seq grows by one along every valid link, so decreasing seq is a
  // topological order for the depth computation.
  void measureChains() {
    for (std::size_t j = 0; j < lines_.size(); ++j) {
      if (chain(j)) bySeq_.push_back(j);
    }
    std::stable_sort(bySeq_.begin(), bySeq_.end(), [&](std::size_t a, std::size_t b) { return lines_[a].seq < lines_[b].seq; });
    for (auto it = bySeq_.rbegin(); it != bySeq_.rend(); ++it) {
      LineInfo& l = lines_[*it];
      l.depth = 1;
      l.reachesAnchor = anchor_ && l.seq == anchor_->seq && l.hash == anchor_->hash;
      for (std::size_t s : l.succs) {
        l.depth = std::max(l.depth, lines_[s].depth + 1);
        l.reachesAnchor = l.reachesAnchor || lines_[s].reachesAnchor;
      }
    }
  }

  // Two lines claiming the same predecessor (or both starting the chain): the
  // one the chain goes on from is genuine, the other was forged with a
  // plausible prev. Preference: leads to the anchored entry, longer chain,
  // earlier in the file.
  void resolveForks() {
    std::vector<std::size_t> roots;
    for (std::size_t j : bySeq_) {
      if (lines_[j].genesis) roots.push_back(j);
    }
    resolveFork(kNone, roots);
    for (std::size_t p = 0; p < lines_.size(); ++p) {
      if (chain(p) && lines_[p].succs.size() > 1) resolveFork(p, lines_[p].succs);
    }
    // What continues from a forged line is forged too.
    for (std::size_t j : bySeq_) {
      LineInfo& l = lines_[j];
      if (l.role == Role::Chain && l.validPred != kNone && lines_[l.validPred].role == Role::Inserted) {
        l.role = Role::Inserted;
        report(l.number, l.seq, "inserted",
               "line " + std::to_string(l.number) + " (seq " + std::to_string(l.seq) + ") was inserted: it continues line " +
                   std::to_string(lines_[l.validPred].number) + ", which was inserted");
      }
    }
  }

  void resolveFork(std::size_t parent, std::vector<std::size_t> candidates) {
    if (candidates.size() < 2) return;
    std::sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
      const LineInfo &x = lines_[a], &y = lines_[b];
      if (x.reachesAnchor != y.reachesAnchor) return x.reachesAnchor;
      if (x.depth != y.depth) return x.depth > y.depth;
      return a < b;
    });
    const LineInfo& winner = lines_[candidates[0]];
    for (std::size_t k = 1; k < candidates.size(); ++k) {
      LineInfo& l = lines_[candidates[k]];
      l.role = Role::Inserted;
      const std::string claim = parent == kNone ? "it claims to start the chain"
                                                : "it claims to follow " + seqAt(lines_[parent]);
      report(l.number, l.seq, "inserted",
             "line " + std::to_string(l.number) + " (seq " + std::to_string(l.seq) + ") was inserted: " + claim +
                 ", but the chain goes on from line " + std::to_string(winner.number) + " (seq " + std::to_string(winner.seq) + ")");
    }
  }

  // A line nothing links to and that links to nothing is either the lone
  // survivor between two damaged spots or a forgery with a made-up prev. It is
  // a forgery when its seq is taken by a linked line or does not fit between
  // its neighbours.
  void findOrphans() {
    std::multimap<std::int64_t, std::size_t> linkedBySeq;
    for (std::size_t j : bySeq_) {
      const LineInfo& l = lines_[j];
      if (l.role == Role::Chain && (l.validPred != kNone || l.genesis || !l.succs.empty())) linkedBySeq.emplace(l.seq, j);
    }
    for (std::size_t j = 0; j < lines_.size(); ++j) {
      LineInfo& l = lines_[j];
      if (!chain(j) || l.validPred != kNone || l.genesis || !l.succs.empty()) continue;
      std::string why;
      auto [lo, hi] = linkedBySeq.equal_range(l.seq);
      for (auto it = lo; it != hi && why.empty(); ++it) {
        if (it->second != j) why = "seq " + std::to_string(l.seq) + " belongs to line " + std::to_string(lines_[it->second].number);
      }
      if (why.empty()) {
        std::int64_t before = 0, after = std::numeric_limits<std::int64_t>::max();
        for (std::size_t k = j; k-- > 0;) {
          if (chain(k)) {
            before = lines_[k].seq;
            break;
          }
        }
        for (std::size_t k = j + 1; k < lines_.size(); ++k) {
          if (chain(k)) {
            after = lines_[k].seq;
            break;
          }
        }
        if (l.seq <= before || l.seq >= after) why = "its seq does not fit between its neighbours";
      }
      if (why.empty()) continue;
      l.role = Role::Inserted;
      l.orphan = true;
      report(l.number, l.seq, "inserted",
             "line " + std::to_string(l.number) + " (seq " + std::to_string(l.seq) +
                 ") was inserted: its prev matches no entry, no entry links to it, and " + why);
    }
  }

  // Moved lines keep their seq and links; the longest run in increasing seq
  // order stays put and the rest are reported as out of order.
  void findReordered() {
    std::vector<std::size_t> order;
    for (std::size_t j = 0; j < lines_.size(); ++j) {
      if (chain(j)) order.push_back(j);
    }
    std::vector<std::size_t> tails;                   // indices into order
    std::vector<std::size_t> back(order.size(), kNone);  // predecessor in the LIS
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::int64_t seq = lines_[order[k]].seq;
      auto pos = std::lower_bound(tails.begin(), tails.end(), seq,
                                  [&](std::size_t t, std::int64_t v) { return lines_[order[t]].seq < v; });
      if (pos != tails.begin()) back[k] = *(pos - 1);
      if (pos == tails.end()) tails.push_back(k);
      else *pos = k;
    }
    std::vector<bool> keep(order.size(), false);
    for (std::size_t k = tails.empty() ? kNone : tails.back(); k != kNone; k = back[k]) keep[k] = true;
    std::map<std::int64_t, std::size_t> keptBySeq;
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (!keep[k]) continue;
      kept_.push_back(order[k]);
      keptBySeq.emplace(lines_[order[k]].seq, order[k]);
    }
    for (std::size_t k = 0; k < order.size(); ++k) {
      if (keep[k]) continue;
      LineInfo& l = lines_[order[k]];
      l.role = Role::Reordered;
      // Where it belongs: after the kept entry with the next lower seq.
      auto lo = keptBySeq.lower_bound(l.seq);
      auto hi = keptBySeq.upper_bound(l.seq);
      const std::size_t after = lo == keptBySeq.begin() ? kNone : std::prev(lo)->second;
      const std::size_t before = hi == keptBySeq.end() ? kNone : hi->second;
      std::string where = after != kNone ? "it belongs after " + seqAt(lines_[after])
                          : before != kNone ? "it belongs before " + seqAt(lines_[before])
                                            : "it belongs elsewhere";
      report(l.number, l.seq, "reordered", "entry " + seqAt(l) + " is out of order: " + where);
    }
  }

  // The kept lines, in file order with strictly increasing seq: gaps in seq are
  // removed entries, broken links are edited ones.
  void walkChain() {
    std::set<std::int64_t> present;
    for (std::size_t j = 0; j < lines_.size(); ++j) {
      if (lines_[j].good && (lines_[j].role == Role::Chain || lines_[j].role == Role::Reordered)) present.insert(lines_[j].seq);
    }
    std::vector<std::size_t> malformedBefore(lines_.size() + 1, 0);
    for (std::size_t j = 0; j < lines_.size(); ++j) malformedBefore[j + 1] = malformedBefore[j] + (lines_[j].role == Role::Malformed);

    std::size_t a = kNone;
    for (std::size_t b : kept_) {
      const LineInfo& lb = lines_[b];
      const std::size_t fromPos = a == kNone ? 0 : a + 1;
      const std::size_t unreadable = malformedBefore[b] - malformedBefore[fromPos];
      const std::int64_t loSeq = a == kNone ? 0 : lines_[a].seq;

      std::vector<std::pair<std::int64_t, std::int64_t>> gaps;  // inclusive ranges of missing seqs
      std::uint64_t missing = 0;
      std::int64_t next = loSeq + 1;
      for (auto it = present.upper_bound(loSeq); next < lb.seq; ++it) {
        const std::int64_t stop = (it == present.end() || *it > lb.seq) ? lb.seq : *it;
        if (stop > next) {
          gaps.emplace_back(next, stop - 1);
          missing += static_cast<std::uint64_t>(stop - next);
        }
        next = stop + 1;
        if (it == present.end()) break;
      }

      if (missing == 1 && unreadable == 0 && relabelEditedSeq(a, b, fromPos, gaps[0].first)) {
        // the one missing entry is the forged-looking line whose seq was edited
      } else if (missing > unreadable) {
        for (const auto& [first, last] : gaps) {
          std::string what = first == last ? "entry seq " + std::to_string(first) + " is missing"
                                           : "entries seq " + std::to_string(first) + " to " + std::to_string(last) + " are missing";
          std::string where = a == kNone ? "they stood before line " + std::to_string(lb.number) + " (seq " + std::to_string(lb.seq) + ")"
                                         : "they stood between " + seqAt(lines_[a]) + " and " + seqAt(lb);
          if (first == last) where.replace(0, 4, "it");
          if (unreadable) where += "; a malformed line in between may be one of them";
          report(lb.number, first, "removed", what + ": " + where);
        }
      }

      // With no entry missing, a malformed line in between is junk, not the
      // garbled predecessor, so the link must still hold.
      if (missing == 0) checkLink(a, b);
      a = b;
    }
  }

  // A line reported as inserted that still links to the entry before a
  // one-entry gap is that entry with its seq changed.
  bool relabelEditedSeq(std::size_t a, std::size_t b, std::size_t fromPos, std::int64_t missingSeq) {
    std::size_t found = kNone;
    for (std::size_t k = fromPos; k < b; ++k) {
      const LineInfo& l = lines_[k];
      if (!l.orphan) continue;
      const bool linksBack = a == kNone ? l.prev == Digest{} : l.pred == a;
      if (!linksBack || found != kNone) return false;
      found = k;
    }
    if (found == kNone) return false;
    const LineInfo& l = lines_[found];
    AuditProblem& p = problems_[problemAt_[l.number]];
    p.kind = "edited";
    p.seq = missingSeq;
    p.message = "entry seq " + std::to_string(missingSeq) + " (line " + std::to_string(l.number) +
                ") was changed after it was written: its seq now reads " + std::to_string(l.seq);
    return true;
  }

  void checkLink(std::size_t a, std::size_t b) {
    const LineInfo& lb = lines_[b];
    if (a == kNone ? lb.genesis : lb.validPred == a) return;
    // Pointing at a moved, forged or malformed line (a writer chains over a
    // torn tail) is explained by the problem reported for that line.
    if (lb.pred != kNone && lines_[lb.pred].role != Role::Chain) return;
    if (a == kNone) {
      report(lb.number, lb.seq, "edited",
             "entry " + seqAt(lb) + " was changed after it was written: its prev is not the 64 zeros that start a chain");
      return;
    }
    const LineInfo& la = lines_[a];
    if (lb.pred != kNone) {
      report(lb.number, lb.seq, "edited",
             "entry " + seqAt(lb) + " was changed after it was written: its prev names line " + std::to_string(lines_[lb.pred].number));
      return;
    }
    if (anchor_ && la.seq == anchor_->seq && la.hash == anchor_->hash) {
      report(lb.number, lb.seq, "edited",
             "entry " + seqAt(lb) + " was changed after it was written or forged: it does not link to " + seqAt(la) +
                 ", which the anchor confirms");
      return;
    }
    report(la.number, la.seq, "edited",
           "entry " + seqAt(la) + " was changed after it was written: entry " + seqAt(lb) + " records a different hash for it");
  }

  void checkAnchor() {
    if (!anchor_) return;
    std::int64_t last = 0;
    std::size_t atAnchor = kNone;
    for (std::size_t j = 0; j < lines_.size(); ++j) {
      const LineInfo& l = lines_[j];
      if (!l.good || (l.role != Role::Chain && l.role != Role::Reordered)) continue;
      last = std::max(last, l.seq);
      if (l.seq == anchor_->seq && atAnchor == kNone) atAnchor = j;
    }
    if (last < anchor_->seq) {
      std::string where = last == 0 ? "the log has no entries" : "the log ends at seq " + std::to_string(last);
      report(0, anchor_->seq, "truncated",
             where + " but the anchor says " + std::to_string(anchor_->seq) + ": entries after seq " + std::to_string(last) + " were cut off");
      return;
    }
    if (atAnchor == kNone || lines_[atAnchor].hash == anchor_->hash) return;
    const LineInfo& l = lines_[atAnchor];
    auto it = problemAt_.find(l.number);
    if (it != problemAt_.end() && problems_[it->second].kind == "edited") return;
    report(l.number, l.seq, "edited", "entry " + seqAt(l) + " was changed after it was written: its hash differs from the anchor's");
  }

  std::vector<LineInfo> lines_;
  std::optional<Anchor> anchor_;
  std::vector<AuditProblem> problems_;
  std::unordered_map<std::size_t, std::size_t> problemAt_;  // line number → last problem reported there
  std::unordered_map<Digest, std::size_t, DigestHasher> byHash_;
  std::vector<std::size_t> bySeq_;  // chain lines by seq
  std::vector<std::size_t> kept_;   // the in-order chain lines, file order
};

}  // namespace

Expected<AuditReport> verifyAuditLog(const fs::path& file, const fs::path& anchorFile) {
  std::optional<Anchor> anchor;
  std::vector<AuditProblem> early;
  auto loadAnchor = [&] {
    if (anchorFile.empty()) return;
    Anchor a;
    std::string why;
    switch (readAnchor(anchorFile, a, why)) {
      case AnchorState::Valid: anchor = a; break;
      case AnchorState::Invalid:
        early.push_back(AuditProblem{0, -1, "malformed", "the anchor file " + anchorFile.string() + " " + why});
        break;
      case AnchorState::Missing: break;
    }
  };

  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err != ENOENT) return ioError("cannot open", file, err);
    loadAnchor();
    if (!anchor) return makeError(ErrorCode::IoError, "no audit log at " + file.string());
    AuditReport report;
    report.problems.push_back(AuditProblem{0, anchor->seq, "truncated",
                                           "the log is missing but the anchor says " + std::to_string(anchor->seq) + ": all entries were cut off"});
    return report;
  }
  // Shared with other readers, exclusive of writers: the anchor read below
  // matches the lines read, with no append in between.
  FileLock lock(fd.get(), LOCK_SH);
  if (!lock.ok()) return ioError("cannot lock", file, lock.error());

  std::vector<LineInfo> lines;
  std::vector<AuditProblem> problems;
  if (!forEachLine(fd.get(), [&](std::string_view text, bool newline) {
        LineInfo l;
        l.number = lines.size() + 1;
        l.hash = sha256(text);
        Header h;
        std::string why = parseLine(text, h);
        l.seq = h.seq;
        if (why.empty()) {
          l.good = true;
          l.prev = h.prev;
        } else {
          l.role = Role::Malformed;
          if (!newline) why += "; the line has no newline at the end (a write was cut short or the file was cut)";
          problems.push_back(AuditProblem{l.number, h.seq, "malformed", "line " + std::to_string(l.number) + " is not a valid audit entry: " + why});
        }
        lines.push_back(std::move(l));
      })) {
    return ioError("cannot read", file, errno);
  }
  loadAnchor();
  problems.insert(problems.begin(), early.begin(), early.end());

  AuditReport report;
  report.entries = lines.size();
  report.problems = Verifier(std::move(lines), anchor).run(std::move(problems));
  std::stable_sort(report.problems.begin(), report.problems.end(), [](const AuditProblem& x, const AuditProblem& y) {
    const std::size_t a = x.line == 0 ? kNone : x.line, b = y.line == 0 ? kNone : y.line;
    return a < b;
  });
  return report;
}

// ---- read / filter --------------------------------------------------------------

namespace {

// An ISO prefix as written in entries, or a duration back from now, as the
// string to compare ts against.
Expected<std::string> timeBound(std::string s, const char* option) {
  auto bad = [&] {
    return makeError(ErrorCode::InvalidParams, std::string(option) + " wants an ISO-8601 UTC time such as 2026-11-21T22:50 or a duration such as 2h; got \"" + s + "\"");
  };
  if (s.size() >= 2 && std::strchr("smhd", s.back()) && s.find_first_not_of("0123456789") == s.size() - 1) {
    if (s.size() > 10) return bad();
    const long long n = std::stoll(s.substr(0, s.size() - 1));
    const long long unit = s.back() == 's' ? 1 : s.back() == 'm' ? 60 : s.back() == 'h' ? 3600 : 86400;
    // Past the epoch is the same as everything; clamping keeps the clock's range.
    const auto now = std::chrono::system_clock::now();
    const long long maxBack = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    return formatTimestamp(now - std::chrono::seconds(std::min(n * unit, maxBack)));
  }
  std::string p = s;
  if (p.size() > 10 && p[10] == ' ') p[10] = 'T';
  if (!p.empty() && (p.back() == 'Z' || p.back() == 'z')) p.pop_back();
  if (p.size() > 10 && p[10] == 't') p[10] = 'T';
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddd";
  if (p.size() < 4) return bad();
  if (p.size() > kShape.size()) {
    // More fractional digits than the log keeps: compare at milliseconds.
    if (p.size() < 20 || p.find_first_not_of("0123456789", kShape.size()) != std::string::npos) return bad();
    p.resize(kShape.size());
  }
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (kShape[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != kShape[i]) return bad();
  }
  if (p.back() == '-' || p.back() == 'T' || p.back() == ':' || p.back() == '.') return bad();
  return p;
}

std::string normalPath(const std::string& p) {
  std::string n = fs::path(p).lexically_normal().generic_string();
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  if (n.rfind("./", 0) == 0) n.erase(0, 2);
  return n;
}

bool pathMatches(const json& v, const std::string& want) {
  if (!v.is_string()) return false;
  const std::string have = normalPath(v.get<std::string>());
  if (want == "." || want.empty()) return true;
  return have == want || (have.size() > want.size() && have.compare(0, want.size(), want) == 0 && (want == "/" || have[want.size()] == '/'));
}

bool mentionsPath(const json& entry, const std::string& want) {
  if (auto it = entry.find("path"); it != entry.end() && pathMatches(*it, want)) return true;
  if (auto it = entry.find("paths"); it != entry.end() && it->is_array()) {
    for (const auto& p : *it) {
      if (pathMatches(p, want)) return true;
    }
  }
  if (auto it = entry.find("files"); it != entry.end() && it->is_array()) {
    for (const auto& f : *it) {
      if (pathMatches(f, want)) return true;
      if (f.is_object()) {
        if (auto p = f.find("path"); p != f.end() && pathMatches(*p, want)) return true;
      }
    }
  }
  return false;
}

}  // namespace

Expected<std::vector<json>> readAuditLog(const fs::path& file, const AuditFilter& filter) {
  std::optional<std::string> since, until, wantFile;
  if (filter.since) {
    auto b = timeBound(*filter.since, "--since");
    if (!b) return std::move(b).error();
    since = *b;
  }
  if (filter.until) {
    auto b = timeBound(*filter.until, "--until");
    if (!b) return std::move(b).error();
    until = *b;
  }
  for (const auto& k : filter.kinds) {
    if (!isAuditKind(k)) return makeError(ErrorCode::InvalidParams, "unknown audit entry kind: " + k);
  }
  if (filter.file) wantFile = normalPath(*filter.file);

  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return makeError(ErrorCode::IoError, "no audit log at " + file.string());
    return ioError("cannot open", file, errno);
  }
  FileLock lock(fd.get(), LOCK_SH);
  if (!lock.ok()) return ioError("cannot lock", file, lock.error());
  std::vector<json> out;
  if (!forEachLine(fd.get(), [&](std::string_view text, bool) {
        Header h;
        json entry;
        if (!parseLine(text, h, &entry).empty()) return;
        if (since && h.ts < *since) return;
        if (until && h.ts.compare(0, until->size(), *until) > 0) return;
        if (!filter.kinds.empty() && std::find(filter.kinds.begin(), filter.kinds.end(), h.kind) == filter.kinds.end()) return;
        if (wantFile && !mentionsPath(entry, *wantFile)) return;
        out.push_back(std::move(entry));
      })) {
    return ioError("cannot read", file, errno);
  }
  return out;
}

}  // namespace cadre::security
