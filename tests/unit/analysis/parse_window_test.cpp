// Keystrokes that reparse only a window of top-level items: the symbols must
// be a fresh parse's, the tree asked for afterwards must be a fresh parse's,
// and an edit whose effect reaches past the window must not be taken from it.
#include <string>
#include <vector>

#include "server/analysis/parser.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/tree_text.hpp"

using namespace cadre::analysis;
using cadre::testing::replaceText;
using cadre::testing::sexp;
using cadre::testing::symbolsText;
using Update = IncrementalDocument::Update;

namespace {

// Replaces `length` bytes at `at` with `insert` in both the text and the document.
void type(IncrementalDocument& doc, Parser& parser, std::string& text, std::size_t at, std::size_t length, const std::string& insert) {
  const TreeEdit e = replaceText(text, at, at + length, insert);  // before the text is passed on
  doc.update(text, {e}, parser);
}

std::string freshSymbols(const Language& lang, const std::string& text) {
  Parser parser;
  TreePtr tree = parser.parse(lang, text);
  REQUIRE(tree);
  return symbolsText(extractSymbols(lang, tree.get(), text));
}

std::string freshTree(const Language& lang, const std::string& text) {
  Parser parser;
  TreePtr tree = parser.parse(lang, text);
  REQUIRE(tree);
  return sexp(tree.get());
}

// Forty small C functions; the fifth has a macro call tree-sitter cannot
// parse (`.field` as an argument), as real C often has.
std::string cSource() {
  std::string s = "#include <stdio.h>\n\n";
  for (int i = 0; i < 40; ++i) {
    s += "static int function_" + std::to_string(i) + "(int value) {\n";
    if (i == 5) s += "  array_search_sorted_by(list, .symbol, value, &index, &exists);\n";
    if (i == 25) s += "  /* a comment that ends here */\n";
    s += "  return helper_" + std::to_string(i) + "(value) + " + std::to_string(i) + ";\n}\n\n";
  }
  return s;
}

std::size_t at(const std::string& text, const std::string& needle) {
  const std::size_t p = text.find(needle);
  REQUIRE(p != std::string::npos);
  return p;
}

}  // namespace

TEST_CASE("a keystroke in an error-free C function parses a window, though the file has errors elsewhere") {
  const Language& c = *languageById("c");
  std::string text = cSource();
  Parser parser;
  IncrementalDocument doc(c, text, parser);
  REQUIRE(doc.symbols().syntaxErrors > 0);
  const std::uint32_t errors = doc.symbols().syntaxErrors;

  // Rename a call in function_20, one letter at a time, never asking for the tree.
  const std::size_t call = at(text, "helper_20") + 6;
  for (const char* letter : {"x", "y", "z"}) {
    type(doc, parser, text, call, 0, letter);
    CHECK(doc.lastUpdate() == Update::Window);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(c, text));
    CHECK(doc.symbols().syntaxErrors == errors);
  }
  CHECK(text.find("helperzyx_20") != std::string::npos);
  // Then in another function, far from the first.
  type(doc, parser, text, at(text, "function_33") + 3, 0, "q");
  CHECK(doc.lastUpdate() == Update::Window);
  CHECK(symbolsText(doc.symbols()) == freshSymbols(c, text));
  // The tree asked for now is the whole document's, every edit included.
  CHECK(sexp(doc.tree(parser)) == freshTree(c, text));
}

