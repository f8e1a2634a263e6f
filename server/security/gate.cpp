// gate: security part (being written).
#include "server/security/gate.hpp"
