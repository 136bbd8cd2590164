#!/usr/bin/env bash
# Installs the system packages arena builds against (Debian / Ubuntu). Swift 6 itself must be
# on PATH already (swift.org toolchain). Safe to run again.
set -euo pipefail
# libtorch is not a Debian package here: scripts/setup-libtorch.sh (run below) installs the one
# inside the pinned PyPI torch wheel into .libtorch (it needs python3 with pip).
# curl: scripts/setup-models.sh downloads with it, and the `arena serve` test speaks HTTP with it.
# libssl-dev: OpenSSL's libcrypto computes the SHA-256 digests that check a run folder's files.
PACKAGES=(pkg-config libxgboost-dev libsentencepiece-dev libssl-dev curl)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install a Swift 6 toolchain from swift.org" >&2; exit 1; }
"$(dirname "$0")/setup-libtorch.sh"
