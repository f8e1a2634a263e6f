// Tests for server/security/path_policy (being written).
#include "tests/support/catch.hpp"
