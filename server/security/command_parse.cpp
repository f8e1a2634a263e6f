// tree-sitter-bash walk for command lines. Anything the walk does not
// understand makes the line less trusted (parseError, controlFlow), never
// more: an unknown construct can only lead to one more question.
#include "server/security/command_parse.hpp"

#include <tree_sitter/api.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

extern "C" const TSLanguage* tree_sitter_bash(void);

namespace cadre::security {
namespace {

// Programs that run other programs or code given in their arguments: a rule
// naming just the program would allow anything, so theirs are exact.
constexpr std::array kInterpreters = {
    "sh",   "bash",  "zsh",  "dash", "ksh",   "fish",   "python", "python2", "python3", "node",    "nodejs",
    "deno", "bun",   "perl", "ruby", "php",   "lua",    "env",    "xargs",   "sudo",    "doas",    "su",
    "eval", "exec",  "nohup", "timeout", "nice", "ionice", "stdbuf", "time", "watch", "strace", "chroot",
    "unshare", "nsenter", "setsid", "busybox", "awk", "gawk", "mawk", "sed", "command", "builtin", "source", ".",
    "flock", "parallel", "ssh", "script",
};
// Programs whose first non-option argument picks what they do.
constexpr std::array kWithSubcommands = {
    "git",  "npm",   "pnpm",   "yarn", "cargo",  "go",     "docker", "podman",  "kubectl", "pip",  "pip3",
    "apt",  "apt-get", "dotnet", "gradle", "mvn", "poetry", "uv",    "rustup",  "terraform", "helm", "gh",
    "brew", "systemctl", "make", "cmake", "ninja", "conda",  "bundle", "rake",  "mix",     "swift", "composer",
};
// git options that take a value before the subcommand.
constexpr std::array kGitValueOptions = {"-C", "--git-dir", "--work-tree", "--namespace"};

template <std::size_t N>
bool inList(const std::array<const char*, N>& list, std::string_view s) {
  return std::any_of(list.begin(), list.end(), [&](const char* e) { return s == e; });
}

std::string_view baseName(std::string_view p) {
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

struct Walker {
  std::string_view src;
  ParsedCommandLine out;

  std::string text(TSNode n) const {
    return std::string(src.substr(ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n)));
  }

  static bool hasGlob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

  // Evaluates a word node: its value when it is known without running
  // anything; otherwise the raw text, not literal (and the line is marked).
  ShellWord word(TSNode n) {
    const std::string type = ts_node_type(n);
    if (type == "word" || type == "number") {
      std::string raw = text(n), v;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
        v += raw[i];
      }
      return {v, !hasGlob(raw) && raw.find('~') != 0};
    }
    if (type == "raw_string") {
      std::string raw = text(n);
      return {raw.size() >= 2 ? raw.substr(1, raw.size() - 2) : raw, true};
    }
    if (type == "string") {
      std::string v;
      bool literal = true;
      uint32_t count = ts_node_child_count(n);
      for (uint32_t i = 0; i < count; ++i) {
        TSNode c = ts_node_child(n, i);
        std::string ct = ts_node_type(c);
        if (ct == "\"") continue;
        if (ct == "string_content") {
          std::string raw = text(c);
          for (std::size_t k = 0; k < raw.size(); ++k) {
            if (raw[k] == '\\' && k + 1 < raw.size() && std::strchr("\"\\$`", raw[k + 1])) ++k;
            v += raw[k];
          }
        } else {
          literal = false;
          visit(c);
          v += text(c);
        }
      }
      return {v, literal};
    }
    if (type == "concatenation") {
      ShellWord w{"", true};
      uint32_t count = ts_node_named_child_count(n);
      for (uint32_t i = 0; i < count; ++i) {
        ShellWord part = word(ts_node_named_child(n, i));
        w.text += part.text;
        w.literal = w.literal && part.literal;
      }
      return w;
    }
    // Expansions, substitutions, ANSI-C strings: only known at run time.
    visit(n);
    return {text(n), false};
  }

