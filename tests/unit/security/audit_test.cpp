// Tests for server/security/audit (being written).
#include "tests/support/catch.hpp"
