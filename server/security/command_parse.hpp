// Shell command lines as a structure, for approvals and the deny-list: which
// programs a line runs (in pipelines, lists, subshells and substitutions
// too), their literal arguments, redirections and the constructs that can
// smuggle a second program past a rule. Parsed with tree-sitter-bash, so
// quoting is understood, not guessed with string prefixes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cadre::security {

struct ShellWord {
  std::string text;      // unquoted value when literal, else the source text
  bool literal = true;   // no expansion, substitution or glob: the value is known now
};

struct SimpleCommand {
  ShellWord program;
  std::vector<ShellWord> args;
  std::vector<std::string> assignments;  // `FOO=1 cmd`
};

struct Redirection {
  std::string op;     // ">", ">>", "<", "&>", "<<<", "<<" …
  ShellWord target;   // file (or fd number for dups)
  bool fdDup = false; // 2>&1 and the like: no file involved
};

struct ParsedCommandLine {
  std::vector<SimpleCommand> commands;  // every command the line runs, in source order
  std::vector<Redirection> redirections;
  bool parseError = false;
  bool pipeline = false;       // `a | b`
  bool sequence = false;       // `a; b`, `a && b`, `a || b`
  bool background = false;     // `a &`
  bool substitution = false;   // $(…), `…`, <(…), >(…)
  bool expansion = false;      // $VAR, ${…}, $((…)), globs in a program name
  bool controlFlow = false;    // if/for/while/case/functions: too much to scope a rule to
  bool heredoc = false;
};

ParsedCommandLine parseCommandLine(std::string_view line);

// What an "allow always" answer remembers: a program and, for programs with
// subcommands, the subcommand ("git status", "npm test"). For interpreters
// and wrappers (sh, python3, env, xargs, find -exec, git -c …) a program
// rule would allow anything, so the rule is the exact argument list.
struct CommandRule {
  std::string program;
  std::string subcommand;               // empty: any arguments
  std::optional<std::vector<std::string>> exactArgs;
  std::string describe() const;         // "git status", "python3 -c 'print(1)'" …
  bool operator==(const CommandRule&) const = default;
};

// The rule an "always" answer to this simple command creates; none when the
// command is not literal enough to scope (a dynamic program name).
std::optional<CommandRule> ruleFor(const SimpleCommand& command);
bool ruleCovers(const CommandRule& rule, const SimpleCommand& command);

// True when every command the line runs is covered by some rule and nothing
// else rides along: no file redirections (other than /dev/null), no dynamic
// program names, no control flow, no parse errors. Pipes and lists are fine
// when each of their commands is covered.
bool rulesCoverLine(const std::vector<CommandRule>& rules, const ParsedCommandLine& line);

// Literal arguments and redirection targets that look like paths, for the
// deny-list check before a command is even proposed to the user.
std::vector<std::string> pathLikeWords(const ParsedCommandLine& line);

}  // namespace cadre::security
