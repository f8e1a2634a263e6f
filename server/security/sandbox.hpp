// sandbox: security part (being written).
#pragma once
