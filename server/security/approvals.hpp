// approvals: security part (being written).
#pragma once
