// Thread priority: a connection whose requests are being refused by
// admission (429: rate, concurrency or I/O quota) is served at the lowest
// CPU priority (SCHED_IDLE) until one of its requests is admitted again.
//
// Admission stops a flooding tenant's requests from reaching storage, but
// each refusal is still a full HTTP exchange (read, parse, authenticate,
// answer); thousands a second compete for the same cores as the requests of
// tenants within their quota. Demoting the thread after a refusal makes the
// kernel run everyone else first: the flood's refusals (and the reading of
// its next request) use only CPU nobody else wants. Refusals are still
// decided and answered at once; they are just last in line for the CPU.
//
// No global lock may be taken while demoted (a demoted holder would stall
// normal threads waiting for it): the thread is restored before logging and
// before its connection ends, and admitted work is restored before it runs.
// Switching back from SCHED_IDLE needs CAP_SYS_NICE or RLIMIT_NICE >= 20;
// Enable() probes that once and the feature stays off where it is not
// permitted.
#pragma once

namespace tenantkv::server::thread_priority {

// Probes whether this process may switch threads to SCHED_IDLE and back;
// true if the feature is on afterwards. Call once at start-up.
bool Enable();
bool Enabled();
// Only for tests: turns the feature off again.
void DisableForTest();

// This thread's current request was refused: it is demoted after its
// answer is written (AfterResponse).
void RefusedByAdmission();
// This thread's request was admitted: back to normal priority now.
void Admitted();
// Back to normal priority if demoted (before logging, at connection end).
void Restore();
// After the answer is written: demote if the request was refused.
void AfterResponse();
// Whether this thread currently runs at SCHED_IDLE (tests).
bool IsIdle();

}  // namespace tenantkv::server::thread_priority
