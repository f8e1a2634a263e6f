// Reading a node's children in one pass over the runtime's own structures.
// A tree cursor returns the same children, but pays one out-of-line call per
// child and per fact (node, symbol, field, named, child count), and looks the
// field up again from the top for each child; pattern matching reads every
// node's children once, so that was a tenth of a cold index
// (docs/analysis-performance.md). tree_children.c is compiled against the
// runtime's private headers (grammars/ pins the version); the tests compare
// it with a tree cursor at every node of the fixtures and corpus samples.
#ifndef CADRE_SERVER_ANALYSIS_TREE_CHILDREN_H
#define CADRE_SERVER_ANALYSIS_TREE_CHILDREN_H

#include <stdbool.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#ifdef __cplusplus
extern "C" {
#endif

// One child as ts_tree_cursor_goto_first_child / goto_next_sibling visit
// them: hidden nodes are looked through, aliases applied.
typedef struct CadreTreeChild {
  TSNode node;
  TSSymbol symbol;       // ts_node_symbol(node)
  TSFieldId field;       // ts_tree_cursor_current_field_id on it
  bool named;            // ts_node_is_named(node)
  bool has_children;     // ts_node_child_count(node) > 0
} CadreTreeChild;

// Writes up to `capacity` children of `node` to `out` and returns how many
// it has (more than `capacity`: call again with room for all).
uint32_t cadre_tree_children(TSNode node, CadreTreeChild* out, uint32_t capacity);

#ifdef __cplusplus
}
#endif

#endif  // CADRE_SERVER_ANALYSIS_TREE_CHILDREN_H
