#include "tools/admin/apikey_view.h"

#include "tools/admin/json_table.h"

namespace tenantkv::tools {

std::string RenderApiKeyCreated(const Json& key) {
  std::string out = FieldTable(key, {"tenant", "key_id", "name", "role", "created_at", "expires_at", "token"}).Render();
  if (FindPath(key, "token") != nullptr) {
    AppendSection(out, "", "The token is shown only this once: store it now.\n");
  }
  return out;
}

std::string RenderApiKeyList(const Json& body) {
  const Json* keys = FindPath(body, "keys");
  const Json rows = keys != nullptr ? *keys : Json::array();
  const std::vector<Column> columns = ColumnsWithExtras(rows, {
                                                                  {"KEY_ID", "key_id"},
                                                                  {"NAME", "name"},
                                                                  {"ROLE", "role"},
                                                                  {"STATE", "state"},
                                                                  {"CREATED_AT", "created_at"},
                                                                  {"EXPIRES_AT", "expires_at"},
                                                              });
  return RowsTable(rows, columns).Render();
}

}  // namespace tenantkv::tools
