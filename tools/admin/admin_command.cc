#include "tools/admin/admin_command.h"

#include "tools/admin/problem_details.h"

namespace tenantkv::tools {
namespace {

bool IsSuccess(int status) { return status >= 200 && status < 300; }

Result<Json> ParseBody(const HttpResponse& response, bool text_body_ok) {
  if (response.body.empty()) return Json::object();
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_discarded()) return body;
  if (text_body_ok) return Json(response.body);
  return Status::Internal(
      "the server answered " + std::to_string(response.status) + " with a body that is not JSON",
      "bad_answer");
}

std::string Pretty(const Json& body) {
  return body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

Result<std::string> RunCommand(const AdminCommand& command, HttpTransport& transport,
                               bool json_output) {
  Result<HttpResponse> response = transport.Send(command.request);
  if (!response.ok()) return response.status();
  if (!IsSuccess(response->status)) return HttpErrorStatus(response->status, response->body);
  Result<Json> body = ParseBody(*response, command.text_body_ok);
  if (!body.ok()) return body.status();
  if (command.follow_up) {
    body = command.follow_up(*body, transport);
    if (!body.ok()) return body.status();
  }
  if (command.check) {
    Status s = command.check(*body);
    if (!s.ok()) return s;
  }
  if (json_output) return Pretty(*body);
  return command.render(*body);
}

Result<CommandOutput> RunCommandOutput(const AdminCommand& command, HttpTransport& transport,
                                       bool json_output, ProgramContext::Connect connect) {
  if (command.program) return command.program(transport, ProgramContext{json_output, std::move(connect)});
  Result<std::string> text = RunCommand(command, transport, json_output);
  if (!text.ok()) return text.status();
  return CommandOutput{std::move(text).value(), 0};
}

}  // namespace tenantkv::tools
