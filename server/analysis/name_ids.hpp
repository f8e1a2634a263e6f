// NameIds: gives each distinct name a dense id (0, 1, 2, ... in the order
// first seen) in one open-addressed table, so whole-project graphs (the repo
// map) are built over integers instead of hashing strings at every use.
// The names are views: what they point into must outlive the table.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace cadre::analysis {

class NameIds {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  explicit NameIds(std::size_t expected = 0) { rehash(capacityFor(expected)); }

  // The id of `name`, added if new.
  std::uint32_t intern(std::string_view name) {
    if ((names_.size() + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    const std::uint64_t h = hashOf(name);
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      Slot& slot = slots_[s];
      if (slot.id == kNone) {
        slot = {tagOf(h), static_cast<std::uint32_t>(names_.size())};
        names_.push_back(name);
        return slot.id;
      }
      if (slot.tag == tagOf(h) && names_[slot.id] == name) return slot.id;
    }
  }

  // The id of `name`, or kNone. Safe from many threads once interning is done.
  std::uint32_t find(std::string_view name) const {
    const std::uint64_t h = hashOf(name);
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.id == kNone) return kNone;
      if (slot.tag == tagOf(h) && names_[slot.id] == name) return slot.id;
    }
  }

  std::size_t size() const { return names_.size(); }
  std::string_view name(std::uint32_t id) const { return names_[id]; }

 private:
  struct Slot {
    std::uint32_t tag = 0;  // high bits of the hash: most mismatches end here
    std::uint32_t id = kNone;
  };

  static std::uint64_t hashOf(std::string_view name) { return std::hash<std::string_view>{}(name); }
  static std::uint32_t tagOf(std::uint64_t h) { return static_cast<std::uint32_t>(h >> 32); }
  static std::size_t capacityFor(std::size_t names) {
    std::size_t cap = 16;
    while (cap < names * 2) cap <<= 1;  // at most half full
    return cap;
  }

  void rehash(std::size_t capacity) {
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (std::uint32_t id = 0; id < names_.size(); ++id) {
      const std::uint64_t h = hashOf(names_[id]);
      std::size_t s = h & mask_;
      while (slots_[s].id != kNone) s = (s + 1) & mask_;
      slots_[s] = {tagOf(h), id};
    }
  }

  std::vector<Slot> slots_;
  std::vector<std::string_view> names_;
  std::size_t mask_ = 0;
};

}  // namespace cadre::analysis
