// Conversions between libgit2's git_oid and the checkpoint store's ObjectId
// (the same 20 bytes).
#pragma once

#include <git2.h>

#include <cstring>

#include "server/workspace/checkpoint_objects.hpp"

namespace cadre::workspace::git {

inline ObjectId fromGit(const git_oid& o) {
  ObjectId id;
  std::memcpy(id.bytes.data(), o.id, 20);
  return id;
}

inline git_oid toGit(const ObjectId& id) {
  git_oid o;
  std::memcpy(o.id, id.bytes.data(), 20);
  return o;
}

}  // namespace cadre::workspace::git
