#include "engine/engine.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace tenantkv::engine {

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options,
                                             std::unique_ptr<crypto::KeyProvider> keys) {
  if (options.data_dir.empty()) return Status::InvalidArgument("data_dir must be set");
  if (::mkdir(options.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal("create data dir " + options.data_dir + ": " + std::strerror(errno));
  }
  std::unique_ptr<Engine> e(new Engine());
  e->clock_ = options.clock != nullptr ? options.clock : SystemClock::Default();
  e->keys_ = std::move(keys);
  StorageOptions so;
  so.path = options.data_dir + "/db";
  so.sync_writes = options.sync_writes;
  so.block_cache_bytes = options.block_cache_bytes;
  so.memtable_budget_bytes = options.memtable_budget_bytes;
  TKV_ASSIGN_OR_RETURN(e->storage_, Storage::Open(so));
  TKV_ASSIGN_OR_RETURN(e->api_keys_, ApiKeyStore::Open(e->storage_.get(), e->clock_));
  RegistryOptions ro;
  ro.max_value_bytes = options.max_value_bytes;
  TKV_ASSIGN_OR_RETURN(e->registry_,
                       TenantRegistry::Open(e->storage_.get(), e->keys_.get(), e->clock_, ro));
  return e;
}

Status Engine::DeleteTenant(const std::string& id) {
  TKV_RETURN_IF_ERROR(registry_->Get(id).status());
  TKV_RETURN_IF_ERROR(api_keys_->RemoveTenant(id));
  return registry_->Delete(id);
}

}  // namespace tenantkv::engine
