// Small helpers shared by the Add*Commands() registrations, so that every
// command declares its arguments the same way.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tenantkv::tools {

// A required positional argument that may not be empty (an empty id would
// change the route, e.g. "tenants show ''" would become "tenants list").
CLI::Option* AddRequiredArg(CLI::App& command, const std::string& name,
                            const std::string& description);

// The value of an option that may be absent.
std::optional<std::string> OptionalValue(const CLI::Option* option);

// Every value of an option that may be given several times, in order; empty
// when it is absent.
std::vector<std::string> RepeatedValues(const CLI::Option* option);

}  // namespace tenantkv::tools
