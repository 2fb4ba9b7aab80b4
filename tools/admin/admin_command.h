// A command of tenantkv-admin as data: the request it sends and how its
// answer is shown. Each command family (tenants, apikeys, ...) has a file
// with pure builders returning an AdminCommand and one Add*Commands()
// function registering its CLI11 subcommands.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "crypto/status.h"
#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// The human view of a 2xx answer; it gets {} for an empty body. Its text
// ends in '\n'.
using Renderer = std::function<std::string(const Json& body)>;

// What a command leaves for stdout and the exit code of a run that did not
// fail (0; `plan` with drift: kExitDrift).
struct CommandOutput {
  std::string text;
  int exit_code = 0;
};

// What a program (AdminCommand::program) gets besides the transport to --server.
struct ProgramContext {
  bool json_output = false;  // --json: the program prints JSON instead of text
  // Connects to another server of the cluster (a node's advertised URL)
  // with this run's token, CA bundle and timeouts. Unset: only --server
  // can be reached.
  using Connect = std::function<Result<std::unique_ptr<HttpTransport>>(const std::string& url)>;
  Connect connect = nullptr;
};

struct AdminCommand {
  HttpRequest request;        // what to send
  Renderer render;            // the output without --json
  bool text_body_ok = false;  // a non-JSON 2xx body is given to render as a JSON string
  // Optional: judges a 2xx answer; an error here is the command's failure
  // (e.g. `audit --verify` of a broken chain), with or without --json.
  std::function<Status(const Json& body)> check = nullptr;
  // Optional: a command made of several requests (e.g. `keys rotate --all`)
  // sends the rest here, given the first 2xx answer; what it returns is
  // the command's answer (checked, printed or rendered as above).
  std::function<Result<Json>(const Json& body, HttpTransport& transport)> follow_up = nullptr;
  // Optional: a command that is a program of its own rather than one
  // request (apply, plan, export-config). When set it runs instead of all
  // of the above, except request.authenticated, which still says whether a
  // token is loaded; --json is the program's to honour (context.json_output).
  std::function<Result<CommandOutput>(HttpTransport& transport, const ProgramContext& context)> program =
      nullptr;
};

// Filled by the callback of the subcommand chosen on the command line: the
// command, or the usage error that building it found.
using CommandSlot = std::optional<Result<AdminCommand>>;

// Sends `command.request` and returns the text for stdout, ending in '\n':
// with `json_output` the body pretty-printed with a 2-space indent ("{}" for
// an empty body), else command.render(body). Errors: the transport's error;
// HttpErrorStatus() for a non-2xx answer; Code::kInternal (reason
// "bad_answer") for a 2xx body that is not JSON unless text_body_ok.
// As RunCommand, or command.program when it has one: the text and the exit code.
// `connect` is given to a program (ProgramContext::connect).
Result<CommandOutput> RunCommandOutput(const AdminCommand& command, HttpTransport& transport,
                                       bool json_output, ProgramContext::Connect connect = nullptr);

Result<std::string> RunCommand(const AdminCommand& command, HttpTransport& transport,
                               bool json_output);

}  // namespace tenantkv::tools
