// Layering probe: the kv room lies below the tenants room, so this include
// must not compile (tests/layering/CMakeLists.txt).
#include "engine/kv/tenant_store.h"
#include "engine/tenants/tenant.h"

int LayeringKvSeesTenantsProbe() { return 0; }
