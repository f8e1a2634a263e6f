// The provider for each wire format.
#include "server/models/provider.hpp"

namespace cadre::models {

const Provider& openAIProvider();
const Provider& anthropicProvider();
const Provider& ollamaProvider();

const Provider& providerFor(Api api) {
  switch (api) {
    case Api::OpenAI: return openAIProvider();
    case Api::Anthropic: return anthropicProvider();
    case Api::Ollama: return ollamaProvider();
  }
  return openAIProvider();
}

}  // namespace cadre::models
