// Tests for server/security/sandbox (being written).
#include "tests/support/catch.hpp"
