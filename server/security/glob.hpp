// glob: security part (being written).
#pragma once
