# Flags every cadre target shares: warnings, ccache and sanitizer switches.
# Kept here so the parts' CMakeLists stay about layering.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

set(CADRE_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined")

add_library(cadre_flags INTERFACE)
target_compile_options(cadre_flags INTERFACE -Wall -Wextra -Wno-unused-parameter)
target_include_directories(cadre_flags INTERFACE ${PROJECT_SOURCE_DIR})
# ASIO_DISABLE_STD_ALIGNED_ALLOC: asio picks aligned_alloc/free or operator
# new/delete for its handler memory by whether libstdc++'s config header came
# before its own, so two sources could inline different halves of the pair
# (ASan caught an alloc-dealloc mismatch once unity builds reordered the
# includes). One choice for every source: operator new/delete.
target_compile_definitions(cadre_flags INTERFACE
  CADRE_VERSION="${PROJECT_VERSION}"
  ASIO_STANDALONE ASIO_NO_DEPRECATED ASIO_DISABLE_STD_ALIGNED_ALLOC)
# Unity builds (the Makefile turns them on) compile several sources of a
# target as one; GCC then warns about members whose types sit in the
# anonymous namespace of the same file, which is what those files intend.
if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(cadre_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wno-subobject-linkage>)
endif()
if(CADRE_SANITIZE)
  target_compile_options(cadre_flags INTERFACE -fsanitize=${CADRE_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(cadre_flags INTERFACE -fsanitize=${CADRE_SANITIZE})
  # Undefined behaviour is a failure, not a line in a log nobody reads: the
  # process stops at the first report (docs/reliability.md).
  if(CADRE_SANITIZE MATCHES "undefined")
    target_compile_options(cadre_flags INTERFACE -fno-sanitize-recover=undefined)
  endif()
endif()

# Fuzz builds instrument every library for libFuzzer's coverage and run with
# ASan+UBSan; the fuzzer executables add the libFuzzer main (tests/fuzz).
if(CADRE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CADRE_FUZZ needs clang (CC=clang CXX=clang++)")
  endif()
  target_compile_options(cadre_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                                               -fno-sanitize-recover=undefined)
  target_link_options(cadre_flags INTERFACE -fsanitize=address,undefined)
endif()