TEST_CASE("edits whose effect reaches past their items are reparsed whole, or within a wider window") {
  const Language& c = *languageById("c");
  Parser parser;

  SECTION("a comment opened in one function closes in another") {
    std::string text = cSource();
    IncrementalDocument doc(c, text, parser);
    type(doc, parser, text, at(text, "  return helper_20"), 0, "/*");
    CHECK(doc.lastUpdate() != Update::Window);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(c, text));
    // function_21 .. function_24 are inside the comment now.
    CHECK(symbolsText(doc.symbols()).find("function_22") == std::string::npos);
  }

  SECTION("the only syntax error fixed") {
    std::string text = cSource();
    IncrementalDocument doc(c, text, parser);
    REQUIRE(doc.symbols().syntaxErrors > 0);
    type(doc, parser, text, at(text, ".symbol, "), 9, "");
    CHECK(doc.lastUpdate() != Update::Window);
    CHECK(doc.symbols().syntaxErrors == 0);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(c, text));
  }

  SECTION("a closing brace removed") {
    std::string text = cSource();
    IncrementalDocument doc(c, text, parser);
    const std::size_t brace = text.find("}\n", at(text, "function_20"));
    type(doc, parser, text, brace, 1, "");
    CHECK(doc.lastUpdate() != Update::Window);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(c, text));
  }

  SECTION("a JavaScript statement that now continues into the next one") {
    const Language& js = *languageById("javascript");
    std::string text;
    for (int i = 0; i < 30; ++i) text += "const value_" + std::to_string(i) + " = compute(" + std::to_string(i) + ");\n";
    text += "let a = b;\n(c);\n";
    for (int i = 0; i < 30; ++i) text += "function f_" + std::to_string(i) + "() { return " + std::to_string(i) + "; }\n";
    IncrementalDocument doc(js, text, parser);
    // Without its semicolon, `b\n(c)` is a call of b: the next statement is
    // gone. (The edit ends where its statement now ends, so the window takes
    // in the next statement too, and the merge happens inside it.)
    type(doc, parser, text, at(text, "let a = b;") + 9, 1, "");
    CHECK(symbolsText(doc.symbols()) == freshSymbols(js, text));
    CHECK(sexp(doc.tree(parser)) == freshTree(js, text));
  }
}

TEST_CASE("a Python method moved out of its class by a window") {
  const Language& py = *languageById("python");
  std::string text = "import os\nimport sys\n\nLIMIT = 10\n\n";
  for (int i = 0; i < 30; ++i) {
    text += "class Shape" + std::to_string(i) + ":\n    def area(self):\n        return " + std::to_string(i) +
            "\n\n    def grow(self, by):\n        return by\n\n\n";
  }
  Parser parser;
  IncrementalDocument doc(py, text, parser);
  // Indentation is the Python scanner's state: the window needs the seed
  // (a small statement before it) to reuse anything, and must be right
  // without it too.
  const std::size_t grow = at(text, "class Shape14:") + std::string("class Shape14:\n    def area(self):\n        return 14\n\n").size();
  REQUIRE(text.compare(grow, 8, "    def ") == 0);
  type(doc, parser, text, grow, 4, "");  // `def grow` now at the top level, after the class
  CHECK(doc.lastUpdate() == Update::Window);
  CHECK(symbolsText(doc.symbols()) == freshSymbols(py, text));
  type(doc, parser, text, grow, 0, "    ");  // and back into it
  CHECK(doc.lastUpdate() == Update::Window);
  CHECK(symbolsText(doc.symbols()) == freshSymbols(py, text));
  CHECK(sexp(doc.tree(parser)) == freshTree(py, text));
}

TEST_CASE("a window is not parsed where it would be most of the document") {
  const Language& py = *languageById("python");
  std::string text = "import os\n\nclass Everything:\n";
  for (int i = 0; i < 40; ++i) text += "    def method_" + std::to_string(i) + "(self):\n        return " + std::to_string(i) + "\n\n";
  Parser parser;
  IncrementalDocument doc(py, text, parser);
  type(doc, parser, text, at(text, "method_20") + 3, 0, "q");
  CHECK(doc.lastUpdate() == Update::Reparsed);
  CHECK(symbolsText(doc.symbols()) == freshSymbols(py, text));
}

TEST_CASE("a keystroke between two items lands its window there, where the search for the next item finds nothing") {
  // In Bash a command's terminator is a hidden token inside a hidden node,
  // so tree-sitter's search for the first child past a byte in it comes back
  // empty: the window must still be around the edit, not at the file's end.
  const Language& bash = *languageById("bash");
  std::string text;
  for (int i = 0; i < 40; ++i) text += "run_step_" + std::to_string(i) + " --flag\n\n";
  Parser parser;
  IncrementalDocument doc(bash, text, parser);
  const std::size_t gap = at(text, "run_step_12 --flag\n") + std::string("run_step_12 --flag\n").size();
  type(doc, parser, text, gap, 0, "typed_command");
  CHECK(doc.lastUpdate() == Update::Window);
  CHECK(symbolsText(doc.symbols()) == freshSymbols(bash, text));
  CHECK(symbolsText(doc.symbols()).find("typed_command") != std::string::npos);
  type(doc, parser, text, at(text, "run_step_30 --flag\n") + 19, 0, "x");
  CHECK(symbolsText(doc.symbols()) == freshSymbols(bash, text));
  CHECK(sexp(doc.tree(parser)) == freshTree(bash, text));
}

