// Fitting a conversation into a model's context window. Sizes are estimates
// (about four bytes a token, which over-counts code a little: the safe side);
// the window is the model's `contextTokens` (docs/models.md), the same
// number Ollama is sent as num_ctx. Long conversations are compacted: the
// pinned head (system prompt, task, memory, plan) and the latest turns stay
// word for word, what lies between is replaced by a summary. The pieces here
// are pure so they can be tested without a model; TaskRunner does the asking.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/models/types.hpp"

namespace cadre::agent {

std::int64_t estimateTokens(std::string_view text);
std::int64_t estimateTokens(const std::vector<models::ChatMessage>& messages,
                            const std::vector<models::ToolDefinition>& tools = {});

// `text` cut at a line boundary to about `tokens` tokens, with a note saying
// what was left out; unchanged when it fits.
std::string fitToTokens(const std::string& text, std::int64_t tokens, std::string_view what);

// The messages compaction would replace: [first, last) after the `pinned`
// head and before the last `keepTurns` assistant turns (a turn keeps its
// tool results, so the tail never starts with an orphaned tool message).
// nullopt when fewer than two messages lie between.
std::optional<std::pair<std::size_t, std::size_t>> compactionRange(const std::vector<models::ChatMessage>& messages,
                                                                   std::size_t pinned, std::size_t keepTurns);

// The span as text for a summarizer, each tool result capped at `perResult` bytes.
std::string transcript(const std::vector<models::ChatMessage>& messages, std::size_t first, std::size_t last,
                       std::size_t perResult);

// A summary without a model: what was said, which tools ran with what
// arguments and how each ended (the first line of its result).
std::string digest(const std::vector<models::ChatMessage>& messages, std::size_t first, std::size_t last);

// Replaces [first, last) by one user message holding `summary` (and the
// decisions so far, which a summary must not lose).
void replaceWithSummary(std::vector<models::ChatMessage>& messages, std::size_t first, std::size_t last,
                        const std::string& summary, const std::vector<std::string>& decisions);

}  // namespace cadre::agent
