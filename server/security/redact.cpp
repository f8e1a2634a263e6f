// redact: security part (being written).
#include "server/security/redact.hpp"
