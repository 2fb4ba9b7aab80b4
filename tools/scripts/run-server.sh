#!/usr/bin/env bash
# Installs what is missing, builds, and starts tenantkv-server on embedded
# defaults (data in ./data, 127.0.0.1:8080). Extra arguments go to the
# server, e.g. --listen 127.0.0.1:0 or --data-dir /srv/tenantkv.
source "$(dirname "$0")/common.sh"
tkv_install_deps
# Only the server and the admin tool: the test suite is not needed to run.
tkv_build "$TKV_ROOT/build" -- tenantkv-server tenantkv-admin
exec "$TKV_ROOT/build/bin/tenantkv-server" "$@"
