// audit: security part (being written).
#pragma once
