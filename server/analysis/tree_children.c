// See tree_children.h. Follows tree_cursor.c of the pinned runtime: which
// children are visible, how aliases apply, and which field a child inherits
// through the hidden nodes above it.
#include "server/analysis/tree_children.h"

#include "language.h"
#include "length.h"
#include "subtree.h"
#include "tree.h"

enum { kMaxHidden = 128 };  // hidden nodes nested inside one another (balanced repeats stay far below)

typedef struct {
  Subtree parent;
  Length position;  // of the next child
  uint32_t child_index;
  uint32_t structural_index;
  const TSSymbol* aliases;
  const TSFieldMapEntry* fields;
  const TSFieldMapEntry* fields_end;
  TSFieldId inherited;  // the field this hidden node passes on to its children
} Frame;

static void frame_init(Frame* f, const TSLanguage* language, Subtree parent, Length position, TSFieldId inherited) {
  f->parent = parent;
  f->position = position;
  f->child_index = 0;
  f->structural_index = 0;
  f->aliases = ts_language_alias_sequence(language, parent.ptr->production_id);
  ts_language_field_map(language, parent.ptr->production_id, &f->fields, &f->fields_end);
  f->inherited = inherited;
}

static TSFieldId field_at(const Frame* f, uint32_t structural_index) {
  for (const TSFieldMapEntry* m = f->fields; m < f->fields_end; ++m) {
    if (!m->inherited && m->child_index == structural_index) return m->field_id;
  }
  return f->inherited;
}

static CadreTreeChild from_cursor(const TSTreeCursor* cursor) {
  CadreTreeChild c;
  c.node = ts_tree_cursor_current_node(cursor);
  c.symbol = ts_node_symbol(c.node);
  c.field = ts_tree_cursor_current_field_id(cursor);
  c.named = ts_node_is_named(c.node);
  c.has_children = ts_node_child_count(c.node) > 0;
  return c;
}

// The same list through a tree cursor: for hidden nodes nested deeper than
// the frame stack holds.
static uint32_t cursor_children(TSNode node, CadreTreeChild* out, uint32_t capacity) {
  TSTreeCursor cursor = ts_tree_cursor_new(node);
  uint32_t count = 0;
  if (ts_tree_cursor_goto_first_child(&cursor)) {
    do {
      if (count < capacity) out[count] = from_cursor(&cursor);
      ++count;
    } while (ts_tree_cursor_goto_next_sibling(&cursor));
  }
  ts_tree_cursor_delete(&cursor);
  return count;
}

uint32_t cadre_tree_children(TSNode node, CadreTreeChild* out, uint32_t capacity) {
  const Subtree root = *(const Subtree*)node.id;
  if (ts_subtree_child_count(root) == 0) return 0;
  const TSTree* tree = node.tree;
  const TSLanguage* language = tree->language;
  Frame stack[kMaxHidden];
  uint32_t depth = 1, count = 0;
  const Length start = {node.context[0], {node.context[1], node.context[2]}};
  frame_init(&stack[0], language, root, start, 0);
  while (depth > 0) {
    Frame* f = &stack[depth - 1];
    const uint32_t child_count = f->parent.ptr->child_count;
    if (f->child_index == child_count) {
      --depth;
      continue;
    }
    const Subtree* children = ts_subtree_children(f->parent);
    const Subtree* child = &children[f->child_index];
    const Length position = f->position;
    const uint32_t structural_index = f->structural_index;
    const bool extra = ts_subtree_extra(*child);
    TSSymbol alias = 0;
    if (!extra) {
      if (f->aliases) alias = f->aliases[structural_index];
      ++f->structural_index;
    }
    f->position = length_add(f->position, ts_subtree_size(*child));
    if (++f->child_index < child_count) f->position = length_add(f->position, ts_subtree_padding(children[f->child_index]));

    if (ts_subtree_visible(*child) || alias) {
      if (count < capacity) {
        CadreTreeChild* c = &out[count];
        c->node = (TSNode){{position.bytes, position.extent.row, position.extent.column, alias}, child, tree};
        c->symbol = ts_language_public_symbol(language, alias ? alias : ts_subtree_symbol(*child));
        c->field = extra ? 0 : field_at(f, structural_index);
        c->named = alias ? ts_language_symbol_metadata(language, alias).named : ts_subtree_named(*child);
        c->has_children = ts_subtree_visible_child_count(*child) > 0;
      }
      ++count;
    } else if (ts_subtree_visible_child_count(*child) > 0) {
      if (depth == kMaxHidden) return cursor_children(node, out, capacity);
      frame_init(&stack[depth], language, *child, position, extra ? 0 : field_at(f, structural_index));
      ++depth;
    }
  }
  return count;
}
