// Tests for server/security/approvals (being written).
#include "tests/support/catch.hpp"
