// redact: security part (being written).
#pragma once
