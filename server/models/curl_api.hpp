// libcurl, loaded when the first HTTP request needs it instead of linked.
// Linking it made every cadre command — `cadre --version`, `cadre index`,
// `cadre check` — pay the dynamic loader for libcurl and the ~20 libraries it
// pulls in (TLS, HTTP/2, IDN, Kerberos, LDAP, SSH...), about half of a
// warm `cadre index`'s start-up. Only model endpoints and MCP servers over
// HTTP use it, so they load it (dlopen) on their first request.
//
// The struct holds exactly the functions cadre calls, typed from
// <curl/curl.h> so a mismatch with the header is a compile error. Calls go
// through the pointers; setopt/getinfo have typed wrappers because the
// variadic pointers lose the checks curl's typecheck-gcc.h makes on the
// macros (a long option passed an int is undefined behaviour).
//
// Thread-safety: curlApi() may be called from any thread; the first call
// loads and initializes (curl_global_init) once, later calls return the same
// result. The CurlApi lives until the process exits (never dlclose'd).
#pragma once

#include <curl/curl.h>

#include <type_traits>

#include "support/expected.hpp"

namespace cadre::models {

struct CurlApi {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
  decltype(&::curl_multi_init) multi_init = nullptr;
  decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&::curl_multi_perform) multi_perform = nullptr;
  decltype(&::curl_multi_poll) multi_poll = nullptr;
  decltype(&::curl_multi_wakeup) multi_wakeup = nullptr;
  decltype(&::curl_multi_timeout) multi_timeout = nullptr;
  decltype(&::curl_multi_info_read) multi_info_read = nullptr;

  // curl_easy_setopt with the value's type checked against the option's
  // kind (curl.h encodes it in the option number).
  template <CURLoption Option, class T>
  CURLcode setopt(CURL* handle, T value) const {
    constexpr int kind = static_cast<int>(Option) / 10000 * 10000;
    if constexpr (kind == CURLOPTTYPE_LONG) {
      static_assert(std::is_same_v<T, long>, "this option takes a long");
    } else if constexpr (kind == CURLOPTTYPE_OBJECTPOINT) {
      static_assert(std::is_pointer_v<T> && !std::is_function_v<std::remove_pointer_t<T>>, "this option takes a data pointer");
    } else if constexpr (kind == CURLOPTTYPE_FUNCTIONPOINT) {
      static_assert(std::is_pointer_v<T> && std::is_function_v<std::remove_pointer_t<T>>, "this option takes a function pointer");
    } else {
      static_assert(kind == CURLOPTTYPE_OFF_T && std::is_same_v<T, curl_off_t>, "this option takes a curl_off_t");
    }
    return easy_setopt(handle, Option, value);
  }

  // curl_easy_getinfo; a long-valued item must be read into a long.
  template <CURLINFO Info, class T>
  CURLcode getinfo(CURL* handle, T* out) const {
    if constexpr ((static_cast<int>(Info) & CURLINFO_TYPEMASK) == CURLINFO_LONG) static_assert(std::is_same_v<T, long>, "this item is a long");
    return easy_getinfo(handle, Info, out);
  }
};

// The process's libcurl, loaded and initialized on the first call. Fails
// with Unavailable, naming libcurl.so.4 and the loader's reason, when the
// library or one of its functions cannot be found (the same error on every
// call: a process does not retry).
Expected<const CurlApi*> curlApi();

}  // namespace cadre::models
