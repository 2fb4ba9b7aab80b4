// Layering probe (control): a file of the kv library may include what kv
// depends on: the keys room below it and the crypto layer.
#include "crypto/status.h"
#include "engine/keys/keyring.h"
#include "engine/kv/value_envelope.h"

int LayeringControlProbe() { return 0; }
