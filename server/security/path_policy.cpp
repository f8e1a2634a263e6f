// path_policy: security part (being written).
#include "server/security/path_policy.hpp"
