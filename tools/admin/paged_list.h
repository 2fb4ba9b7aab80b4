// Paged admin lists (API keys, quota history, tenants): the server answers one page,
// {"<items>": [...], "next": <cursor or null>}, and the next page is asked
// for with ?start_after=<cursor>. The CLI shows the whole list.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/status.h"
#include "tools/admin/admin_command.h"
#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// An AdminCommand::follow_up for the list at `path` (which may carry a
// query of its own, e.g. filters, kept on every page) whose items are the
// array `items`: given the first page, it fetches every later page and
// answers the first page's body with all the items and "next": null, as if
// the list had come in one page. A page without "next" is the last (an
// older server). Errors: the transport's; HttpErrorStatus() for a non-2xx
// page; Code::kInternal ("bad_answer") for a page that is not such a list
// or a cursor that does not move on.
std::function<Result<Json>(const Json& first, HttpTransport& transport)> FollowPages(std::string path,
                                                                                    std::string items);

// GET of the list at `path` with the `params` that are set (in order,
// percent-encoded, kept on every page), its first page starting after
// `start_after` when given; with `all`, FollowPages over `items`.
using QueryParams = std::vector<std::pair<std::string, std::optional<std::string>>>;
AdminCommand PagedListCommand(const std::string& path, const QueryParams& params,
                              const std::optional<std::string>& start_after, bool all, std::string items,
                              Renderer render);

}  // namespace tenantkv::tools
