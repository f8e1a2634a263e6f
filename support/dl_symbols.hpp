// Typed lookups of a dlopen'ed library's functions (libcurl, libgit2: loaded
// on first use rather than linked; see models/curl_api.hpp and
// workspace/git_api.hpp). Header-only: the callers link libdl themselves.
#pragma once

#include <dlfcn.h>

#include <string>

namespace cadre {

// Fills slots from `library`, stopping at the first name it lacks.
class SymbolLoader {
 public:
  explicit SymbolLoader(void* library) : library_(library) {}

  template <class F>
  void need(const char* name, F*& slot) {
    if (!missing_.empty()) return;
    dlerror();  // clear a stale message, so the one read below is this lookup's
    void* symbol = dlsym(library_, name);
    if (!symbol) {
      const char* reason = dlerror();
      missing_ = std::string("no ") + name + " (" + (reason ? reason : "unknown reason") + ")";
    } else {
      slot = reinterpret_cast<F*>(symbol);
    }
  }

  // "no <name> (<dlerror>)" for the first function missing; empty when all were found.
  const std::string& missing() const { return missing_; }

 private:
  void* library_;
  std::string missing_;
};

}  // namespace cadre
