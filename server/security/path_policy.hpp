// path_policy: security part (being written).
#pragma once
