// The call-arity check: a bare call of a project function (defined in the
// same file or imported by name from a project module) that passes more
// arguments than it accepts, or fewer than it requires. Python and TypeScript,
// whose parameter lists say so; silent when anything is unsure (overloads,
// decorators, *args/**kwargs at the call, a parameter or nested definition
// shadowing the name, a target with syntax errors).
#pragma once

#include <string>
#include <vector>

#include "server/analysis/resolve.hpp"

namespace cadre::analysis {

struct Diagnostic;

void checkCallArity(const ProjectIndex& index, const Resolver& resolver, const std::string& path, const FileSymbols& symbols,
                    std::vector<Diagnostic>& out);

}  // namespace cadre::analysis
