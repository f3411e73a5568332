#!/usr/bin/env bash
# Refuses to deploy a commit that is no longer the head of main: builds of consecutive
# merges run in parallel and only the deploy jobs queue, so an older run can reach its
# deploy job after a newer one; it must not put the older release back.
#   newest-on-main.sh SHA
# Needs GITHUB_TOKEN (the job token; contents: read suffices) and GITHUB_REPOSITORY.
# GitHub REST API, "Get a commit": with `Accept: application/vnd.github.sha` the answer is
# the commit's sha alone. GITHUB_API_URL is set on every runner (api.github.com or GHES).
set -euo pipefail

if [[ $# -ne 1 || ! "$1" =~ ^[0-9a-f]{40}$ ]]; then
  echo "usage: $0 SHA (40 hex)" >&2
  exit 2
fi
sha="$1"
: "${GITHUB_TOKEN:?the job token is needed to read the head of main}"
: "${GITHUB_REPOSITORY:?owner/name of the repository}"
api="${GITHUB_API_URL:-https://api.github.com}"

head="$(curl -fsS --max-time 30 --retry 3 \
  -H "Authorization: Bearer $GITHUB_TOKEN" \
  -H "Accept: application/vnd.github.sha" \
  -H "X-GitHub-Api-Version: 2022-11-28" \
  "$api/repos/$GITHUB_REPOSITORY/commits/main")"
if [[ ! "$head" =~ ^[0-9a-f]{40}$ ]]; then
  echo "error: could not read the head of main (got '$head')" >&2
  exit 1
fi
if [[ "$head" != "$sha" ]]; then
  echo "error: $sha is no longer the head of main ($head is); the newer run deploys, this one does not" >&2
  exit 1
fi
echo "ok: $sha is the head of main"
