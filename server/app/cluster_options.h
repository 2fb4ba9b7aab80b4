// ClusterOptions: the settings of cluster mode (docs/operations.md,
// "A cluster"). All three of --cluster-etcd, --node-id and --advertise-url,
// or none: without them the node runs alone and needs no etcd. None change
// at run time.
#pragma once

#include <string>

#include "crypto/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace tenantkv::server {

struct ClusterOptions {
  // etcd's client URLs, "URL[,URL...]" (http:// or https://, no path); "" = standalone.
  std::string cluster_etcd;
  // This node's id in the cluster: the syntax of a tenant id
  // (^[a-z0-9][a-z0-9-]{0,62}$), unique among the live nodes.
  std::string node_id;
  // How other nodes and clients reach this node (http:// or https://, no path).
  std::string advertise_url;
  // The node's etcd lease (seconds, 1..300): its record lapses this long
  // after it stops renewing, and it renews every third of it.
  int cluster_lease_ttl = 10;
  // https etcd endpoints: a PEM CA bundle to verify them against; "" = the system store.
  std::string cluster_etcd_ca_file;

  // Node to node (forwarded requests carry bearer tokens): this node's
  // client certificate and key (PEM), and the CA the other nodes'
  // certificates must verify against. Required, with an https advertise URL
  // and --tls-client-ca, when the advertise URL is not a loopback address.
  std::string cluster_tls_cert;
  std::string cluster_tls_key;
  std::string cluster_tls_ca;

  // Threads running the asynchronous I/O of requests forwarded to other
  // nodes (1..16).
  int cluster_forward_io_threads = 1;

  // Seconds (0..3600) a copy of a tenant moved to another node is kept,
  // fenced, before this node deletes it.
  int cluster_move_grace = 30;

  bool cluster_mode() const { return !cluster_etcd.empty(); }
  // InvalidArgument naming the first bad setting.
  Status Validate() const;
  void AddFlags(CLI::App& app);
};

}  // namespace tenantkv::server