  void command(TSNode n) {
    // The slot is taken first so commands inside substitutions come after
    // the command that contains them: source order.
    const std::size_t slot = out.commands.size();
    out.commands.emplace_back();
    SimpleCommand cmd;
    uint32_t count = ts_node_child_count(n);
    for (uint32_t i = 0; i < count; ++i) {
      TSNode c = ts_node_child(n, i);
      const char* field = ts_node_field_name_for_child(n, i);
      std::string type = ts_node_type(c);
      if (field && std::strcmp(field, "name") == 0) {
        TSNode inner = ts_node_named_child_count(c) ? ts_node_named_child(c, 0) : c;
        cmd.program = word(inner);
        if (!cmd.program.literal) out.expansion = true;
      } else if (field && std::strcmp(field, "argument") == 0) {
        cmd.args.push_back(word(c));
      } else if (type == "variable_assignment") {
        cmd.assignments.push_back(text(c));
        visit(c);
      } else if (field && std::strcmp(field, "redirect") == 0) {
        redirect(c);
      } else if (ts_node_is_named(c)) {
        visit(c);
      }
    }
    out.commands[slot] = std::move(cmd);
  }

  void redirect(TSNode n) {
    std::string type = ts_node_type(n);
    if (type == "heredoc_redirect") {
      out.heredoc = true;
      visit(n);
      return;
    }
    Redirection r;
    uint32_t count = ts_node_child_count(n);
    for (uint32_t i = 0; i < count; ++i) {
      TSNode c = ts_node_child(n, i);
      const char* field = ts_node_field_name_for_child(n, i);
      if (field && std::strcmp(field, "descriptor") == 0) continue;
      if (!ts_node_is_named(c)) {
        r.op = ts_node_type(c);
        continue;
      }
      r.target = word(c);
    }
    r.fdDup = (r.op == ">&" || r.op == "<&") && (r.target.text == "-" || std::all_of(r.target.text.begin(), r.target.text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }));
    out.redirections.push_back(std::move(r));
  }

  void visit(TSNode n) {
    std::string type = ts_node_type(n);
    if (ts_node_is_missing(n) || type == "ERROR") out.parseError = true;
    if (type == "command") return command(n);
    if (type == "declaration_command" || type == "unset_command") {
      SimpleCommand cmd;
      cmd.program = {std::string(ts_node_type(ts_node_child(n, 0))), true};
      uint32_t count = ts_node_named_child_count(n);
      for (uint32_t i = 0; i < count; ++i) cmd.args.push_back({text(ts_node_named_child(n, i)), false});
      out.commands.push_back(std::move(cmd));
      out.expansion = true;  // assignments change what later commands see
      return;
    }
    if (type == "file_redirect" || type == "heredoc_redirect" || type == "herestring_redirect") return redirect(n);
    if (type == "pipeline") out.pipeline = true;
    if (type == "list") out.sequence = true;
    if (type == "command_substitution" || type == "process_substitution") out.substitution = true;
    if (type == "simple_expansion" || type == "expansion" || type == "arithmetic_expansion") out.expansion = true;
    if (type == "if_statement" || type == "while_statement" || type == "for_statement" ||
        type == "c_style_for_statement" || type == "case_statement" || type == "function_definition" ||
        type == "test_command")
      out.controlFlow = true;
    uint32_t count = ts_node_child_count(n);
    uint32_t statements = 0;
    for (uint32_t i = 0; i < count; ++i) {
      TSNode c = ts_node_child(n, i);
      const char* ct = ts_node_type(c);
      if (!ts_node_is_named(c)) {
        if (std::strcmp(ct, "&") == 0) out.background = true;
        if (std::strcmp(ct, ";") == 0 || std::strcmp(ct, "\n") == 0) out.sequence = true;
        continue;
      }
      if (std::strcmp(ct, "comment") != 0) ++statements;
      if (const char* field = ts_node_field_name_for_child(n, i); field && std::strcmp(field, "redirect") == 0) {
        redirect(c);
        continue;
      }
      visit(c);
    }
    if (type == "program" && statements > 1) out.sequence = true;
  }
};

std::string shellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@%+,") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

