// command_parse: security part (being written).
#pragma once
