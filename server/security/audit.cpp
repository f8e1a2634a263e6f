// audit: security part (being written).
#include "server/security/audit.hpp"
