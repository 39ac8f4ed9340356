#!/usr/bin/env bash
# Installs the Debian packages gcfuzz needs, only those missing; quiet when all are present.
set -euo pipefail

packages=(
  cmake make g++ clang-14 libclang-rt-14-dev
  librapidcheck-dev libboost1.81-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libgc-dev libpython3.11-dev liblua5.4-dev lua5.4 pkgconf graphviz chromium python3 dpkg-dev
  openjdk-17-jdk-headless
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "gcfuzz: missing Debian packages: ${missing[*]}" >&2
  echo "gcfuzz: run as root (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 2
fi
echo "gcfuzz: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
