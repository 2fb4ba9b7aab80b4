// Crash points: named places of the cluster's protocols (a move between
// nodes) where a test can have the process die as under kill -9, to show
// that every step resumes or rolls back.
//
// The process reads TENANTKV_CRASH_AT once: when it names a point, that
// point logs one line and sends the process SIGKILL, which no handler can
// catch and which leaves exactly what a kill -9 from outside would (no
// flush, no destructor). Unset (as in production), a point costs one load
// of a cached flag. Names are "move.<side>.<step>" (docs/testing.md lists
// them).
#pragma once

#include <string_view>

namespace tenantkv::server::cluster {

void CrashPoint(std::string_view name);

}  // namespace tenantkv::server::cluster
