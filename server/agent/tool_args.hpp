// Argument and output helpers shared by the tool files (and by MCP's face
// tools), so every tool reads its arguments and caps its output one way.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cadre::agent {

// A closed object schema: the named properties, the required ones, nothing else.
nlohmann::json objectSchema(nlohmann::json properties, std::vector<std::string> required);

std::string stringArg(const nlohmann::json& args, const char* key, std::string fallback = {});
// An integer argument clamped to [min, max]; `fallback` when absent.
std::int64_t intArg(const nlohmann::json& args, const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max);
std::vector<std::string> stringsArg(const nlohmann::json& args, const char* key);

// Cuts `text` to at most `max` bytes (never inside a UTF-8 character) and
// says how much was left out, so the model knows it did not see it all.
// Returns true when it cut.
bool capText(std::string& text, std::size_t max);

}  // namespace cadre::agent
