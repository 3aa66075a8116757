// cli/commands.hpp: one function per verb; each takes the arguments after the verb and returns
// the process exit code (pymatrix::ExitCode). Errors are thrown as pymatrix::Error.
#pragma once

#include <string>
#include <vector>

namespace pymatrix::cli {

using Args = std::vector<std::string>;

int cmd_plan(const Args& args);
int cmd_generate(const Args& args);
int cmd_build(const Args& args);
int cmd_inspect(const Args& args);
int cmd_host(const Args& args);
int cmd_check(const Args& args);
int cmd_select(const Args& args);
int cmd_bench(const Args& args);
int cmd_ci_matrix(const Args& args);

}  // namespace pymatrix::cli
