#include "server/app/cluster_options.h"

#include <CLI/CLI.hpp>

#include "crypto/loopback_host.h"
#include "engine/tenants/tenant_id.h"
#include "server/cluster/http_endpoint.h"

namespace tenantkv::server {

Status ClusterOptions::Validate() const {
  const int given = !cluster_etcd.empty() + !node_id.empty() + !advertise_url.empty();
  if (given == 0) {
    if (!cluster_etcd_ca_file.empty()) return Status::InvalidArgument("--cluster-etcd-ca-file needs --cluster-etcd");
    if (!cluster_tls_cert.empty() || !cluster_tls_key.empty() || !cluster_tls_ca.empty()) {
      return Status::InvalidArgument("--cluster-tls-cert, --cluster-tls-key and --cluster-tls-ca need --cluster-etcd");
    }
    return Status::Ok();
  }
  if (given != 3) {
    return Status::InvalidArgument("cluster mode needs all of --cluster-etcd, --node-id and --advertise-url");
  }
  if (auto endpoints = cluster::ParseHttpEndpoints(cluster_etcd); !endpoints.ok()) {
    return Status::InvalidArgument("--cluster-etcd: " + endpoints.status().message());
  }
  if (!engine::IsValidTenantId(node_id)) {
    return Status::InvalidArgument("--node-id must be 1 to 63 of a-z, 0-9 and '-', starting with a letter or digit");
  }
  if (auto url = cluster::ParseHttpEndpoint(advertise_url); !url.ok()) {
    return Status::InvalidArgument("--advertise-url: " + url.status().message());
  }
  if (cluster_tls_cert.empty() != cluster_tls_key.empty()) {
    return Status::InvalidArgument("--cluster-tls-cert and --cluster-tls-key go together");
  }
  if (cluster_forward_io_threads < 1 || cluster_forward_io_threads > 16) {
    return Status::InvalidArgument("--cluster-forward-io-threads must be 1..16");
  }
  if (cluster_move_grace < 0 || cluster_move_grace > 3600) {
    return Status::InvalidArgument("--cluster-move-grace must be 0..3600");
  }
  if (cluster_lease_ttl < 1 || cluster_lease_ttl > 300) {
    return Status::InvalidArgument("--cluster-lease-ttl must be 1..300");
  }
  if (!net::IsLoopbackHost(cluster::ParseHttpEndpoint(advertise_url)->host)) {
    if (cluster::ParseHttpEndpoint(advertise_url)->scheme != "https" || cluster_tls_cert.empty()) {
      return Status::InvalidArgument(
          "a node whose --advertise-url is not a loopback address must talk to the other nodes with mutual TLS "
          "(forwarded requests carry bearer tokens): an https --advertise-url, --cluster-tls-cert and "
          "--cluster-tls-key, and --tls-client-ca");
    }
  }
  return Status::Ok();
}

void ClusterOptions::AddFlags(CLI::App& app) {
  app.add_option("--cluster-etcd", cluster_etcd,
                 "cluster mode: etcd's client URLs, URL[,URL...] (with --node-id and --advertise-url)");
  app.add_option("--node-id", node_id, "cluster mode: this node's id, unique among the live nodes (a-z, 0-9, '-')");
  app.add_option("--advertise-url", advertise_url, "cluster mode: the URL other nodes and clients reach this node at");
  app.add_option("--cluster-lease-ttl", cluster_lease_ttl,
                 "cluster mode: seconds the node's etcd lease lasts without renewal (renewed every third)")
      ->capture_default_str();
  app.add_option("--cluster-forward-io-threads", cluster_forward_io_threads,
                 "cluster mode: threads running the I/O of requests forwarded to other nodes (1..16)")
      ->capture_default_str();
  app.add_option("--cluster-move-grace", cluster_move_grace,
                 "cluster mode: seconds a tenant's copy moved to another node is kept (fenced) before it is deleted")
      ->capture_default_str();
  app.add_option("--cluster-tls-cert", cluster_tls_cert,
                 "cluster mode: PEM client certificate this node presents to the other nodes (mutual TLS)");
  app.add_option("--cluster-tls-key", cluster_tls_key, "cluster mode: the private key of --cluster-tls-cert (PEM)");
  app.add_option("--cluster-tls-ca", cluster_tls_ca,
                 "cluster mode: PEM CA bundle the other nodes' certificates must verify against (default: system)");
  app.add_option("--cluster-etcd-ca-file", cluster_etcd_ca_file,
                 "cluster mode: PEM CA bundle to verify https etcd endpoints against (default: the system store)");
}

}  // namespace tenantkv::server
