// Loads libgit2 on first use; see git_api.hpp for why it is not linked.
#include "server/workspace/git_api.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "support/dl_symbols.hpp"

namespace cadre::workspace::git {
namespace {

// The soname of the libgit2 whose headers cadre is built with (CMake reads
// it from pkg-config's version: libgit2 1.x names its ABI major.minor).
constexpr const char* kSoname = CADRE_LIBGIT2_SONAME;

std::string dlReason() {
  const char* e = dlerror();
  return e ? e : "unknown reason";
}

Error unavailable(const std::string& what) {
  return makeError(ErrorCode::Unavailable, std::string("checkpoints, merges and branch commits need libgit2 (") + kSoname + "): " + what);
}

Expected<const Api*> loadOnce() {
  // RTLD_LOCAL: libgit2's symbols stay out of the global scope that later
  // loads resolve against; cadre reaches them only through dlsym.
  void* lib = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (!lib) return unavailable("it could not be loaded: " + dlReason());
  static Api api;
  SymbolLoader loader(lib);
#define CADRE_LIBGIT2_NEED(name) loader.need("git_" #name, api.name);
  CADRE_LIBGIT2_FUNCTIONS(CADRE_LIBGIT2_NEED)
#undef CADRE_LIBGIT2_NEED
  if (!loader.missing().empty()) return unavailable("it has " + loader.missing());
  if (api.libgit2_init() < 0) {
    const git_error* e = api.error_last();
    return unavailable(std::string("it failed to initialize: ") + (e && e->message ? e->message : "unknown libgit2 error"));
  }
  return &api;
}

}  // namespace

const Expected<const Api*>& load() {
  // Built once by the first caller; C++ guarantees the others wait for it.
  // Never destroyed: a handle freed during static destruction (after this
  // would have gone) still finds the library.
  static const auto* loaded = new Expected<const Api*>(loadOnce());
  return *loaded;
}

const Api& api() {
  const Expected<const Api*>& loaded = load();
  if (!loaded) {
    std::fprintf(stderr, "cadre: libgit2 used before it was loaded: %s\n", loaded.error().message.c_str());
    std::abort();
  }
  return **loaded;
}

}  // namespace cadre::workspace::git
