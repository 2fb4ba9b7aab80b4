# Shared by run-server.sh and run-tests.sh: install what is missing, build.
# Sourced, not run. Needs root (or sudo) only when a package is missing.
set -euo pipefail

TKV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TKV_PACKAGES=(build-essential cmake pkg-config libssl-dev librocksdb-dev libboost-dev
              libcpp-httplib-dev nlohmann-json3-dev libgtest-dev libgmock-dev libcli11-dev
              libspdlog-dev libfmt-dev libbenchmark-dev curl
              softhsm2 libp11-kit-dev)  # PKCS#11: the provider's header; SoftHSM2 for its tests
# Only for the libFuzzer targets (fuzz.sh, the fuzz pass of run-tests.sh).
TKV_FUZZ_PACKAGES=(clang libclang-rt-14-dev)

# tkv_install_deps [extra packages...]
tkv_install_deps() {
  local missing=()
  for p in "${TKV_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# tkv_build BUILD_DIR [extra cmake args...]
tkv_build() {
  local dir="$1"; shift
  cmake -S "$TKV_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
