// Git object hashing, loose objects and pack writing; see checkpoint_objects.hpp.
// Formats: gitformat-pack(5) (pack v2, index v2, OFS_DELTA entries).
#include "server/workspace/checkpoint_objects.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef CADRE_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace cadre::workspace::git {
namespace {

namespace fs = std::filesystem;

const char* typeName(ObjectType type) {
  switch (type) {
    case ObjectType::Commit:
      return "commit";
    case ObjectType::Tree:
      return "tree";
    case ObjectType::Blob:
      return "blob";
  }
  return "blob";
}

std::string objectHeader(ObjectType type, std::size_t size) {
  std::string h = typeName(type);
  h += ' ';
  h += std::to_string(size);
  h += '\0';
  return h;
}

// One EVP context per thread, reused: creating one per object shows up when
// a checkpoint hashes thousands of small files.
class Sha1 {
 public:
  Sha1() : ctx_(EVP_MD_CTX_new()) {}
  ~Sha1() { EVP_MD_CTX_free(ctx_); }
  void init() { EVP_DigestInit_ex(ctx_, EVP_sha1(), nullptr); }
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  ObjectId final() {
    ObjectId id;
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, id.bytes.data(), &len);
    return id;
  }

 private:
  EVP_MD_CTX* ctx_;
};

Sha1& threadSha1() {
  thread_local Sha1 sha;
  return sha;
}

void putBe32(std::string& out, std::uint32_t v) {
  const unsigned char b[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 8),
                              static_cast<unsigned char>(v)};
  out.append(reinterpret_cast<const char*>(b), 4);
}

Error ioError(const std::string& what, const fs::path& path) {
  return makeError(ErrorCode::IoError, what + " " + path.string() + ": " + std::strerror(errno));
}

bool writeAll(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

bool ObjectId::isZero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](unsigned char c) { return c == 0; });
}