ParsedCommandLine parseCommandLine(std::string_view line) {
  Walker w{line, {}};
  std::unique_ptr<TSParser, void (*)(TSParser*)> parser(ts_parser_new(), ts_parser_delete);
  ts_parser_set_language(parser.get(), tree_sitter_bash());
  std::unique_ptr<TSTree, void (*)(TSTree*)> tree(
      ts_parser_parse_string(parser.get(), nullptr, line.data(), static_cast<uint32_t>(line.size())), ts_tree_delete);
  if (!tree) {
    w.out.parseError = true;
    return w.out;
  }
  TSNode root = ts_tree_root_node(tree.get());
  if (ts_node_has_error(root)) w.out.parseError = true;
  w.visit(root);
  return w.out;
}

std::string CommandRule::describe() const {
  std::string s = shellQuote(program);
  if (exactArgs) {
    for (auto& a : *exactArgs) s += " " + shellQuote(a);
    return s;
  }
  if (!subcommand.empty()) s += " " + subcommand;
  return s + " …";
}

std::optional<CommandRule> ruleFor(const SimpleCommand& command) {
  if (!command.program.literal || command.program.text.empty()) return std::nullopt;
  CommandRule rule;
  rule.program = command.program.text;
  const std::string_view name = baseName(rule.program);
  auto exact = [&]() -> std::optional<CommandRule> {
    std::vector<std::string> args;
    for (auto& a : command.args) {
      if (!a.literal) return std::nullopt;  // an exact rule over a run-time value is no rule
      args.push_back(a.text);
    }
    rule.exactArgs = std::move(args);
    return rule;
  };
  if (!command.assignments.empty() || inList(kInterpreters, name)) return exact();
  if (name == "find") {
    for (auto& a : command.args)
      if (a.text == "-exec" || a.text == "-execdir" || a.text == "-ok" || a.text == "-okdir" || a.text == "-delete" ||
          a.text == "-fprint" || a.text == "-fls")
        return exact();
    return rule;
  }
  if (!inList(kWithSubcommands, name)) return rule;
  for (std::size_t i = 0; i < command.args.size(); ++i) {
    const ShellWord& a = command.args[i];
    if (!a.literal) return exact();
    // `git -c alias.x='!sh'` or `--exec-path`: configuration that runs programs.
    if (name == "git" && (a.text == "-c" || a.text.rfind("--config-env", 0) == 0 || a.text.rfind("--exec-path", 0) == 0))
      return exact();
    if (name == "git" && inList(kGitValueOptions, a.text)) {
      ++i;
      continue;
    }
    if (!a.text.empty() && a.text.front() == '-') continue;
    rule.subcommand = a.text;
    return rule;
  }
  return exact();
}

bool ruleCovers(const CommandRule& rule, const SimpleCommand& command) {
  auto wanted = ruleFor(command);
  if (!wanted || wanted->program != rule.program) return false;
  return rule.exactArgs == wanted->exactArgs && rule.subcommand == wanted->subcommand;
}

bool rulesCoverLine(const std::vector<CommandRule>& rules, const ParsedCommandLine& line) {
  if (line.parseError || line.controlFlow || line.heredoc || line.commands.empty()) return false;
  for (const auto& r : line.redirections) {
    if (r.fdDup) continue;
    if (r.target.literal && r.target.text == "/dev/null") continue;
    return false;
  }
  for (const auto& c : line.commands) {
    if (!std::any_of(rules.begin(), rules.end(), [&](const CommandRule& r) { return ruleCovers(r, c); })) return false;
  }
  return true;
}

std::vector<std::string> pathLikeWords(const ParsedCommandLine& line) {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  for (const auto& c : line.commands) {
    if (c.program.text.find('/') != std::string::npos) add(c.program.text);
    for (const auto& a : c.args) {
      std::string_view t = a.text;
      if (t.rfind("--", 0) == 0) {
        auto eq = t.find('=');
        if (eq == std::string_view::npos) continue;
        t = t.substr(eq + 1);
      } else if (!t.empty() && t.front() == '-') {
        continue;
      }
      add(std::string(t));
    }
  }
  for (const auto& r : line.redirections)
    if (!r.fdDup) add(r.target.text);
  return out;
}

}  // namespace cadre::security
