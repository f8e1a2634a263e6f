// gate: security part (being written).
#pragma once
