// Owning handles for tree-sitter objects. Each is a unique_ptr with the
// matching ts_*_delete, so ownership is in the type: a TreePtr owns its tree; a
// raw TSTree* is borrowed. TSQuery is immutable once built and is shared
// read-only across threads; parsers and query cursors are per thread.
#pragma once

#include <tree_sitter/api.h>

#include <memory>

namespace cadre::analysis {

struct ParserDeleter {
  void operator()(TSParser* p) const { ts_parser_delete(p); }
};
struct TreeDeleter {
  void operator()(TSTree* t) const { ts_tree_delete(t); }
};
struct QueryDeleter {
  void operator()(TSQuery* q) const { ts_query_delete(q); }
};
struct QueryCursorDeleter {
  void operator()(TSQueryCursor* c) const { ts_query_cursor_delete(c); }
};

using ParserPtr = std::unique_ptr<TSParser, ParserDeleter>;
using TreePtr = std::unique_ptr<TSTree, TreeDeleter>;
using QueryPtr = std::unique_ptr<TSQuery, QueryDeleter>;
using QueryCursorPtr = std::unique_ptr<TSQueryCursor, QueryCursorDeleter>;

}  // namespace cadre::analysis
