// Loads libcurl on first use; see curl_api.hpp for why it is not linked.
#include "server/models/curl_api.hpp"

#include <dlfcn.h>

#include <string>

#include "support/dl_symbols.hpp"

namespace cadre::models {
namespace {

// The soname of libcurl 7.16 and later, every flavour (OpenSSL, GnuTLS) of
// Debian's and Fedora's packages; the one the headers we build with describe.
constexpr const char* kCurlSoname = "libcurl.so.4";

std::string dlReason() {
  const char* e = dlerror();
  return e ? e : "unknown reason";
}

Error curlUnavailable(const std::string& what) {
  return makeError(ErrorCode::Unavailable,
                   "HTTP requests (model endpoints, MCP servers over HTTP) need libcurl (the libcurl4 package); " + what);
}

Expected<const CurlApi*> loadCurl() {
  // RTLD_LOCAL: libcurl's symbols stay out of the global scope that later
  // loads resolve against; cadre reaches them only through dlsym.
  void* lib = dlopen(kCurlSoname, RTLD_NOW | RTLD_LOCAL);
  if (!lib) return curlUnavailable(std::string(kCurlSoname) + " could not be loaded: " + dlReason());
  static CurlApi api;
  SymbolLoader loader(lib);
  auto need = [&](const char* name, auto& slot) { loader.need(name, slot); };
  need("curl_global_init", api.global_init);
  need("curl_easy_init", api.easy_init);
  need("curl_easy_cleanup", api.easy_cleanup);
  need("curl_easy_setopt", api.easy_setopt);
  need("curl_easy_getinfo", api.easy_getinfo);
  need("curl_easy_perform", api.easy_perform);
  need("curl_easy_strerror", api.easy_strerror);
  need("curl_slist_append", api.slist_append);
  need("curl_slist_free_all", api.slist_free_all);
  need("curl_multi_init", api.multi_init);
  need("curl_multi_cleanup", api.multi_cleanup);
  need("curl_multi_add_handle", api.multi_add_handle);
  need("curl_multi_remove_handle", api.multi_remove_handle);
  need("curl_multi_perform", api.multi_perform);
  need("curl_multi_poll", api.multi_poll);
  need("curl_multi_wakeup", api.multi_wakeup);
  need("curl_multi_timeout", api.multi_timeout);
  need("curl_multi_info_read", api.multi_info_read);
  // An older libcurl.so.4 without one of these (curl_multi_poll is 7.66,
  // curl_multi_wakeup 7.68) is unusable; the handle stays open, which costs
  // nothing once.
  if (!loader.missing().empty()) return curlUnavailable(std::string(kCurlSoname) + " has " + loader.missing() + "; cadre needs libcurl 7.85 or later");
  if (CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
    return curlUnavailable(std::string(kCurlSoname) + " failed to initialize: " + api.easy_strerror(rc));
  return &api;
}

}  // namespace

Expected<const CurlApi*> curlApi() {
  // Built once by the first caller; C++ guarantees the others wait for it.
  static const Expected<const CurlApi*> loaded = loadCurl();
  return loaded;
}

}  // namespace cadre::models
