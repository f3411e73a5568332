#!/usr/bin/env bash
# Copies one built image, by digest, into another ECR repository under the same tag, and
# proves the digest did not change: prod runs exactly the bytes stage tested.
#   promote-image.sh SOURCE_REPO@sha256:DIGEST DEST_REPO TAG
#
# The manifest itself is copied (ECR BatchGetImage, then PutImage with the same media
# type). `docker buildx imagetools create` is not used: it wraps a single-platform
# manifest in a new index, which has a new digest. Layers need no copy: ECR shares layers
# between repositories of one registry (the manifest only references them by digest).
#
# Prod's repository is immutable, and ECR refuses PutImage for a tag it already holds even
# with the same manifest (ImageAlreadyExistsException, ImageTagAlreadyExistsException:
# API_PutImage, Amazon ECR API reference). So a tag already present is looked up first:
# same digest, the copy is done already (a re-run, or a rollback to a release prod ran);
# another digest, the promotion fails and says so.
#
# EXISTING_ONLY=1 (an emergency rollback that skipped the Trivy re-scan): copy nothing,
# succeed only when the destination already holds the digest under the tag, i.e. prod ran it.
#
# Prints DEST_REPO@sha256:DIGEST on stdout; everything else goes to stderr.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 SOURCE_REPO@sha256:DIGEST DEST_REPO TAG" >&2
  exit 2
fi
source_ref="$1" dest_repo="$2" tag="$3"
repo_re='^(([0-9]{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com|[a-z0-9.-]+(:[0-9]+)?)/([a-z0-9._/-]+)'
if [[ ! "$source_ref" =~ ${repo_re}@(sha256:[0-9a-f]{64})$ ]]; then
  echo "error: source '$source_ref' is not allowed; expected <registry>/<repo>@sha256:<64 hex>" >&2
  exit 2
fi
source_registry="${BASH_REMATCH[2]}" source_name="${BASH_REMATCH[4]}" digest="${BASH_REMATCH[5]}"
if [[ ! "$dest_repo" =~ ${repo_re}$ ]]; then
  echo "error: destination '$dest_repo' is not allowed; expected <registry>/<repository>" >&2
  exit 2
fi
dest_registry="${BASH_REMATCH[2]}" dest_name="${BASH_REMATCH[4]}"
if [[ ! "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "error: tag '$tag' is not allowed; expected letters, digits, _ . - (max 128)" >&2
  exit 2
fi

# The registry id is the account in the host name; without it the CLI uses the caller's.
registry_args() { [[ -n "$1" ]] && printf -- '--registry-id\n%s\n' "$1"; return 0; }
mapfile -t source_args < <(registry_args "$source_registry")
mapfile -t dest_args < <(registry_args "$dest_registry")

# Media types ECR stores for single images and indexes (Docker v2 and OCI); BatchGetImage
# returns only these, so the stored manifest comes back unconverted.
media_types=(
  application/vnd.docker.distribution.manifest.v2+json
  application/vnd.docker.distribution.manifest.list.v2+json
  application/vnd.oci.image.manifest.v1+json
  application/vnd.oci.image.index.v1+json
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. Is the tag in the destination already?
aws ecr batch-get-image --output json "${dest_args[@]}" --repository-name "$dest_name" \
  --image-ids "imageTag=$tag" --accepted-media-types "${media_types[@]}" >"$work/dest.json"
existing="$(python3 -c '
import json, sys
images = json.load(open(sys.argv[1]))["images"]
print(images[0]["imageId"]["imageDigest"] if images else "")
' "$work/dest.json")"
if [[ "$existing" == "$digest" ]]; then
  echo "$dest_repo:$tag already holds $digest; nothing to copy" >&2
  echo "$dest_repo@$digest"
  exit 0
fi
if [[ "${EXISTING_ONLY:-}" == 1 ]]; then
  echo "error: $dest_repo:$tag does not hold $digest; the Trivy gate may be skipped only for an image prod already ran" >&2
  exit 1
fi
if [[ -n "$existing" ]]; then
  echo "error: $dest_repo:$tag already holds $existing, not $digest; the repository's tags are immutable, so this tag cannot be promoted again with another image" >&2
  exit 1
fi

# 2. The source manifest, byte for byte, and its media type.
aws ecr batch-get-image --output json "${source_args[@]}" --repository-name "$source_name" \
  --image-ids "imageDigest=$digest" --accepted-media-types "${media_types[@]}" >"$work/source.json"
media_type="$(python3 -c '
import hashlib, json, sys
doc = json.load(open(sys.argv[1]))
if not doc["images"]:
    sys.exit("error: " + sys.argv[3] + " is not in the source repository: " + str(doc["failures"]))
image = doc["images"][0]
manifest = image["imageManifest"]
# A digest is the sha256 of the manifest bytes (OCI image spec, descriptor digests).
actual = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
if actual != sys.argv[3]:
    sys.exit(f"error: the source manifest hashes to {actual}, expected {sys.argv[3]}")
open(sys.argv[2], "w", newline="").write(manifest)
print(image.get("imageManifestMediaType") or json.loads(manifest)["mediaType"])
' "$work/source.json" "$work/manifest.json" "$digest")"

# 3. The same bytes under the tag; ECR checks them against the digest given.
aws ecr put-image --output json "${dest_args[@]}" --repository-name "$dest_name" \
  --image-tag "$tag" --image-manifest "file://$work/manifest.json" \
  --image-manifest-media-type "$media_type" --image-digest "$digest" >"$work/put.json"

# 4. Read the tag back: it must name the digest stage tested.
aws ecr batch-get-image --output json "${dest_args[@]}" --repository-name "$dest_name" \
  --image-ids "imageTag=$tag" --accepted-media-types "${media_types[@]}" >"$work/dest.json"
copied="$(python3 -c '
import json, sys
images = json.load(open(sys.argv[1]))["images"]
print(images[0]["imageId"]["imageDigest"] if images else "")
' "$work/dest.json")"
if [[ "$copied" != "$digest" ]]; then
  echo "error: $dest_repo:$tag has digest '$copied', expected $digest" >&2
  exit 1
fi
echo "copied $source_ref to $dest_repo:$tag" >&2
echo "$dest_repo@$digest"
