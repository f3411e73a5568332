#!/usr/bin/env bash
# Copies one built image, by digest, into another ECR repository under the same tag and
# checks the digest did not change: prod runs exactly the bytes stage tested.
#   promote-image.sh SOURCE_REPO@sha256:DIGEST DEST_REPO TAG
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 SOURCE_REPO@sha256:DIGEST DEST_REPO TAG" >&2
  exit 2
fi
source_ref="$1" dest_repo="$2" tag="$3"
if [[ ! "$source_ref" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@(sha256:[0-9a-f]{64})$ ]]; then
  echo "error: source '$source_ref' is not allowed; expected <registry>/<repo>@sha256:<64 hex>" >&2
  exit 2
fi
digest="${BASH_REMATCH[2]}"
if [[ ! "$dest_repo" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+$ ]]; then
  echo "error: destination '$dest_repo' is not allowed; expected <registry>/<repository>" >&2
  exit 2
fi
if [[ ! "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "error: tag '$tag' is not allowed; expected letters, digits, _ . - (max 128)" >&2
  exit 2
fi

# imagetools copies the manifest (or index) as it is, so the digest is preserved.
docker buildx imagetools create --tag "$dest_repo:$tag" "$source_ref"
copied="$(docker buildx imagetools inspect "$dest_repo:$tag" --format '{{json .Manifest}}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')"
if [[ "$copied" != "$digest" ]]; then
  echo "error: $dest_repo:$tag has digest $copied, expected $digest" >&2
  exit 1
fi
echo "$dest_repo@$digest"
