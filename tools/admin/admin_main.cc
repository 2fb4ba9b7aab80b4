// tenantkv-admin: parse the command line, run the command, print the answer.
#include <cstdlib>
#include <exception>
#include <iostream>

#include "tools/admin/cli_errors.h"
#include "tools/admin/command_line.h"
#include "tools/admin/invocation.h"
#include "tools/admin/terminal_text.h"
#include "tools/admin/token_source.h"

namespace {

int Run(int argc, char** argv) {
  using namespace tenantkv::tools;
  ParsedArgs parsed = ParseArgs(argc, argv);
  if (!parsed.invocation) {
    (parsed.exit_code == kExitOk ? std::cout : std::cerr) << parsed.output;
    return parsed.exit_code;
  }
  tenantkv::Result<CommandOutput> output = ExecuteCommand(*parsed.invocation, std::getenv(kTokenEnvVar));
  if (!output.ok()) {
    std::cout << std::flush;  // what a program printed before it failed comes first
    std::cerr << ErrorLine(output.status()) << '\n';
    return ExitCodeFor(output.status());
  }
  std::cout << output->text << std::flush;
  return std::cout ? output->exit_code : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // a library threw: report it as one line
    std::cerr << "error: internal: " << tenantkv::tools::OneLine(e.what()) << '\n';
    return tenantkv::tools::kExitFailure;
  }
}
