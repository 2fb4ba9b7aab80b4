// Api::Authorize: who may call a route (router.h's Access), from the
// request's credentials. Authentication itself is the Authenticator's.
#include "crypto/loopback_host.h"
#include "server/api/api.h"

namespace tenantkv::server {

Status Api::Authorize(const Route& route, Call& call) {
  if (route.access == Access::kPublic) return Status::Ok();
  if (route.access == Access::kNode) {
    if (!cluster_.enabled()) return Status::NotFound("no such route", "route_not_found");
    if (!call.req.tls_client_verified && !net::IsLoopbackHost(call.req.remote_addr)) {
      return Status::PermissionDenied("the cluster's internal routes need a node's verified TLS client certificate",
                                      "node_tls_required");
    }
    return Status::Ok();
  }
  // An expired key's refusal names its tenant (in the metrics and the
  // access log), as a valid key refused by the rules below does.
  Result<Principal> principal = auth_->Authenticate(call.req.Header("Authorization"), &call.principal.key_tenant);
  if (!principal.ok()) return principal.status();
  call.principal = std::move(principal).value();
  const Principal& p = call.principal;
  switch (route.access) {
    case Access::kPublic:
    case Access::kNode:  // checked above
      return Status::Ok();
    case Access::kOperator:
      if (!p.is_operator) return Status::PermissionDenied("this route needs the operator token", "operator_only");
      return Status::Ok();
    case Access::kSelf: {
      if (p.is_operator) return Status::Ok();
      if (p.role != engine::Role::kAdmin || p.tenant != call.params["id"]) {
        return Status::PermissionDenied("this route needs the operator token or an admin key of this tenant",
                                        "forbidden");
      }
      break;
    }
    case Access::kSelfQuery: {
      if (p.is_operator) return Status::Ok();
      auto named = call.query.find("tenant");
      if (p.role != engine::Role::kAdmin || named == call.query.end() || named->second != p.tenant) {
        return Status::PermissionDenied(
            "this route needs the operator token, or an admin key with ?tenant= naming its own tenant", "forbidden");
      }
      break;
    }
    case Access::kOwnPlan: {
      if (p.is_operator) return Status::Ok();
      if (p.role != engine::Role::kAdmin || p.key_tenant == nullptr ||
          p.key_tenant->Info().plan != call.params["name"]) {
        return Status::PermissionDenied("this route needs the operator token or an admin key of a tenant on this plan",
                                        "forbidden");
      }
      break;
    }
    case Access::kTenant: {
      if (p.is_operator) {
        return Status::PermissionDenied("data routes need a tenant API key, not the operator token",
                                        "tenant_token_required");
      }
      if (route.writes && p.role == engine::Role::kRead) {
        return Status::PermissionDenied("this key may only read", "insufficient_role");
      }
      break;
    }
  }
  // A tenant key: the authentication found its own tenant live (not a
  // later one of the same id); it must also be active.
  if (p.key_tenant == nullptr) return Status::Unauthenticated("invalid or revoked API token", "invalid_token");
  call.tenant = p.key_tenant;  // counted as the tenant's even if refused below
  if (call.tenant->state() == engine::TenantState::kSuspended && route.access == Access::kTenant) {
    return Status::PermissionDenied("the tenant is suspended", "tenant_suspended");
  }
  return Status::Ok();
}

}  // namespace tenantkv::server
