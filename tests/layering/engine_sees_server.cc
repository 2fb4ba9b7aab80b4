// Layering probe: the engine speaks no HTTP and knows nothing of the
// server, so this include must not compile (tests/layering/CMakeLists.txt).
#include "engine/engine.h"
#include "server/api/api.h"

int LayeringEngineSeesServerProbe() { return 0; }
