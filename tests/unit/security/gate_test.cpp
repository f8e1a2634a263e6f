// Tests for server/security/gate (being written).
#include "tests/support/catch.hpp"
