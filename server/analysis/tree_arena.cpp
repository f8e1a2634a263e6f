#include "server/analysis/tree_arena.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "server/analysis/tree_alloc.h"

// Under ASan, blocks are poisoned until handed out and again once freed or
// dropped, so a tree used after its run is a report, not a silent read.
#if defined(__SANITIZE_ADDRESS__)  // GCC
#define CADRE_TREE_ARENA_ASAN 1
#elif defined(__has_feature)  // clang
#if __has_feature(address_sanitizer)
#define CADRE_TREE_ARENA_ASAN 1
#endif
#endif
#if defined(CADRE_TREE_ARENA_ASAN)
#include <sanitizer/asan_interface.h>
#define CADRE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define CADRE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define CADRE_POISON(p, n) ((void)(p), (void)(n))
#define CADRE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace cadre::analysis {
namespace {

// Each block is a header holding the size asked for, then the block, whose
// capacity is that size rounded up to 16: every block is aligned as malloc's.
constexpr std::size_t kAlign = 16;
constexpr std::size_t kHeader = 16;
// Address space taken at a time. Only the pages written become memory; the
// first chunk is kept from run to run, so a file's parse writes into pages
// the last one already faulted in. A TypeScript file of 600 KB takes ~10 MB.
constexpr std::size_t kChunkBytes = std::size_t{64} << 20;
// Chunks start on a huge page boundary and ask for transparent huge pages
// (where the kernel has them on "madvise" or "always"): a tree's nodes are
// read back by extraction, and a 4 KB page per fault and per TLB entry cost
// the TypeScript corpus ~8% of its cold index.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
// What the first chunk keeps in memory between runs. A large C++ header's
// tree takes several times this; its pages past the mark go back at the end
// of its run, so they do not stay in each worker's memory for the whole
// index (/usr/include's peak RSS: 317 MiB with whole chunks kept, 239 MiB
// with this mark, 201 MiB when trees were malloc's).
constexpr std::size_t kKeptBytes = std::size_t{16} << 20;

constinit thread_local TreeArena* tCurrent = nullptr;

// What the runtime's own allocator does when memory runs out.
[[noreturn]] void outOfMemory(std::size_t size) {
  std::fprintf(stderr, "tree-sitter failed to allocate %zu bytes\n", size);
  std::abort();
}

std::size_t capacityFor(std::size_t size) {
  if (size > SIZE_MAX / 2) outOfMemory(size);
  return (size + kAlign - 1) & ~(kAlign - 1);
}

std::size_t& sizeOf(void* block) { return *reinterpret_cast<std::size_t*>(static_cast<char*>(block) - kHeader); }

// Unpoisoned first: the addresses go back to the kernel, and whatever maps
// them next (a thread's stack, a library, malloc) must not find ASan's marks.
void unmapChunk(char* base, std::size_t size) {
  CADRE_UNPOISON(base, size);
  ::munmap(base, size);
}

}  // namespace

TreeArena::TreeArena() = default;

TreeArena::~TreeArena() {
  for (const Chunk& c : chunks_) unmapChunk(c.base, c.size);
}

TreeArena* TreeArena::current() { return tCurrent; }

TreeArena::Active::Active(TreeArena& a) : arena(a) {
  if (tCurrent) {
    std::fprintf(stderr, "cadre: TreeArena runs do not nest\n");
    std::abort();
  }
  tCurrent = &arena;
}

TreeArena::Active::~Active() {
  tCurrent = nullptr;
  arena.reset();
}

bool TreeArena::addChunk(std::size_t atLeast) {
  // Whole huge pages, so that every address below is page-aligned.
  if (atLeast > SIZE_MAX - 2 * kHugePage) return false;
  const std::size_t size = atLeast > kChunkBytes ? (atLeast + kHugePage - 1) & ~(kHugePage - 1) : kChunkBytes;
  // Mapped one huge page longer, then trimmed to an aligned start.
  void* raw = ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return false;
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  ::munmap(reinterpret_cast<void*>(aligned + size), start + kHugePage - aligned);
  void* base = reinterpret_cast<void*>(aligned);
  (void)::madvise(base, size, MADV_HUGEPAGE);  // a hint: without it, 4 KB pages
  CADRE_POISON(base, size);
  chunks_.push_back({static_cast<char*>(base), size});
  return true;
}

