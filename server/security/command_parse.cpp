// command_parse: security part (being written).
#include "server/security/command_parse.hpp"
