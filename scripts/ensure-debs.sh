#!/usr/bin/env bash
# Installs the Debian packages listed in debian-packages.txt (or only those named as
# arguments) that are not installed yet.
# Needs root (CI and the development machines run as root); does nothing when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."
# With arguments, only those packages (each must be listed in debian-packages.txt).
mapfile -t listed < <(grep -v '^\s*#' debian-packages.txt | grep -v '^\s*$')
if [ $# -gt 0 ]; then
  for pkg in "$@"; do
    if ! printf '%s\n' "${listed[@]}" | grep -qx "$pkg"; then
      echo "error: $pkg is not in debian-packages.txt; allowed: ${listed[*]}" >&2
      exit 2
    fi
  done
  wanted=("$@")
else
  wanted=("${listed[@]}")
fi
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "error: root is needed to install ${missing[*]} (run: sudo $0)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
