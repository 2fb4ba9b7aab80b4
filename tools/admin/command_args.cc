#include "tools/admin/command_args.h"

namespace tenantkv::tools {

CLI::Option* AddRequiredArg(CLI::App& command, const std::string& name,
                            const std::string& description) {
  const CLI::Validator non_empty(
      [](std::string& value) { return value.empty() ? std::string("must not be empty") : ""; }, "",
      "NON_EMPTY");
  return command.add_option(name, description)->required()->check(non_empty);
}

std::optional<std::string> OptionalValue(const CLI::Option* option) {
  if (option->count() == 0) return std::nullopt;
  return option->as<std::string>();
}

std::vector<std::string> RepeatedValues(const CLI::Option* option) {
  if (option->count() == 0) return {};
  return option->as<std::vector<std::string>>();
}

}  // namespace tenantkv::tools
