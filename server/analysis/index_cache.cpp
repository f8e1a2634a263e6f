// Binary (de)serialization of the index; see index_cache.hpp.
#include "server/analysis/index_cache.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstring>
#include <fstream>
#include <thread>
#include <unordered_map>

#include "support/parallel_for.hpp"

namespace cadre::analysis {

const std::vector<std::pair<std::string_view, std::string_view>>& embeddedQueries();

namespace {

constexpr char kMagic[8] = {'C', 'A', 'D', 'R', 'E', 'I', 'X', '3'};
// Bump when the record layout or what the extractor produces changes (the
// query texts are fingerprinted on their own).
constexpr std::uint32_t kFormat = 7;

// Layout: magic, fingerprint, the file records one after another, then the
// records' offsets, their count and where the offsets start. The table comes
// last so a save writes each record once, as it encodes it.
//
// A record is the file's identity and symbol counts, its encoded symbols and
// a checksum. The symbols are compact: integers as LEB128 varints, spans as
// deltas from the previous span of the same list (definitions, references
// and imports are in source order, so most deltas take a byte), and the
// file's names (of definitions, references and locals) in a table the
// records index. On /usr/include the file is 2.1x smaller than with
// fixed-width fields (354 -> 170 MB).

class Writer {
 public:
  // Hands full chunks to `sink` so saving never holds the whole file in memory.
  // Without a sink, everything stays in data().
  explicit Writer(std::ofstream* sink = nullptr) : sink_(sink) {}
  void flush() {
    if (sink_ && !out_.empty()) {
      sink_->write(out_.data(), static_cast<std::streamsize>(out_.size()));
      written_ += out_.size();
      out_.clear();
    }
  }
  void maybeFlush() {
    if (out_.size() >= (1u << 20)) flush();
  }
  std::uint64_t position() const { return written_ + out_.size(); }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) { raw(&v, 4); }
  void u64(std::uint64_t v) { raw(&v, 8); }
  void var(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void signedVar(std::int64_t v) { var((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void str(std::string_view s) {
    var(s.size());
    out_.append(s);
  }
  void bytes(std::string_view s) { out_.append(s); }
  std::string& data() { return out_; }

 private:
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::ofstream* sink_;
  std::string out_;
  std::uint64_t written_ = 0;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  void fail() { ok_ = false; }
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
  std::uint64_t var() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!ok_ || pos_ >= in_.size()) break;
      const auto byte = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return v;
    }
    ok_ = false;
    return 0;
  }
  std::uint32_t var32() {
    const std::uint64_t v = var();
    if (v > UINT32_MAX) ok_ = false;
    return ok_ ? static_cast<std::uint32_t>(v) : 0;
  }
  std::int64_t signedVar() {
    const std::uint64_t v = var();
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
  }
  std::string_view view() {
    const std::uint64_t n = var();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    const std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string str() { return std::string(view()); }
  // A count that claims more records than bytes left is corruption.
  std::uint32_t count(std::size_t minRecordBytes) {
    const std::uint32_t n = var32();
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

// Spans of one list as deltas from the previous one: start byte and row
// relative to the previous start, the end relative to this start.
class SpanWriter {
 public:
  void put(Writer& w, const Span& s) {
    w.signedVar(static_cast<std::int64_t>(s.startByte) - byte_);
    w.signedVar(static_cast<std::int64_t>(s.endByte) - s.startByte);
    w.signedVar(static_cast<std::int64_t>(s.start.row) - row_);
    w.var(s.start.column);
    w.signedVar(static_cast<std::int64_t>(s.end.row) - s.start.row);
    w.var(s.end.column);
    byte_ = s.startByte;
    row_ = s.start.row;
  }

 private:
  std::int64_t byte_ = 0, row_ = 0;
};

class SpanReader {
 public:
  Span get(Reader& r) {
    Span s;
    const std::int64_t start = byte_ + delta(r);
    const std::int64_t end = start + delta(r);
    const std::int64_t row = row_ + delta(r);
    s.start.column = r.var32();
    const std::int64_t endRow = row + delta(r);
    s.end.column = r.var32();
    auto fits = [](std::int64_t v) { return v >= 0 && v <= static_cast<std::int64_t>(UINT32_MAX); };
    if (!fits(start) || !fits(end) || !fits(row) || !fits(endRow)) {
      r.fail();
      return s;
    }
    s.startByte = static_cast<std::uint32_t>(start);
    s.endByte = static_cast<std::uint32_t>(end);
    s.start.row = static_cast<std::uint32_t>(row);
    s.end.row = static_cast<std::uint32_t>(endRow);
    byte_ = start;
    row_ = row;
    return s;
  }

 private:
  // Deltas beyond 32 bits are corruption (and would overflow the sums).
  static std::int64_t delta(Reader& r) {
    const std::int64_t d = r.signedVar();
    if (d > static_cast<std::int64_t>(UINT32_MAX) || d < -static_cast<std::int64_t>(UINT32_MAX)) r.fail();
    return r.ok() ? d : 0;
  }
  std::int64_t byte_ = 0, row_ = 0;
};

// One file's names, each written once.
class NameTable {
 public:
  // Ids are handed out in the order writeSymbols asks for them, and kept in
  // that order (nameIds()) so each name is looked up once.
  explicit NameTable(const FileSymbols& s) {
    std::size_t total = s.references.size();
    for (const auto& d : s.definitions) total += 1 + d.localNames.size();
    ids_.reserve(total);
    order_.reserve(total);
    for (const auto& d : s.definitions) {
      add(d.name);
      for (const auto& l : d.localNames) add(l);
    }
    for (const auto& r : s.references) add(r.name);
  }
  void write(Writer& w) const {
    w.var(names_.size());
    for (std::string_view n : names_) w.str(n);
  }
  // The id of each definition's name and local names, then each
  // reference's name, in that order.
  const std::vector<std::uint32_t>& nameIds() const { return order_; }

 private:
  void add(std::string_view name) {
    auto [at, fresh] = ids_.try_emplace(name, static_cast<std::uint32_t>(names_.size()));
    if (fresh) names_.push_back(name);
    order_.push_back(at->second);
  }
  std::vector<std::string_view> names_;
  std::unordered_map<std::string_view, std::uint32_t> ids_;
  std::vector<std::uint32_t> order_;
};

// The part of a record decoded on first use. Two readers follow this layout:
// readSymbols (everything) and readSymbolNames (what the repo map ranks
// with); a change here changes both (index_cache_test compares them).
void writeSymbols(Writer& w, const FileSymbols& s) {
  w.var(s.syntaxErrors);
  w.u8(s.timedOut ? 1 : 0);
  const NameTable names(s);
  names.write(w);
  const std::uint32_t* nameId = names.nameIds().data();
  w.var(s.definitions.size());
  SpanWriter defSpans;
  for (const auto& d : s.definitions) {
    w.var(*nameId++);
    w.u8(static_cast<std::uint8_t>(d.kind) | (d.acceptsAnyKeyword ? 0x80 : 0));
    defSpans.put(w, d.span);
    defSpans.put(w, d.nameSpan);
    w.str(d.signature);
    w.var(static_cast<std::uint32_t>(d.parent + 1));
    w.signedVar(d.minArgs);
    w.signedVar(d.maxArgs);
    w.var(d.localNames.size());
    for (std::size_t l = 0; l < d.localNames.size(); ++l) w.var(*nameId++);
  }
  w.var(s.references.size());
  SpanWriter refSpans;
  for (const auto& r : s.references) {
    w.var(*nameId++);
    w.u8(static_cast<std::uint8_t>(r.kind) | (r.bare ? 0x80 : 0));
    refSpans.put(w, r.span);
    w.signedVar(r.args);
  }
  w.var(s.imports.size());
  SpanWriter importSpans;
  for (const auto& i : s.imports) {
    w.str(i.module);
    importSpans.put(w, i.span);
    importSpans.put(w, i.moduleSpan);
    w.u8(static_cast<std::uint8_t>((i.wildcard ? 1 : 0) | (i.reexport ? 2 : 0) | (i.system ? 4 : 0) | (i.optional ? 8 : 0)));
    w.str(i.namespaceAlias);
    w.str(i.statement);
    w.var(i.names.size());
    for (const auto& n : i.names) {
      w.str(n.name);
      w.str(n.alias);
      importSpans.put(w, n.span);
    }
  }
  w.var(s.exports.size());
  for (const auto& e : s.exports) w.str(e);
}

// A fast 64-bit hash of a record, to notice a record damaged on disk before
// anything trusts it (not cryptographic: the cache is the user's own file).
std::uint64_t checksum(std::string_view b) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = kMul ^ b.size();
  std::size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, b.data() + i, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, b.data() + i, b.size() - i);
  h = (h ^ tail) * kMul;
  return h ^ (h >> 32);
}

// A record: the file's identity, its symbol counts, its encoded symbols, and a
// checksum of all of that. Symbols still encoded from the cache this index
// was loaded from are copied as they are.
void writeRecord(Writer& w, Writer& record, const IndexedFile& f) {
  record.data().clear();
  record.str(f.path);
  record.str(f.language);
  record.var(f.size);
  record.u64(static_cast<std::uint64_t>(f.mtimeNs));
  record.u64(f.hash);
  record.str(f.skipReason);
  const SymbolCounts counts = f.counts();
  record.var(counts.definitions);
  record.var(counts.references);
  record.var(counts.imports);
  record.var(counts.syntaxErrors);
  if (const EncodedSymbols* e = f.encoded()) {
    record.str(e->bytes);
  } else {
    Writer symbols;
    writeSymbols(symbols, f.symbols());
    record.str(symbols.data());
  }
  record.u64(checksum(record.data()));
  w.bytes(record.data());
}

// The smallest encodings, to reject counts larger than the bytes left.
constexpr std::size_t kMinSpanBytes = 6;
constexpr std::size_t kMinDefinitionBytes = 1 + 1 + 2 * kMinSpanBytes + 1 + 1 + 1 + 1 + 1;
constexpr std::size_t kMinReferenceBytes = 1 + 1 + kMinSpanBytes + 1;
constexpr std::size_t kMinImportBytes = 1 + 2 * kMinSpanBytes + 1 + 1 + 1 + 1;
constexpr std::size_t kMinImportedNameBytes = 1 + 1 + kMinSpanBytes;

std::string nameAt(Reader& r, const std::vector<std::string_view>& names) {
  const std::uint32_t id = r.var32();
  if (id >= names.size()) {
    r.fail();
    return {};
  }
  return std::string(names[id]);
}

void readImports(Reader& r, std::vector<Import>& imports) {
  imports.resize(r.count(kMinImportBytes));
  SpanReader importSpans;
  for (auto& i : imports) {
    if (!r.ok()) break;
    i.module = r.str();
    i.span = importSpans.get(r);
    i.moduleSpan = importSpans.get(r);
    const std::uint8_t flags = r.u8();
    i.wildcard = flags & 1;
    i.reexport = flags & 2;
    i.system = flags & 4;
    i.optional = flags & 8;
    i.namespaceAlias = r.str();
    i.statement = r.str();
    i.names.resize(r.count(kMinImportedNameBytes));
    for (auto& n : i.names) {
      n.name = r.str();
      n.alias = r.str();
      n.span = importSpans.get(r);
    }
  }
}

bool readSymbols(Reader& r, FileSymbols& s) {
  s.syntaxErrors = r.var32();
  s.timedOut = r.u8() != 0;
  std::vector<std::string_view> names(r.count(1));
  for (auto& n : names) n = r.view();
  s.definitions.resize(r.count(kMinDefinitionBytes));
  SpanReader defSpans;
  for (auto& d : s.definitions) {
    if (!r.ok()) break;
    d.name = nameAt(r, names);
    const std::uint8_t kind = r.u8();
    d.kind = static_cast<SymbolKind>(kind & 0x7F);
    d.acceptsAnyKeyword = (kind & 0x80) != 0;
    d.span = defSpans.get(r);
    d.nameSpan = defSpans.get(r);
    d.signature = r.str();
    const std::uint32_t parent = r.var32();  // +1: 0 is none
    if (parent > s.definitions.size()) r.fail();  // consumers index definitions with it
    d.parent = static_cast<std::int32_t>(parent) - 1;
    d.minArgs = static_cast<std::int16_t>(r.signedVar());
    d.maxArgs = static_cast<std::int16_t>(r.signedVar());
    d.localNames.resize(r.count(1));
    for (auto& l : d.localNames) l = nameAt(r, names);
  }
  s.references.resize(r.count(kMinReferenceBytes));
  SpanReader refSpans;
  for (auto& ref : s.references) {
    if (!r.ok()) break;
    ref.name = nameAt(r, names);
    const std::uint8_t kind = r.u8();
    ref.kind = static_cast<ReferenceKind>(kind & 0x7F);
    ref.bare = (kind & 0x80) != 0;
    ref.span = refSpans.get(r);
    ref.args = static_cast<std::int16_t>(r.signedVar());
  }
  readImports(r, s.imports);
  s.exports.resize(r.count(1));
  for (auto& e : s.exports) e = r.str();
  return r.ok();
}

// What readSymbols reads, minus everything a ranking does not need: names
// stay views into the encoding, spans, signatures and exports are stepped
// over (but checked the same way).
bool readSymbolNames(Reader& r, SymbolNames& s) {
  r.var32();  // syntax errors
  r.u8();     // timed out
  s.names.resize(r.count(1));
  for (auto& n : s.names) n = r.view();
  auto nameIndex = [&] {
    const std::uint32_t id = r.var32();
    if (id >= s.names.size()) r.fail();
    return id;
  };
  const std::uint32_t definitions = r.count(kMinDefinitionBytes);
  s.definitions.resize(definitions);
  s.topLevel.resize(definitions);
  SpanReader defSpans;
  for (std::uint32_t d = 0; d < definitions && r.ok(); ++d) {
    s.definitions[d] = nameIndex();
    r.u8();  // kind
    defSpans.get(r);
    defSpans.get(r);
    r.view();  // signature
    const std::uint32_t parent = r.var32();
    if (parent > definitions) r.fail();
    s.topLevel[d] = parent == 0;
    r.signedVar();  // min and max arguments
    r.signedVar();
    for (std::uint32_t l = r.count(1); l > 0 && r.ok(); --l) nameIndex();  // locals
  }
  s.references.resize(r.count(kMinReferenceBytes));
  SpanReader refSpans;
  for (auto& ref : s.references) {
    if (!r.ok()) break;
    ref = nameIndex();
    r.u8();  // kind
    refSpans.get(r);
    r.signedVar();  // arguments
  }
  readImports(r, s.imports);
  // Read to the end like readSymbols, so that both refuse the same records.
  for (std::uint32_t e = r.count(1); e > 0 && r.ok(); --e) r.view();
  return r.ok();
}

// A record's identity and counts; its symbols stay encoded. False when the
// record is damaged (then its file is parsed again).
bool readRecord(std::string_view bytes, const std::shared_ptr<const void>& storage, IndexedFile& f) {
  if (bytes.size() < 8) return false;
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  Reader sum(bytes.substr(bytes.size() - 8));
  if (sum.u64() != checksum(body)) return false;
  Reader r(body);
  f.path = r.str();
  f.language = r.str();
  f.size = r.var();
  f.mtimeNs = static_cast<std::int64_t>(r.u64());
  f.hash = r.u64();
  f.skipReason = r.str();
  SymbolCounts counts;
  counts.definitions = r.var();
  counts.references = r.var();
  counts.imports = r.var();
  counts.syntaxErrors = r.var32();
  auto encoded = std::make_shared<EncodedSymbols>();
  encoded->storage = storage;
  encoded->bytes = r.view();
  encoded->language = f.language;
  if (!r.ok() || f.path.empty()) return false;
  f.setEncoded(std::move(encoded), counts);
  return true;
}

}  // namespace

std::shared_ptr<EncodedSymbols> encodeSymbols(const FileSymbols& symbols) {
  Writer w;
  // About what real code takes (a name, spans, a signature per definition;
  // a name and spans per reference): fewer regrowths before the shrink.
  w.data().reserve(64 + 48 * symbols.definitions.size() + 12 * symbols.references.size() + 64 * symbols.imports.size());
  writeSymbols(w, symbols);
  auto buffer = std::make_shared<std::string>(std::move(w.data()));
  buffer->shrink_to_fit();
  auto encoded = std::make_shared<EncodedSymbols>();
  encoded->bytes = *buffer;
  encoded->storage = std::move(buffer);
  encoded->language = symbols.language;
  return encoded;
}

const FileSymbols& decodedSymbols(EncodedSymbols& encoded) {
  std::call_once(encoded.once, [&] {
    FileSymbols& s = encoded.decoded;
    Reader r(encoded.bytes);
    if (!readSymbols(r, s)) {
      s = FileSymbols{};
      s.timedOut = true;
    }
    s.language = encoded.language;
  });
  return encoded.decoded;
}

bool readSymbolNames(const EncodedSymbols& encoded, SymbolNames& out) {
  Reader r(encoded.bytes);
  return readSymbolNames(r, out);
}

namespace {

// The cache file mapped read-only, for as long as a file's symbols are still
// encoded in it. A newer save replaces the file by rename, so the mapped
// inode never changes under the mapping.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      // MAP_POPULATE: the load checksums every record, so fault the file in
      // with one call instead of one fault per page.
      void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

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
    Writer w(&out), record;
    w.bytes(std::string_view(kMagic, sizeof kMagic));
    w.u64(queriesFingerprint());
    const std::uint64_t recordsStart = w.position();
    std::vector<std::uint64_t> offsets;
    offsets.reserve(files.size());
    for (const auto& f : files) {
      offsets.push_back(w.position() - recordsStart);
      writeRecord(w, record, f);
      w.maybeFlush();
    }
    const std::uint64_t tableStart = w.position();
    for (std::uint64_t o : offsets) w.u64(o);
    w.u32(static_cast<std::uint32_t>(files.size()));
    w.u64(tableStart);
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
  auto mapped = std::make_shared<const MappedFile>(file);
  const std::string_view data = mapped->bytes();
  constexpr std::size_t kHeader = sizeof kMagic + 8, kTrailer = 4 + 8;
  if (data.size() < kHeader + kTrailer || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) return out;
  Reader header(data.substr(sizeof kMagic, 8));
  if (header.u64() != queriesFingerprint()) return out;
  Reader trailer(data.substr(data.size() - kTrailer));
  const std::uint32_t files = trailer.u32();
  const std::uint64_t tableStart = trailer.u64();
  if (tableStart < kHeader || tableStart > data.size() - kTrailer || (data.size() - kTrailer - tableStart) != 8 * static_cast<std::uint64_t>(files)) return out;
  Reader table(data.substr(tableStart, 8 * static_cast<std::size_t>(files)));
  std::vector<std::uint64_t> offsets(files);
  for (auto& o : offsets) o = table.u64();
  const std::string_view records = data.substr(kHeader, tableStart - kHeader);
  for (std::size_t i = 0; i < files; ++i) {
    if (offsets[i] > records.size() || (i > 0 && offsets[i] < offsets[i - 1])) return out;
  }
  // Checking a record reads all its bytes (the checksum): split them over
  // the cores. A damaged record drops only its file.
  const std::shared_ptr<const void> storage = mapped;
  out.resize(files);
  std::vector<char> good(files, 0);
  parallelFor(files, std::min<unsigned>(std::thread::hardware_concurrency(), static_cast<unsigned>(files / 64 + 1)), [&](std::size_t i) {
    const std::size_t end = i + 1 < files ? offsets[i + 1] : records.size();
    good[i] = readRecord(records.substr(offsets[i], end - offsets[i]), storage, out[i]) ? 1 : 0;
  });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < files; ++i) {
    if (!good[i]) continue;
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.resize(kept);
  return out;
}

}  // namespace cadre::analysis
