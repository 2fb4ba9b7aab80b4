# Shared by run-server.sh and run-tests.sh: install what is missing, build.
# Sourced, not run. Needs root (or sudo) only when a package is missing.
set -euo pipefail

TKV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TKV_PACKAGES=(build-essential cmake pkg-config libssl-dev librocksdb-dev libboost-dev
              libcpp-httplib-dev nlohmann-json3-dev libgtest-dev libgmock-dev libcli11-dev
              libspdlog-dev libfmt-dev libbenchmark-dev curl ccache ninja-build
              libyaml-cpp-dev  # tenantkv-admin apply: tenancy files in YAML
              libabsl-dev  # absl::Mutex: an 8-byte mutex (crypto/mutex.h)
              softhsm2 libp11-kit-dev  # PKCS#11: the provider's header; SoftHSM2 for its tests
              nodejs npm)  # the console's build; the TypeScript SDK and the OpenAPI check
# Only for the test suite (run-tests.sh): the console's browser tests, the
# Python SDK's tests (openssl: their test PKI), the cluster tests' etcd
# (etcd-server: /usr/bin/etcd; the tests start their own, and fail without it).
TKV_TEST_PACKAGES=(chromium python3-pytest python3-requests python3-mypy openssl etcd-server)
# Only for the libFuzzer targets (fuzz.sh, the fuzz pass of run-tests.sh).
TKV_FUZZ_PACKAGES=(clang libclang-rt-14-dev)

# tkv_install_deps [extra packages...]
tkv_install_deps() {
  local missing=() provided
  # Virtual packages an installed one provides count as installed: NodeSource's
  # nodejs provides (and conflicts with) npm, so asking apt for npm would fail.
  provided="$(dpkg-query -W -f='${db:Status-Status} ${Provides}\n' 2>/dev/null |
              sed -n 's/^installed //p' | tr ',' '\n' | sed 's/ *(.*//; s/^ *//')"
  for p in "${TKV_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
    grep -qxF "$p" <<<"$provided" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Rebuilds are incremental across clean clones: ccache keeps its cache
# outside the clone (ccache's own default, ~/.cache/ccache, unless CCACHE_DIR
# says otherwise), paths inside the clone are hashed relative to it, and the
# build directory's name is not hashed, so a fresh clone in another folder
# hits the objects an earlier clone compiled.
export CCACHE_BASEDIR="$TKV_ROOT"
export CCACHE_NOHASHDIR=1
# Never include_file_mtime: ccache's check of headers changed during a
# compile is what keeps an object built from an older header out of the
# cache (a branch checked out mid-build stored such objects here once).
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-8G}"

# tkv_build BUILD_DIR [cmake args...] [-- targets...]
# Configures BUILD_DIR (Ninja for a new one; an existing one keeps the
# generator it was made with) and builds the targets given after "--", or
# everything.
tkv_build() {
  local dir="$1"; shift
  local args=() targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  targets=("$@")
  local gen=()
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then gen=(-G Ninja); fi
  local launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$TKV_ROOT" -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" "${args[@]}" >/dev/null
  if [ ${#targets[@]} -gt 0 ]; then
    cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"
  else
    cmake --build "$dir" -j "$(nproc)"
  fi
}
