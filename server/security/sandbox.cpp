// sandbox: security part (being written).
#include "server/security/sandbox.hpp"
