#!/usr/bin/env bash
# Creates or updates this workflow's comment on a pull request (one per MARKER).
#   pr-comment.sh MARKER BODY_FILE
# Needs GH_TOKEN, GITHUB_REPOSITORY and PR_NUMBER in the environment.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 MARKER BODY_FILE" >&2
  exit 2
fi
marker="$1" body_file="$2"
if [[ ! "$marker" =~ ^[a-z0-9-]+$ ]]; then
  echo "error: marker '$marker' is not allowed; expected lower-case letters, digits and -" >&2
  exit 2
fi
if [[ ! -f "$body_file" ]]; then
  echo "error: body file '$body_file' does not exist" >&2
  exit 2
fi
if [[ ! "${PR_NUMBER:-}" =~ ^[0-9]+$ ]]; then
  echo "error: PR_NUMBER '${PR_NUMBER:-}' is not allowed; expected a pull request number" >&2
  exit 2
fi

tag="<!-- ecs-platform:$marker -->"
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
{
  echo "$tag"
  # GitHub refuses comments over 65536 characters.
  head -c 60000 "$body_file"
} >"$body"

existing="$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" --paginate \
  --jq ".[] | select(.body | startswith(\"$tag\")) | .id" | head -n 1)"
if [[ -n "$existing" ]]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" >/dev/null
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$body" >/dev/null
fi
