#include "tools/admin/paged_list.h"

#include <utility>

#include "tools/admin/percent_encoding.h"
#include "tools/admin/problem_details.h"

namespace tenantkv::tools {
namespace {

Status BadAnswer(const std::string& why) { return Status::Internal("the server's list " + why, "bad_answer"); }

// The page's cursor as sent back in start_after: a string as it is, a
// number in decimal; "" on the last page.
Result<std::string> Cursor(const Json& page) {
  if (!page.is_object()) return BadAnswer("page is not a JSON object");
  auto next = page.find("next");
  if (next == page.end() || next->is_null()) return std::string();
  if (next->is_string()) return next->get<std::string>();
  if (next->is_number_integer()) return next->dump();
  return BadAnswer("page has a \"next\" that is neither a string nor an integer");
}

}  // namespace

std::function<Result<Json>(const Json& first, HttpTransport& transport)> FollowPages(std::string path,
                                                                                    std::string items) {
  return [path = std::move(path), items = std::move(items)](const Json& first,
                                                            HttpTransport& transport) -> Result<Json> {
    Json all = first;
    if (!all.is_object() || !all.contains(items) || !all[items].is_array()) {
      return BadAnswer("has no \"" + items + "\" array");
    }
    Result<std::string> cursor = Cursor(first);
    while (cursor.ok() && !cursor->empty()) {
      Result<HttpResponse> r =
          transport.Send({"GET", path + (path.find('?') == std::string::npos ? "?" : "&") + "start_after=" +
                                     EncodePathSegment(*cursor),
                          std::nullopt});
      if (!r.ok()) return r.status();
      if (r->status < 200 || r->status >= 300) return HttpErrorStatus(r->status, r->body);
      const Json page = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
      if (page.is_discarded() || !page.is_object() || !page.contains(items) || !page[items].is_array()) {
        return BadAnswer("page has no \"" + items + "\" array");
      }
      for (const auto& item : page[items]) all[items].push_back(item);
      Result<std::string> next = Cursor(page);
      if (next.ok() && !next->empty() && *next == *cursor) return BadAnswer("cursor does not move on");
      cursor = std::move(next);
    }
    if (!cursor.ok()) return cursor.status();
    if (all.contains("next")) all["next"] = nullptr;
    return all;
  };
}

AdminCommand PagedListCommand(const std::string& path, const QueryParams& params,
                              const std::optional<std::string>& start_after, bool all, std::string items,
                              Renderer render) {
  std::string query;  // without the cursor: later pages (all) add their own
  for (const auto& [name, value] : params) {
    if (value) query += (query.empty() ? "?" : "&") + name + "=" + EncodePathSegment(*value);
  }
  const std::string pages = path + query;
  std::string first = pages;
  if (start_after) first += (query.empty() ? "?" : "&") + std::string("start_after=") + EncodePathSegment(*start_after);
  AdminCommand c{{"GET", first, std::nullopt}, std::move(render)};
  if (all) c.follow_up = FollowPages(pages, std::move(items));
  return c;
}

}  // namespace tenantkv::tools
