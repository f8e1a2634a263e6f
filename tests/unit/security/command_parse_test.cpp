// Tests for server/security/command_parse (being written).
#include "tests/support/catch.hpp"