void* TreeArena::allocate(std::size_t size) {
  const std::size_t capacity = capacityFor(size);
  const std::size_t need = kHeader + capacity;
  if (chunks_.empty() || used_ + need > chunks_[current_].size) {
    if (!addChunk(need)) outOfMemory(size);
    current_ = chunks_.size() - 1;
    used_ = 0;
  }
  char* header = chunks_[current_].base + used_;
  CADRE_UNPOISON(header, kHeader);
  used_ += need;
  if (current_ == 0 && used_ > firstChunkHigh_) firstChunkHigh_ = used_;
  last_ = header + kHeader;
  sizeOf(last_) = size;
  CADRE_UNPOISON(last_, size);
  return last_;
}

bool TreeArena::owns(const void* block) const {
  const char* p = static_cast<const char*>(block);
  for (const Chunk& c : chunks_) {
    if (p >= c.base && p < c.base + c.size) return true;
  }
  return false;
}

void TreeArena::release(void* block) {
  CADRE_POISON(block, sizeOf(block));
  if (block == last_) {
    used_ = static_cast<std::size_t>(static_cast<char*>(block) - kHeader - chunks_[current_].base);
    last_ = nullptr;
  }
}

void* TreeArena::resize(void* block, std::size_t size) {
  const std::size_t old = sizeOf(block);
  const std::size_t capacity = capacityFor(size);
  if (block == last_) {
    const std::size_t start = static_cast<std::size_t>(static_cast<char*>(block) - chunks_[current_].base);
    if (start + capacity <= chunks_[current_].size) {
      sizeOf(block) = size;
      used_ = start + capacity;
      if (current_ == 0 && used_ > firstChunkHigh_) firstChunkHigh_ = used_;
      CADRE_UNPOISON(block, size);
      if (size < old) CADRE_POISON(static_cast<char*>(block) + size, old - size);
      return block;
    }
  } else if (size <= old) {
    sizeOf(block) = size;
    CADRE_POISON(static_cast<char*>(block) + size, old - size);
    return block;
  }
  void* moved = allocate(size);
  std::memcpy(moved, block, old < size ? old : size);
  release(block);
  return moved;
}

void TreeArena::reset() {
  // The first chunk stays (its pages are warm); the rest were for one large file.
  for (std::size_t i = 1; i < chunks_.size(); ++i) unmapChunk(chunks_[i].base, chunks_[i].size);
  if (!chunks_.empty()) {
    chunks_.resize(1);
    CADRE_POISON(chunks_[0].base, firstChunkHigh_);  // the rest never was handed out
    if (firstChunkHigh_ > kKeptBytes) {
      (void)::madvise(chunks_[0].base + kKeptBytes, firstChunkHigh_ - kKeptBytes, MADV_DONTNEED);
      firstChunkHigh_ = kKeptBytes;
    }
  }
  current_ = 0;
  used_ = 0;
  last_ = nullptr;
}

}  // namespace cadre::analysis

using cadre::analysis::TreeArena;

extern "C" void* cadre_ts_malloc(size_t size) {
  if (TreeArena* arena = TreeArena::current()) return arena->allocate(size);
  void* block = std::malloc(size);
  if (!block && size > 0) cadre::analysis::outOfMemory(size);
  return block;
}

extern "C" void* cadre_ts_calloc(size_t count, size_t size) {
  if (TreeArena* arena = TreeArena::current()) {
    if (size != 0 && count > SIZE_MAX / size) cadre::analysis::outOfMemory(SIZE_MAX);
    void* block = arena->allocate(count * size);
    std::memset(block, 0, count * size);
    return block;
  }
  void* block = std::calloc(count, size);
  if (!block && count > 0 && size > 0) cadre::analysis::outOfMemory(count * size);
  return block;
}

extern "C" void* cadre_ts_realloc(void* block, size_t size) {
  TreeArena* arena = TreeArena::current();
  if (!block) return cadre_ts_malloc(size);
  if (arena && arena->owns(block)) return arena->resize(block, size);
  void* moved = std::realloc(block, size);
  if (!moved && size > 0) cadre::analysis::outOfMemory(size);
  return moved;
}

extern "C" void cadre_ts_free(void* block) {
  if (!block) return;
  if (TreeArena* arena = TreeArena::current(); arena && arena->owns(block)) {
    arena->release(block);
    return;
  }
  std::free(block);
}
