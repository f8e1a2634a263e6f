// glob: security part (being written).
#include "server/security/glob.hpp"
