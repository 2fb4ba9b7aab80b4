// tenantkv-bench: parse the command line, run the load, print the report.
#include <exception>
#include <iostream>

#include "tools/bench/bench_command.h"
#include "tools/bench/bench_options.h"

namespace {

int Run(int argc, char** argv) {
  using namespace tenantkv::bench;
  ParsedCommandLine parsed = ParseCommandLine(argc, argv);
  if (!parsed.options) {
    (parsed.exit_code == kExitOk ? std::cout : std::cerr) << parsed.output;
    return parsed.exit_code;
  }
  const tenantkv::Status status = Execute(*parsed.options, std::cout, std::cerr);
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << '\n';
    return ExitCodeFor(status);
  }
  return std::cout ? kExitOk : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // a library threw (thread creation, allocation)
    std::cerr << "error: internal: " << e.what() << '\n';
    return tenantkv::bench::kExitFailure;
  }
}
