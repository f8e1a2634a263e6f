// The allocation functions the tree-sitter runtime is compiled to call
// (grammars/CMakeLists.txt defines ts_malloc & co. to these and force-includes
// this header). They are malloc, calloc, realloc and free, unless the calling
// thread has a TreeArena in use (server/analysis/tree_arena.hpp): then blocks
// come from the arena. The runtime never sees the difference.
#ifndef CADRE_SERVER_ANALYSIS_TREE_ALLOC_H
#define CADRE_SERVER_ANALYSIS_TREE_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void* cadre_ts_malloc(size_t size);
void* cadre_ts_calloc(size_t count, size_t size);
void* cadre_ts_realloc(void* block, size_t size);
void cadre_ts_free(void* block);

#ifdef __cplusplus
}
#endif

#endif  // CADRE_SERVER_ANALYSIS_TREE_ALLOC_H
