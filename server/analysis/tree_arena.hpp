// A bump allocator for one-shot parses. While a thread runs work in a
// TreeArena, every block the tree-sitter runtime allocates on that thread
// comes from the arena. A free gives back only the most recent block (or
// nothing), and the end of the run drops every block at once.
//
// Why: a cold index parses a file, extracts its symbols and throws the tree
// away. Deleting a tree visits every node to release it, and malloc and free
// run for every node in between. The arena does neither. Its blocks also lie
// in the order they were made, so extraction's walk reads memory that is
// close together. On the TypeScript corpus, parsing this way (with the
// chunks on huge pages) takes 0.84x the time of the stock allocator
// (docs/analysis-performance.md).
//
// The rule: a parser or tree made inside run() must not be used after it.
// summarize(TreeArena&, ...) in parser.hpp keeps to it. Trees that live on
// (open documents) are never made in an arena.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace cadre::analysis {

class TreeArena {
 public:
  TreeArena();
  ~TreeArena();
  TreeArena(const TreeArena&) = delete;
  TreeArena& operator=(const TreeArena&) = delete;

  // Runs `work` with this arena as the calling thread's tree allocator, then
  // drops everything allocated in it. Runs do not nest.
  template <class Work>
  decltype(auto) run(Work&& work) {
    Active active(*this);
    return std::forward<Work>(work)();
  }

  // The allocator functions (tree_alloc.h) call these.
  static TreeArena* current();
  void* allocate(std::size_t size);
  bool owns(const void* block) const;
  void release(void* block);
  void* resize(void* block, std::size_t size);

 private:
  struct Active {
    explicit Active(TreeArena& arena);
    ~Active();
    TreeArena& arena;
  };
  struct Chunk {
    char* base;
    std::size_t size;
  };
  void reset();
  bool addChunk(std::size_t atLeast);

  std::vector<Chunk> chunks_;
  std::size_t current_ = 0;  // the chunk being filled
  std::size_t used_ = 0;     // bytes of it handed out, headers included
  char* last_ = nullptr;     // the most recent block: free pops it, realloc grows it in place
  std::size_t firstChunkHigh_ = 0;  // how far into the first chunk blocks have reached since it was last trimmed
};

}  // namespace cadre::analysis
