// Git objects written straight to a checkpoint repository's object store,
// bypassing libgit2's writers where they cost the most on big trees: blob ids
// hashed with OpenSSL's SHA-1 (several times faster than the collision-
// detecting SHA-1 libgit2 and git use; an id is the same either way), and
// new objects deflated on all cores into one pack (+ its .idx) instead of
// thousands of loose files, which libgit2 reads after git_odb_refresh. Tree
// objects are serialized here too, so a checkpoint builds only the trees its
// changes touch, and deltas encoded for repacking.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "support/expected.hpp"

namespace cadre::workspace::git {

struct ObjectId {
  std::array<unsigned char, 20> bytes{};
  bool isZero() const;
  std::string hex() const;
  static bool fromHex(std::string_view hex, ObjectId& out);
  friend bool operator==(const ObjectId&, const ObjectId&) = default;
  friend auto operator<=>(const ObjectId&, const ObjectId&) = default;
};

struct ObjectIdHash {
  std::size_t operator()(const ObjectId& id) const {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof h; ++i) h = h << 8 | id.bytes[i];
    return h;
  }
};

// Pack type numbers.
enum class ObjectType : int { Commit = 1, Tree = 2, Blob = 3 };

// The id git gives `data` as an object of `type` ("blob <n>\0" + data).
ObjectId hashObject(ObjectType type, std::string_view data);
// SHA-1 of raw bytes.
ObjectId sha1(std::string_view data);

// Tree entry modes, as git writes them.
enum class EntryMode : std::uint32_t { Tree = 0040000, Blob = 0100644, Executable = 0100755, Symlink = 0120000, Gitlink = 0160000 };

struct TreeEntry {
  std::string name;
  EntryMode mode = EntryMode::Blob;
  ObjectId id;
};
// The tree object's bytes; `entries` must already be in git's tree order.
std::string serializeTree(const std::vector<TreeEntry>& entries);
// git's tree order: by name, a tree's name compared as if followed by '/'.
bool treeOrderLess(const TreeEntry& a, const TreeEntry& b);

// An object ready to go into a pack: its zlib stream, whole or as a delta
// against another object of the same pack.
struct DeflatedObject {
  ObjectId id;
  ObjectType type = ObjectType::Blob;
  std::uint64_t size = 0;  // of what `zdata` inflates to (the object, or the delta)
  std::string zdata;
  bool isDelta = false;
  ObjectId base;  // isDelta: must be in the pack already
};
// zlib level 1 (git's own choice for loose objects): checkpoints are written
// far more often than read, and a full gc deltifies later anyway.
DeflatedObject deflateObject(ObjectType type, std::string_view data, const ObjectId& id);
// `delta` (from deltaEncode) stored for object `id` against `base`.
DeflatedObject deflateDelta(std::string_view delta, const ObjectId& id, const ObjectId& base);

// A git delta (gitformat-pack(5), "Deltified representation") that turns
// `source` into `target`: 16-byte blocks of the source indexed by hash,
// matches found at every target position and extended both ways. Empty when
// the delta would not be smaller than `limit` bytes (then store whole).
std::string deltaEncode(std::string_view source, std::string_view target, std::size_t limit);
// Applies a delta (for tests; libgit2 and git read them in real use).
bool deltaApply(std::string_view source, std::string_view delta, std::string& out);

// Streams objects into objects/pack/tmp_pack_*, then writes the .idx and
// renames both to pack-<checksum>.{pack,idx} (the .idx last: libgit2 looks
// for packs by their index). Duplicate ids are dropped.
class PackWriter {
 public:
  explicit PackWriter(std::filesystem::path packDir);
  ~PackWriter();
  PackWriter(const PackWriter&) = delete;
  PackWriter& operator=(const PackWriter&) = delete;

  // A delta whose base is not in this pack is an error.
  Expected<void> add(const DeflatedObject& object);
  bool contains(const ObjectId& id) const { return offsets_.count(id) != 0; }
  std::size_t count() const { return entries_.size(); }
  std::uint64_t bytes() const { return offset_; }
  // Nothing added: nothing written, and an empty name.
  Expected<std::string> finish();

 private:
  struct Entry {
    ObjectId id;
    std::uint32_t crc = 0;
    std::uint64_t offset = 0;
  };
  Expected<void> open();
  std::filesystem::path dir_;
  std::filesystem::path tmpPack_;
  std::FILE* file_ = nullptr;
  std::vector<Entry> entries_;
  std::unordered_map<ObjectId, std::uint64_t, ObjectIdHash> offsets_;
  std::uint64_t offset_ = 0;
  bool finished_ = false;
};

}  // namespace cadre::workspace::git
