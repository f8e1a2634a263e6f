// approvals: security part (being written).
#include "server/security/approvals.hpp"
