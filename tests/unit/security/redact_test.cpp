// Tests for server/security/redact (being written).
#include "tests/support/catch.hpp"
