// Binary (de)serialization of the index; see index_cache.hpp.
#include "server/analysis/index_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <atomic>
#include <fstream>
#include <thread>
#include <sstream>

namespace cadre::analysis {

const std::vector<std::pair<std::string_view, std::string_view>>& embeddedQueries();

namespace {

constexpr char kMagic[8] = {'C', 'A', 'D', 'R', 'E', 'I', 'X', '1'};
// Bump when the record layout or what the extractor produces changes (the
// query texts are fingerprinted on their own).
constexpr std::uint32_t kFormat = 5;

class Writer {
 public:
  // Hands full chunks to `sink` so saving never holds the whole file in memory.
  explicit Writer(std::ofstream* sink = nullptr) : sink_(sink) {}
  void flush() {
    if (sink_ && !out_.empty()) {
      sink_->write(out_.data(), static_cast<std::streamsize>(out_.size()));
      out_.clear();
    }
  }
  void maybeFlush() {
    if (out_.size() >= (1u << 20)) flush();
  }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) { raw(&v, 4); }
  void u64(std::uint64_t v) { raw(&v, 8); }
  void i64(std::int64_t v) { raw(&v, 8); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void span(const Span& s) {
    u32(s.startByte);
    u32(s.endByte);
    u32(s.start.row);
    u32(s.start.column);
    u32(s.end.row);
    u32(s.end.column);
  }
  std::string& data() { return out_; }

 private:
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::ofstream* sink_;
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  std::uint8_t u8() {
    std::uint8_t v = 0;
    raw(&v, 1);
    return v;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    raw(&v, 4);
    return v;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    raw(&v, 8);
    return v;
  }
  std::int64_t i64() {
    std::int64_t v = 0;
    raw(&v, 8);
    return v;
  }
  std::string str() {
    const std::uint32_t n = u32();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  Span span() {
    Span s;
    s.startByte = u32();
    s.endByte = u32();
    s.start.row = u32();
    s.start.column = u32();
    s.end.row = u32();
    s.end.column = u32();
    return s;
  }
  // A count that claims more records than bytes left is corruption.
  std::uint32_t count(std::size_t minRecordBytes) {
    const std::uint32_t n = u32();
    if (ok_ && static_cast<std::uint64_t>(n) * minRecordBytes > in_.size() - pos_) ok_ = false;
    return ok_ ? n : 0;
  }

 private:
  void raw(void* p, std::size_t n) {
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return;
    }
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void writeFile(Writer& w, const IndexedFile& f) {
  w.str(f.path);
  w.str(f.language);
  w.u64(f.size);
  w.i64(f.mtimeNs);
  w.u64(f.hash);
  w.str(f.skipReason);
  const FileSymbols& s = f.symbols;
  w.u32(s.syntaxErrors);
  w.u8(s.timedOut ? 1 : 0);
  w.u32(static_cast<std::uint32_t>(s.definitions.size()));
  for (const auto& d : s.definitions) {
    w.str(d.name);
    w.u8(static_cast<std::uint8_t>(d.kind));
    w.span(d.span);
    w.span(d.nameSpan);
    w.str(d.signature);
    w.u32(static_cast<std::uint32_t>(d.parent));
    w.u32(static_cast<std::uint32_t>(static_cast<std::uint16_t>(d.minArgs)) | (static_cast<std::uint32_t>(static_cast<std::uint16_t>(d.maxArgs)) << 16));
    w.u8(d.acceptsAnyKeyword ? 1 : 0);
    w.u32(static_cast<std::uint32_t>(d.localNames.size()));
    for (const auto& p : d.localNames) w.str(p);
  }
  w.u32(static_cast<std::uint32_t>(s.references.size()));
  for (const auto& r : s.references) {
    w.str(r.name);
    w.u8(static_cast<std::uint8_t>(r.kind));
    w.span(r.span);
    w.u32(static_cast<std::uint32_t>(static_cast<std::uint16_t>(r.args)) | (r.bare ? 0x10000u : 0u));
  }
  w.u32(static_cast<std::uint32_t>(s.imports.size()));
  for (const auto& i : s.imports) {
    w.str(i.module);
    w.span(i.span);
    w.span(i.moduleSpan);
    w.u8(static_cast<std::uint8_t>((i.wildcard ? 1 : 0) | (i.reexport ? 2 : 0) | (i.system ? 4 : 0) | (i.optional ? 8 : 0)));
    w.str(i.namespaceAlias);
    w.str(i.statement);
    w.u32(static_cast<std::uint32_t>(i.names.size()));
    for (const auto& n : i.names) {
      w.str(n.name);
      w.str(n.alias);
      w.span(n.span);
    }
  }
  w.u32(static_cast<std::uint32_t>(s.exports.size()));
  for (const auto& e : s.exports) w.str(e);
}

IndexedFile readFile(Reader& r) {
  IndexedFile f;
  f.path = r.str();
  f.language = r.str();
  f.size = r.u64();
  f.mtimeNs = r.i64();
  f.hash = r.u64();
  f.skipReason = r.str();
  FileSymbols& s = f.symbols;
  s.language = f.language;
  s.syntaxErrors = r.u32();
  s.timedOut = r.u8() != 0;
  const std::uint32_t defs = r.count(4 + 1 + 48 + 4 + 4 + 4 + 1 + 4);
  s.definitions.reserve(defs);
  for (std::uint32_t n = defs; n > 0 && r.ok(); --n) {
    Definition d;
    d.name = r.str();
    d.kind = static_cast<SymbolKind>(r.u8());
    d.span = r.span();
    d.nameSpan = r.span();
    d.signature = r.str();
    d.parent = static_cast<std::int32_t>(r.u32());
    const std::uint32_t arity = r.u32();
    d.minArgs = static_cast<std::int16_t>(static_cast<std::uint16_t>(arity & 0xFFFF));
    d.maxArgs = static_cast<std::int16_t>(static_cast<std::uint16_t>(arity >> 16));
    d.acceptsAnyKeyword = r.u8() != 0;
    for (std::uint32_t k = r.count(4); k > 0 && r.ok(); --k) d.localNames.push_back(r.str());
    s.definitions.push_back(std::move(d));
  }
  const std::uint32_t refs = r.count(4 + 1 + 24 + 4);
  s.references.reserve(refs);
  for (std::uint32_t n = refs; n > 0 && r.ok(); --n) {
    Reference ref;
    ref.name = r.str();
    ref.kind = static_cast<ReferenceKind>(r.u8());
    ref.span = r.span();
    const std::uint32_t call = r.u32();
    ref.args = static_cast<std::int16_t>(static_cast<std::uint16_t>(call & 0xFFFF));
    ref.bare = (call & 0x10000u) != 0;
    s.references.push_back(std::move(ref));
  }
  for (std::uint32_t n = r.count(4 + 48 + 1 + 4 + 4 + 4); n > 0 && r.ok(); --n) {
    Import i;
    i.module = r.str();
    i.span = r.span();
    i.moduleSpan = r.span();
    const std::uint8_t flags = r.u8();
    i.wildcard = flags & 1;
    i.reexport = flags & 2;
    i.system = flags & 4;
    i.optional = flags & 8;
    i.namespaceAlias = r.str();
    i.statement = r.str();
    for (std::uint32_t k = r.count(4 + 4 + 24); k > 0 && r.ok(); --k) {
      ImportedName name;
      name.name = r.str();
      name.alias = r.str();
      name.span = r.span();
      i.names.push_back(std::move(name));
    }
    s.imports.push_back(std::move(i));
  }
  for (std::uint32_t n = r.count(4); n > 0 && r.ok(); --n) s.exports.push_back(r.str());
  return f;
}

}  // namespace

std::uint64_t queriesFingerprint() {
  std::string all = std::to_string(kFormat);
  // The build that wrote the cache: an extractor change without a format bump
  // must not serve stale symbols. Size and mtime of the running executable are
  // cheap to read and change with every build.
  struct stat st {};
  if (::stat("/proc/self/exe", &st) == 0) all += std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  for (const auto& [name, text] : embeddedQueries()) {
    all += name;
    all += text;
  }
  return contentHash(all);
}

Expected<void> saveIndexCache(const std::filesystem::path& file, const std::vector<IndexedFile>& files) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  const std::filesystem::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    // Records first into memory per file only to learn their sizes: the
    // offset table lets the loader decode files on several threads.
    std::vector<std::uint64_t> offsets;
    offsets.reserve(files.size());
    std::uint64_t at = 0;
    {
      Writer sizing;
      for (const auto& f : files) {
        offsets.push_back(at);
        sizing.data().clear();
        writeFile(sizing, f);
        at += sizing.data().size();
      }
    }
    Writer w(&out);
    w.data().append(kMagic, sizeof kMagic);
    w.u64(queriesFingerprint());
    w.u32(static_cast<std::uint32_t>(files.size()));
    for (std::uint64_t o : offsets) w.u64(o);
    for (const auto& f : files) {
      writeFile(w, f);
      w.maybeFlush();
    }
    w.flush();
    if (!out.flush()) {
      std::filesystem::remove(tmp, ec);
      return makeError(ErrorCode::IoError, "cannot write the index cache " + tmp.string());
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) return makeError(ErrorCode::IoError, "cannot replace the index cache " + file.string() + ": " + ec.message());
  return {};
}

std::vector<IndexedFile> loadIndexCache(const std::filesystem::path& file) {
  std::vector<IndexedFile> out;
  // One read into a buffer of the file's size: a stream copy would hold the
  // (hundreds of MB for /usr/include) cache twice.
  std::string data;
  {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
      ::close(fd);
      return out;
    }
    data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < data.size()) {
      const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (got != data.size()) return out;
  }
  if (data.size() < sizeof kMagic + 12 || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) return out;
  Reader header(std::string_view(data).substr(sizeof kMagic));
  if (header.u64() != queriesFingerprint()) return out;
  const std::uint32_t files = header.count(8 + 40);
  std::vector<std::uint64_t> offsets(files);
  for (auto& o : offsets) o = header.u64();
  if (!header.ok()) return out;
  const std::size_t recordsStart = sizeof kMagic + 8 + 4 + 8 * static_cast<std::size_t>(files);
  const std::string_view records = std::string_view(data).substr(std::min(recordsStart, data.size()));
  for (std::size_t i = 0; i < files; ++i) {
    if (offsets[i] > records.size() || (i > 0 && offsets[i] < offsets[i - 1])) return out;
  }
  // Decoding is allocation-bound and records are independent: split them
  // over the cores.
  out.resize(files);
  std::atomic<bool> bad{false};
  const unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), static_cast<unsigned>(files / 64 + 1)));
  auto decode = [&](unsigned t) {
    for (std::size_t i = t; i < files && !bad; i += threads) {
      const std::size_t end = i + 1 < files ? offsets[i + 1] : records.size();
      Reader r(records.substr(offsets[i], end - offsets[i]));
      out[i] = readFile(r);
      if (!r.ok()) bad = true;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(decode, t);
  decode(0);
  for (auto& th : pool) th.join();
  if (bad) out.clear();
  return out;
}

}  // namespace cadre::analysis