std::string ObjectId::hex() const {
  static const char* digits = "0123456789abcdef";
  std::string out(40, '0');
  for (std::size_t i = 0; i < 20; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

bool ObjectId::fromHex(std::string_view hex, ObjectId& out) {
  if (hex.size() != 40) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 20; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.bytes[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

ObjectId hashObject(ObjectType type, std::string_view data) {
  const std::string header = objectHeader(type, data.size());
  Sha1& sha = threadSha1();
  sha.init();
  sha.update(header.data(), header.size());
  sha.update(data.data(), data.size());
  return sha.final();
}

ObjectId sha1(std::string_view data) {
  Sha1& sha = threadSha1();
  sha.init();
  sha.update(data.data(), data.size());
  return sha.final();
}

bool treeOrderLess(const TreeEntry& a, const TreeEntry& b) {
  const std::size_t n = std::min(a.name.size(), b.name.size());
  if (int c = std::memcmp(a.name.data(), b.name.data(), n); c != 0) return c < 0;
  // One name is a prefix of the other: compare the next character, a tree's
  // name continuing with '/'.
  const unsigned char ca = a.name.size() > n ? static_cast<unsigned char>(a.name[n]) : (a.mode == EntryMode::Tree ? '/' : 0);
  const unsigned char cb = b.name.size() > n ? static_cast<unsigned char>(b.name[n]) : (b.mode == EntryMode::Tree ? '/' : 0);
  return ca < cb;
}

std::string serializeTree(const std::vector<TreeEntry>& entries) {
  std::string out;
  std::size_t size = 0;
  for (const auto& e : entries) size += e.name.size() + 28;
  out.reserve(size);
  char mode[16];
  for (const auto& e : entries) {
    // Trees are "40000", without the leading zero.
    const int n = std::snprintf(mode, sizeof mode, "%o ", static_cast<unsigned>(e.mode));
    out.append(mode, static_cast<std::size_t>(n));
    out += e.name;
    out += '\0';
    out.append(reinterpret_cast<const char*>(e.id.bytes.data()), 20);
  }
  return out;
}

namespace {

// The zlib stream of `data` at level 1. libdeflate, when the build has it,
// writes the same format about twice as fast as zlib (most of a first
// checkpoint's time is compression); zlib otherwise.
std::string zlibLevel1(std::string_view data) {
#ifdef CADRE_HAVE_LIBDEFLATE
  struct Compressor {
    libdeflate_compressor* c = libdeflate_alloc_compressor(1);
    ~Compressor() { libdeflate_free_compressor(c); }
  };
  thread_local Compressor compressor;
#endif
  // Compressed into a per-thread scratch buffer (not zero-filled), then
  // copied out at its real size.
  thread_local std::unique_ptr<char[]> scratch;
  thread_local std::size_t scratchSize = 0;
  std::size_t bound = compressBound(static_cast<uLong>(data.size()));
#ifdef CADRE_HAVE_LIBDEFLATE
  if (compressor.c) bound = std::max(bound, libdeflate_zlib_compress_bound(compressor.c, data.size()));
#endif
  if (bound > scratchSize) {
    scratch.reset(new char[bound]);
    scratchSize = bound;
  }
#ifdef CADRE_HAVE_LIBDEFLATE
  if (compressor.c) {
    const std::size_t len = libdeflate_zlib_compress(compressor.c, data.data(), data.size(), scratch.get(), scratchSize);
    if (len > 0) return std::string(scratch.get(), len);
  }
#endif
  uLongf len = static_cast<uLongf>(scratchSize);
  compress2(reinterpret_cast<Bytef*>(scratch.get()), &len, reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()), Z_BEST_SPEED);
  return std::string(scratch.get(), len);
}

void putVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>(0x80 | (v & 0x7f));
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool getVarint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const unsigned char c = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

constexpr std::size_t kBlock = 16;

std::uint32_t blockHash(const unsigned char* p) {
  std::uint64_t a, b;
  std::memcpy(&a, p, 8);
  std::memcpy(&b, p + 8, 8);
  const std::uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full);
  return static_cast<std::uint32_t>((h ^ (h >> 29)) >> 16);
}

}  // namespace

DeflatedObject deflateObject(ObjectType type, std::string_view data, const ObjectId& id) {
  DeflatedObject out;
  out.id = id;
  out.type = type;
  out.size = data.size();
  out.zdata = zlibLevel1(data);
  return out;
}

DeflatedObject deflateDelta(std::string_view delta, const ObjectId& id, const ObjectId& base) {
  DeflatedObject out;
  out.id = id;
  out.size = delta.size();
  out.zdata = zlibLevel1(delta);
  out.isDelta = true;
  out.base = base;
  return out;
}

std::string deltaEncode(std::string_view source, std::string_view target, std::size_t limit) {
  if (source.size() < kBlock || target.size() < kBlock) return {};
  const auto* src = reinterpret_cast<const unsigned char*>(source.data());
  const auto* tgt = reinterpret_cast<const unsigned char*>(target.data());
  // Block start offsets by hash; 0 marks an empty slot (offsets stored + 1).
  std::size_t slots = 1;
  while (slots < 2 * (source.size() / kBlock + 1)) slots <<= 1;
  std::vector<std::uint32_t> table(slots, 0);
  const std::size_t mask = slots - 1;
  for (std::size_t off = 0; off + kBlock <= source.size(); off += kBlock) {
    std::size_t i = blockHash(src + off) & mask;
    while (table[i] != 0) i = (i + 1) & mask;
    table[i] = static_cast<std::uint32_t>(off + 1);
  }

  std::string out;
  putVarint(out, source.size());
  putVarint(out, target.size());
  std::size_t literalStart = 0;  // target bytes from here up to `pos` are not yet emitted
  auto flushLiteral = [&](std::size_t end) {
    while (literalStart < end) {
      const std::size_t n = std::min<std::size_t>(127, end - literalStart);
      out += static_cast<char>(n);
      out.append(target.data() + literalStart, n);
      literalStart += n;
    }
  };
  auto emitCopy = [&](std::size_t offset, std::size_t size) {
    while (size > 0) {
      const std::size_t n = std::min<std::size_t>(size, 0xffffff);
      unsigned char cmd = 0x80;
      std::string args;
      for (int i = 0; i < 4; ++i) {
        const unsigned char b = static_cast<unsigned char>(offset >> (8 * i));
        if (b) {
          cmd |= static_cast<unsigned char>(1 << i);
          args += static_cast<char>(b);
        }
      }
      for (int i = 0; i < 3; ++i) {
        const unsigned char b = static_cast<unsigned char>(n >> (8 * i));
        if (b) {
          cmd |= static_cast<unsigned char>(0x10 << i);
          args += static_cast<char>(b);
        }
      }
      out += static_cast<char>(cmd);
      out += args;
      offset += n;
      size -= n;
    }
  };

  std::size_t pos = 0;
  while (pos + kBlock <= target.size()) {
    std::size_t i = blockHash(tgt + pos) & mask;
    std::size_t bestOff = 0, bestLen = 0;
    for (int probes = 0; table[i] != 0 && probes < 8; ++probes, i = (i + 1) & mask) {
      const std::size_t off = table[i] - 1;
      if (std::memcmp(src + off, tgt + pos, kBlock) != 0) continue;
      std::size_t len = kBlock;
      while (off + len < source.size() && pos + len < target.size() && src[off + len] == tgt[pos + len]) ++len;
      if (len > bestLen) {
        bestLen = len;
        bestOff = off;
      }
    }
    if (bestLen == 0) {
      ++pos;
      continue;
    }
    // Extend backwards over bytes that would otherwise go out as literals.
    while (bestOff > 0 && pos > literalStart && src[bestOff - 1] == tgt[pos - 1]) {
      --bestOff;
      --pos;
      ++bestLen;
    }
    flushLiteral(pos);
    emitCopy(bestOff, bestLen);
    pos += bestLen;
    literalStart = pos;
    if (out.size() >= limit) return {};
  }
  flushLiteral(target.size());
  if (out.size() >= limit) return {};
  return out;
}

bool deltaApply(std::string_view source, std::string_view delta, std::string& out) {
  std::uint64_t srcSize = 0, tgtSize = 0;
  if (!getVarint(delta, srcSize) || !getVarint(delta, tgtSize) || srcSize != source.size()) return false;
  out.clear();
  out.reserve(tgtSize);
  while (!delta.empty()) {
    const unsigned char cmd = static_cast<unsigned char>(delta.front());
    delta.remove_prefix(1);
    if (cmd & 0x80) {
      std::uint64_t offset = 0, size = 0;
      for (int i = 0; i < 4; ++i) {
        if (!(cmd & (1 << i))) continue;
        if (delta.empty()) return false;
        offset |= static_cast<std::uint64_t>(static_cast<unsigned char>(delta.front())) << (8 * i);
        delta.remove_prefix(1);
      }
      for (int i = 0; i < 3; ++i) {
        if (!(cmd & (0x10 << i))) continue;
        if (delta.empty()) return false;
        size |= static_cast<std::uint64_t>(static_cast<unsigned char>(delta.front())) << (8 * i);
        delta.remove_prefix(1);
      }
      if (size == 0) size = 0x10000;
      if (offset + size > source.size()) return false;
      out.append(source.data() + offset, size);
    } else if (cmd != 0) {
      if (delta.size() < cmd) return false;
      out.append(delta.data(), cmd);
      delta.remove_prefix(cmd);
    } else {
      return false;
    }
  }
  return out.size() == tgtSize;
}

PackWriter::PackWriter(fs::path packDir) : dir_(std::move(packDir)) {}

PackWriter::~PackWriter() {
  if (file_) std::fclose(file_);
  if (!finished_ && !tmpPack_.empty()) ::unlink(tmpPack_.c_str());
}

Expected<void> PackWriter::open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::string tmp = (dir_ / "tmp_pack_XXXXXX").string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return ioError("cannot create a temporary pack in", dir_);
  tmpPack_ = tmp;
  file_ = ::fdopen(fd, "w+b");
  if (!file_) {
    ::close(fd);
    return ioError("cannot open", tmpPack_);
  }
  // The object count is patched in by finish().
  const char header[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0};
  if (std::fwrite(header, 1, sizeof header, file_) != sizeof header) return ioError("cannot write", tmpPack_);
  offset_ = sizeof header;
  return {};
}

Expected<void> PackWriter::add(const DeflatedObject& object) {
  if (!file_) {
    if (auto ok = open(); !ok) return ok;
  }
  // The pack's count must equal its index's: a duplicate is not written.
  if (offsets_.count(object.id)) return {};
  std::string header;
  // Type and size: 4 bits, then 7 bits per byte.
  std::uint64_t size = object.size;
  const int type = object.isDelta ? 6 : static_cast<int>(object.type);  // 6: OFS_DELTA
  unsigned char c = static_cast<unsigned char>((type << 4) | (size & 15));
  size >>= 4;
  while (size) {
    header += static_cast<char>(c | 0x80);
    c = size & 0x7f;
    size >>= 7;
  }
  header += static_cast<char>(c);
  if (object.isDelta) {
    auto base = offsets_.find(object.base);
    if (base == offsets_.end()) return makeError(ErrorCode::InternalError, "delta base " + object.base.hex() + " is not in the pack");
    // The distance back to the base, big-endian base-128 with git's "+1 per
    // continuation" twist.
    std::uint64_t off = offset_ - base->second;
    unsigned char buf[16];
    std::size_t pos = sizeof buf - 1;
    buf[pos] = off & 127;
    while (off >>= 7) buf[--pos] = static_cast<unsigned char>(128 | (--off & 127));
    header.append(reinterpret_cast<const char*>(buf + pos), sizeof buf - pos);
  }
  Entry e;
  e.id = object.id;
  e.offset = offset_;
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(header.data()), static_cast<uInt>(header.size()));
  crc = crc32(crc, reinterpret_cast<const Bytef*>(object.zdata.data()), static_cast<uInt>(object.zdata.size()));
  e.crc = static_cast<std::uint32_t>(crc);
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size() ||
      std::fwrite(object.zdata.data(), 1, object.zdata.size(), file_) != object.zdata.size())
    return ioError("cannot write", tmpPack_);
  offsets_.emplace(object.id, offset_);
  offset_ += header.size() + object.zdata.size();
  entries_.push_back(e);
  return {};
}

