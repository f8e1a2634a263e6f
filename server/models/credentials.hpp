// Bring-your-own-key: a model's key comes from the environment variable or
// the file its config names, read at the moment of a request and handed
// straight to a header. It is never stored in a config struct, logged, or
// put in an error: errors name where the key should be, not what it is.
#pragma once

#include <optional>
#include <string>

#include "server/models/failure.hpp"
#include "server/models/model_config.hpp"

namespace cadre::models {

// The key, nullopt when the model has none configured (local servers), or an
// Auth failure naming the variable or file.
Expected<std::optional<std::string>> loadKey(const ModelSpec& spec);

// "the environment variable OPENAI_API_KEY (models.gpt.keyEnv)", "the key
// file ~/.config/x (models.gpt.keyFile)", or "" when no key is configured.
std::string keySource(const ModelSpec& spec);

// `text` with every occurrence of `key` (and of a prefix long enough to
// identify it, as masked echoes show one) replaced by [REDACTED:key]. The
// last guard on error messages that quote a server.
std::string scrubKey(std::string text, const std::optional<std::string>& key);

}  // namespace cadre::models
