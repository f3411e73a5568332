#!/usr/bin/env bash
# Installs one release of the Pulumi CLI after checking its sha256 against the checksum file
# Pulumi publishes with the release.
#   install-pulumi.sh VERSION            e.g. 3.272.0
# The binaries go to $PULUMI_INSTALL_DIR (default $HOME/.pulumi/bin); in GitHub Actions that
# directory is added to $GITHUB_PATH for the job's later steps.
#
# Each release on github.com/pulumi/pulumi carries pulumi-v<version>-<os>-<arch>.tar.gz and
# pulumi-<version>-checksums.txt, one "<sha256>  <file name>" line per asset.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 VERSION" >&2
  exit 2
fi
version="${1#v}"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "error: version '$1' is not allowed; expected MAJOR.MINOR.PATCH, e.g. 3.272.0" >&2
  exit 2
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *)
    echo "error: no Pulumi release for the operating system $(uname -s)" >&2
    exit 1
    ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *)
    echo "error: no Pulumi release for the architecture $(uname -m)" >&2
    exit 1
    ;;
esac

base="${PULUMI_DOWNLOAD_BASE:-https://github.com/pulumi/pulumi/releases/download}/v$version"
tarball="pulumi-v$version-$os-$arch.tar.gz"
checksums="pulumi-$version-checksums.txt"
install_dir="${PULUMI_INSTALL_DIR:-$HOME/.pulumi/bin}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

download() {
  curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 \
    --retry 3 --output "$work/$1" "$base/$1"
}
download "$checksums"
download "$tarball"

# The one line naming exactly this file; awk compares the name as a string, not a pattern.
expected="$(awk -v name="$tarball" '$2 == name || $2 == "*" name { print $1 }' "$work/$checksums")"
if [[ -z "$expected" ]]; then
  echo "error: $checksums has no entry for $tarball; refusing to install an unverified CLI" >&2
  exit 1
fi
if [[ ! "$expected" =~ ^[0-9a-f]{64}$ ]]; then
  echo "error: $checksums lists '$expected' for $tarball, which is not one sha256" >&2
  exit 1
fi
actual="$(sha256sum "$work/$tarball" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
  echo "error: sha256 mismatch for $tarball: expected $expected, downloaded $actual" >&2
  exit 1
fi

# The archive holds a pulumi/ directory with the CLI and its language hosts.
tar -xzf "$work/$tarball" -C "$work"
if [[ ! -x "$work/pulumi/pulumi" ]]; then
  echo "error: $tarball has no pulumi/pulumi executable" >&2
  exit 1
fi
mkdir -p "$install_dir"
cp "$work"/pulumi/* "$install_dir/"
echo "installed Pulumi CLI $version ($tarball, sha256 $actual) in $install_dir"

if [[ -n "${GITHUB_PATH:-}" ]]; then
  echo "$install_dir" >>"$GITHUB_PATH"
fi
