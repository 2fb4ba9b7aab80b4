// tenantkv-admin webhooks create|list|show|delete|deliveries: webhook
// alert endpoints. With --tenant ID the tenant's own (create needs that
// tenant's admin key as the token: /v1/webhooks; list, show, delete and
// deliveries work with it or the operator's:
// /admin/v1/tenants/{id}/webhooks); without, the operator's global ones
// (/admin/v1/webhooks). The secret is printed once, at create.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

struct WebhookCreateOptions {
  std::string url;
  std::vector<std::string> events;
  std::optional<std::string> description;
  std::optional<int64_t> threshold_pct;
  std::optional<int64_t> exhaustion_hours;
  std::optional<int64_t> throttle_per_min;
};

// `tenant` "" = global.
AdminCommand WebhooksCreate(const std::string& tenant, const WebhookCreateOptions& options);
AdminCommand WebhooksList(const std::string& tenant);
AdminCommand WebhooksShow(const std::string& tenant, const std::string& wid);
AdminCommand WebhooksDelete(const std::string& tenant, const std::string& wid);
AdminCommand WebhooksDeliveries(const std::string& tenant, const std::string& wid, std::optional<int64_t> limit,
                                std::optional<std::string> start_after = std::nullopt);

void AddWebhookCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