Expected<std::string> PackWriter::finish() {
  finished_ = true;
  if (!file_) return std::string();
  // Count, then the checksum of the whole file (git's fast-import fixes up
  // its packs the same way: the count is only known at the end).
  const std::uint32_t n = static_cast<std::uint32_t>(entries_.size());
  const unsigned char count[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 8),
                                  static_cast<unsigned char>(n)};
  if (std::fflush(file_) != 0 || ::pwrite(::fileno(file_), count, 4, 8) != 4) return ioError("cannot write", tmpPack_);
  Sha1 sha;
  sha.init();
  {
    std::vector<char> buf(1 << 20);
    off_t at = 0;
    for (;;) {
      const ssize_t r = ::pread(::fileno(file_), buf.data(), buf.size(), at);
      if (r < 0) {
        if (errno == EINTR) continue;
        return ioError("cannot read back", tmpPack_);
      }
      if (r == 0) break;
      sha.update(buf.data(), static_cast<std::size_t>(r));
      at += r;
    }
  }
  const ObjectId packSum = sha.final();
  if (::pwrite(::fileno(file_), packSum.bytes.data(), 20, static_cast<off_t>(offset_)) != 20) return ioError("cannot write", tmpPack_);
  std::fclose(file_);
  file_ = nullptr;

  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });

  std::string idx;
  idx.reserve(8 + 1024 + entries_.size() * 28 + 40);
  idx.append("\377tOc", 4);
  putBe32(idx, 2);
  std::uint32_t fanout[256] = {};
  for (const auto& e : entries_) ++fanout[e.id.bytes[0]];
  std::uint32_t running = 0;
  for (int i = 0; i < 256; ++i) {
    running += fanout[i];
    putBe32(idx, running);
  }
  for (const auto& e : entries_) idx.append(reinterpret_cast<const char*>(e.id.bytes.data()), 20);
  for (const auto& e : entries_) putBe32(idx, e.crc);
  std::vector<std::uint64_t> large;
  for (const auto& e : entries_) {
    if (e.offset < 0x80000000u) {
      putBe32(idx, static_cast<std::uint32_t>(e.offset));
    } else {
      putBe32(idx, 0x80000000u | static_cast<std::uint32_t>(large.size()));
      large.push_back(e.offset);
    }
  }
  for (std::uint64_t off : large) {
    putBe32(idx, static_cast<std::uint32_t>(off >> 32));
    putBe32(idx, static_cast<std::uint32_t>(off));
  }
  idx.append(reinterpret_cast<const char*>(packSum.bytes.data()), 20);
  const ObjectId idxSum = sha1(idx);
  idx.append(reinterpret_cast<const char*>(idxSum.bytes.data()), 20);

  const std::string name = "pack-" + packSum.hex();
  const fs::path packPath = dir_ / (name + ".pack"), idxPath = dir_ / (name + ".idx");
  ::chmod(tmpPack_.c_str(), 0444);
  if (::rename(tmpPack_.c_str(), packPath.c_str()) != 0) return ioError("cannot rename to", packPath);
  std::string tmpIdx = (dir_ / "tmp_idx_XXXXXX").string();
  const int fd = ::mkstemp(tmpIdx.data());
  if (fd < 0) return ioError("cannot create a temporary index in", dir_);
  const bool ok = writeAll(fd, idx.data(), idx.size()) && ::fchmod(fd, 0444) == 0;
  ::close(fd);
  if (!ok || ::rename(tmpIdx.c_str(), idxPath.c_str()) != 0) {
    Error e = ioError("cannot write", idxPath);
    ::unlink(tmpIdx.c_str());
    return e;
  }
  return name;
}

}  // namespace cadre::workspace::git
