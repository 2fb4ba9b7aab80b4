#!/usr/bin/env bash
# Builds tenantkv-server and tenantkv-noop-server as they were at a git
# commit, so that the benchmark scripts can measure that build beside the
# current one in the same run (peers.sh --baseline-ref REF; the other
# scripts take its output as --server-bin). Prints the directory holding
# the two binaries as the last line of stdout.
#
#   tools/bench/scripts/baseline-build.sh REF [--root DIR] [--build-type TYPE]
#
# The commit's tree is exported with `git archive` (the repository, its
# worktrees and its branches are left as they are) into DIR/<full sha>/src
# and built in its build/ folder, as in a worktree, outside the repository
# (DIR defaults to $TKV_BASELINE_ROOT or /tmp/tkv-baseline). A second call
# for the same commit reuses both. With ccache (CCACHE_BASEDIR the tree,
# the build dir inside it, so the compiler sees the same relative paths as
# in any worktree's build/), files that have not changed since the commit
# compile from the cache. TYPE defaults to the current build's
# CMAKE_BUILD_TYPE (build/CMakeCache.txt) so that both are compiled alike,
# else RelWithDebInfo.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
ref=""
root="${TKV_BASELINE_ROOT:-/tmp/tkv-baseline}"
build_type=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --build-type) build_type="$2"; shift 2 ;;
    -*) echo "usage: $0 REF [--root DIR] [--build-type TYPE]" >&2; exit 2 ;;
    *) [ -z "$ref" ] || { echo "one REF only" >&2; exit 2; }; ref="$1"; shift ;;
  esac
done
[ -n "$ref" ] || { echo "usage: $0 REF [--root DIR] [--build-type TYPE]" >&2; exit 2; }
sha="$(git -C "$repo" rev-parse --verify --quiet "$ref^{commit}")" ||
  { echo "$ref is not a commit of $repo" >&2; exit 2; }
if [ -z "$build_type" ]; then
  build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$repo/build/CMakeCache.txt" 2>/dev/null || true)"
  [ -n "$build_type" ] || build_type=RelWithDebInfo
fi
case "$root" in
  "$repo"|"$repo"/*) echo "--root must be outside the repository ($repo)" >&2; exit 2 ;;
esac
dir="$root/$sha"
log() { echo "[$(date +%T)] baseline: $*" >&2; }

if [ ! -f "$dir/src/.exported" ]; then
  log "exporting ${sha:0:12} into $dir/src"
  rm -rf "$dir/src"
  mkdir -p "$dir/src"
  git -C "$repo" archive --format=tar "$sha" | tar -x -C "$dir/src"
  echo "$sha" >"$dir/src/.exported"
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the tree, so the current build's cache entries match.
  export CCACHE_BASEDIR="$dir/src" CCACHE_NOHASHDIR=1 CCACHE_SLOPPINESS=pch_defines,time_macros
fi
if [ ! -f "$dir/src/build/build.ninja" ] ||
   [ "$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$dir/src/build/CMakeCache.txt")" != "$build_type" ]; then
  log "configuring ($build_type)"
  cmake -S "$dir/src" -B "$dir/src/build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "${launcher[@]}" \
    >"$dir/configure.log" 2>&1 || { tail -20 "$dir/configure.log" >&2; exit 1; }
fi
log "building tenantkv-server tenantkv-noop-server at ${sha:0:12} (log: $dir/build.log)"
cmake --build "$dir/src/build" -j"$(nproc)" --target tenantkv-server tenantkv-noop-server \
  >"$dir/build.log" 2>&1 || { grep -A5 FAILED "$dir/build.log" | head -40 >&2; exit 1; }
for b in tenantkv-server tenantkv-noop-server; do
  [ -x "$dir/src/build/bin/$b" ] || { echo "$dir/src/build/bin/$b was not built" >&2; exit 1; }
done
echo "$dir/src/build/bin"
