// Catch2 include that works with Debian's v2 (catch2/catch.hpp) and with v3.
#pragma once
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
