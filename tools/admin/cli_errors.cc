#include "tools/admin/cli_errors.h"

#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  const bool usage = status.code() == Code::kInvalidArgument && status.reason() == kUsageReason;
  return usage ? kExitUsage : kExitFailure;
}

std::string ErrorLine(const Status& status) { return "error: " + OneLine(status.message()); }

}  // namespace tenantkv::tools