namespace {

// A Python class far larger than a window: thirty methods.
std::string bigPythonClass() {
  std::string s = "import os\n\n\nclass Registry(Base):\n    \"\"\"Holds things.\"\"\"\n\n";
  for (int i = 0; i < 80; ++i) {
    s += "    def method_" + std::to_string(i) + "(self, value):\n        total = value + " + std::to_string(i) +
         "\n        return helper(total, self.scale)\n\n";
  }
  s += "\ndef after_the_class():\n    return Registry()\n";
  return s;
}

}  // namespace

TEST_CASE("inside a large class, namespace or module, the window is the items of its body") {
  Parser parser;

  SECTION("a Python method in a class of eighty") {
    const Language& py = *languageById("python");
    std::string text = bigPythonClass();
    IncrementalDocument doc(py, text, parser);
    const std::size_t call = at(text, "helper(total, self.scale)\n\n    def method_16") + 3;
    for (const char* letter : {"a", "b"}) {
      type(doc, parser, text, call, 0, letter);
      CHECK(doc.lastUpdate() == Update::Window);
      CHECK(symbolsText(doc.symbols()) == freshSymbols(py, text));
    }
    // A method's body dedented out of the class: the items after it change
    // lists, which the window cannot show; the file is reparsed.
    const std::size_t line = at(text, "        total = value + 20");
    type(doc, parser, text, line, 8, "");
    CHECK(doc.lastUpdate() != Update::Window);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(py, text));
    CHECK(sexp(doc.tree(parser)) == freshTree(py, text));
  }

  SECTION("a C++ function in a namespace, and the namespace's brace") {
    const Language& cpp = *languageById("cpp");
    std::string text = "#include <vector>\n\nnamespace app::detail {\n\n";
    for (int i = 0; i < 120; ++i) {
      text += "int compute_" + std::to_string(i) + "(const std::vector<int>& v) {\n  return helper(v, " + std::to_string(i) + ");\n}\n\n";
    }
    text += "}  // namespace app::detail\n";
    IncrementalDocument doc(cpp, text, parser);
    type(doc, parser, text, at(text, "helper(v, 25)") + 2, 0, "x");
    CHECK(doc.lastUpdate() == Update::Window);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(cpp, text));
    // A second namespace opened inside the first swallows what follows.
    type(doc, parser, text, at(text, "int compute_30"), 0, "namespace inner {\n");
    CHECK(doc.lastUpdate() != Update::Window);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(cpp, text));
    CHECK(sexp(doc.tree(parser)) == freshTree(cpp, text));
  }

  SECTION("a TypeScript declaration in a declare module block") {
    const Language& ts = *languageById("typescript");
    std::string text = "declare module \"store\" {\n    import { Base } from \"base\";\n";
    for (int i = 0; i < 40; ++i) {
      text += "    export interface Record" + std::to_string(i) + " extends Base {\n        id: number;\n        label" +
              std::to_string(i) + ": string;\n    }\n    export function load" + std::to_string(i) + "(id: number): Record" +
              std::to_string(i) + ";\n";
    }
    text += "}\n";
    IncrementalDocument doc(ts, text, parser);
    type(doc, parser, text, at(text, "load17") + 2, 0, "q");
    CHECK(doc.lastUpdate() == Update::Window);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(ts, text));
    type(doc, parser, text, at(text, "label33") + 2, 1, "");
    CHECK(doc.lastUpdate() == Update::Window);
    CHECK(symbolsText(doc.symbols()) == freshSymbols(ts, text));
    CHECK(sexp(doc.tree(parser)) == freshTree(ts, text));
  }
}
