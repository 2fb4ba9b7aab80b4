// Layering probe: tenantkv-admin talks HTTP only and takes nothing of the
// engine, so this include must not compile (tests/layering/CMakeLists.txt).
#include "crypto/status.h"
#include "engine/storage/storage.h"

int LayeringAdminSeesEngineProbe() { return 0; }
