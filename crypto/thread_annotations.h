// Macros for clang's thread-safety analysis (-Wthread-safety).
//
// They let a class state its lock rules in code: which mutex guards a member
// (GUARDED_BY), which lock a function expects its caller to hold (REQUIRES)
// or to not hold (EXCLUDES), and which functions take or let go of a lock
// (ACQUIRE / RELEASE). Clang then checks every access at compile time; the
// top-level CMakeLists.txt makes a violation an error. Other compilers see
// empty macros, so the annotations cost nothing there.
//
// Use them on tenantkv::Mutex and friends (crypto/mutex.h): std::mutex
// itself carries no capability attributes in libstdc++.
//
// The attribute names are clang's (see its ThreadSafetyAnalysis docs).
#pragma once

#if defined(__clang__)
#define TKV_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define TKV_THREAD_ANNOTATION_(x)
#endif

// On a class: its objects are locks ("capabilities") the analysis tracks.
#ifndef CAPABILITY
#define CAPABILITY(name) TKV_THREAD_ANNOTATION_(capability(name))
#endif

// On a class: RAII objects that hold a lock from construction to destruction.
#ifndef SCOPED_CAPABILITY
#define SCOPED_CAPABILITY TKV_THREAD_ANNOTATION_(scoped_lockable)
#endif

// On a data member: reading needs the lock at least shared, writing needs it
// exclusive.
#ifndef GUARDED_BY
#define GUARDED_BY(x) TKV_THREAD_ANNOTATION_(guarded_by(x))
#endif

// On a pointer member: the same rule for the data it points to (the pointer
// itself is not guarded).
#ifndef PT_GUARDED_BY
#define PT_GUARDED_BY(x) TKV_THREAD_ANNOTATION_(pt_guarded_by(x))
#endif

// On a mutex member: the lock order. Checked only with -Wthread-safety-beta.
#ifndef ACQUIRED_BEFORE
#define ACQUIRED_BEFORE(...) TKV_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#endif
#ifndef ACQUIRED_AFTER
#define ACQUIRED_AFTER(...) TKV_THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))
#endif

// On a function: the caller must hold the lock(s), exclusive or shared.
#ifndef REQUIRES
#define REQUIRES(...) TKV_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#endif
#ifndef REQUIRES_SHARED
#define REQUIRES_SHARED(...) TKV_THREAD_ANNOTATION_(requires_shared_capability(__VA_ARGS__))
#endif

// On a function: it takes the lock(s) and returns holding them. Without an
// argument (on a member of a CAPABILITY class), the object itself.
#ifndef ACQUIRE
#define ACQUIRE(...) TKV_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#endif
#ifndef ACQUIRE_SHARED
#define ACQUIRE_SHARED(...) TKV_THREAD_ANNOTATION_(acquire_shared_capability(__VA_ARGS__))
#endif

// On a function: it lets go of lock(s) the caller held.
#ifndef RELEASE
#define RELEASE(...) TKV_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#endif
#ifndef RELEASE_SHARED
#define RELEASE_SHARED(...) TKV_THREAD_ANNOTATION_(release_shared_capability(__VA_ARGS__))
#endif
#ifndef RELEASE_GENERIC
#define RELEASE_GENERIC(...) TKV_THREAD_ANNOTATION_(release_generic_capability(__VA_ARGS__))
#endif

// On a function returning bool: it holds the lock afterwards iff it returned
// the given value.
#ifndef TRY_ACQUIRE
#define TRY_ACQUIRE(...) TKV_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
#endif
#ifndef TRY_ACQUIRE_SHARED
#define TRY_ACQUIRE_SHARED(...) TKV_THREAD_ANNOTATION_(try_acquire_shared_capability(__VA_ARGS__))
#endif

// On a function: the caller must NOT hold the lock(s), because the function
// takes them itself (a second lock of a std::mutex deadlocks).
#ifndef EXCLUDES
#define EXCLUDES(...) TKV_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#endif

// On a function: it checks at run time that the lock is held (or crashes);
// the analysis takes it as held from there on.
#ifndef ASSERT_CAPABILITY
#define ASSERT_CAPABILITY(x) TKV_THREAD_ANNOTATION_(assert_capability(x))
#endif
#ifndef ASSERT_SHARED_CAPABILITY
#define ASSERT_SHARED_CAPABILITY(x) TKV_THREAD_ANNOTATION_(assert_shared_capability(x))
#endif

// On a function: it returns a reference to the given lock.
#ifndef RETURN_CAPABILITY
#define RETURN_CAPABILITY(x) TKV_THREAD_ANNOTATION_(lock_returned(x))
#endif

// On a function: the analysis skips its body. Each use says why in a comment.
#ifndef NO_THREAD_SAFETY_ANALYSIS
#define NO_THREAD_SAFETY_ANALYSIS TKV_THREAD_ANNOTATION_(no_thread_safety_analysis)
#endif
