#!/usr/bin/env bash
# Runs the program's Pulumi operations the workflows need, the same way every time.
#
#   pulumi-stack.sh preview STACK OUT_FILE           preview with the policy pack, output to OUT_FILE
#   pulumi-stack.sh deploy STACK IMAGE VERSION       flip blue/green, set the release, pulumi up
#   pulumi-stack.sh up STACK                         pulumi up by hand, keeping the release
#                                                    the stack runs now (image, version, colour)
#   pulumi-stack.sh output STACK NAME                print one stack output
#   pulumi-stack.sh outputs STACK                    print the one-line outputs as name=value
#                                                    lines (for $GITHUB_OUTPUT)
#
# Needs PULUMI_BACKEND_URL (s3://<bucket>?region=<region>) and AWS credentials in the
# environment; the stack file holds the awskms:// secrets provider.
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() {
  echo "usage: $0 preview STACK OUT_FILE | deploy STACK IMAGE VERSION | up STACK | output STACK NAME | outputs STACK" >&2
  exit 2
}

check_stack() {
  case "$1" in
    stage | prod) ;;
    *) echo "error: stack '$1' is not allowed; expected stage or prod" >&2; exit 2 ;;
  esac
}

check_image() {
  # Deployed by digest only: a tag could move after the image was scanned.
  if [[ ! "$1" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$ ]]; then
    echo "error: image '$1' is not allowed; expected <registry>/<repository>@sha256:<64 hex>" >&2
    exit 2
  fi
}

require_backend() {
  if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
    echo "error: PULUMI_BACKEND_URL is not set; expected s3://<state bucket>?region=<region>" >&2
    exit 2
  fi
}

# Colour of the release now live, blue if the stack has never been deployed.
current_color() {
  local color
  color="$(pulumi stack output releaseColor --stack "$1" 2>/dev/null || true)"
  case "$color" in
    blue | green) echo "$color" ;;
    *) echo "blue" ;;
  esac
}

next_color() {
  if [[ "$1" == "blue" ]]; then echo green; else echo blue; fi
}

# A preview shows what a merge would change: keep the release that is live now, so the
# diff is the pull request's change and not a release.
pin_live_release() {
  local stack="$1" image version
  image="$(pulumi stack output releaseImage --stack "$stack" 2>/dev/null || true)"
  version="$(pulumi stack output releaseVersion --stack "$stack" 2>/dev/null || true)"
  if [[ -n "$image" ]]; then
    pulumi config set --stack "$stack" --path release.image "$image"
    pulumi config set --stack "$stack" --path release.version "$version"
    pulumi config set --stack "$stack" --path release.color "$(current_color "$stack")"
  fi
}

cmd="${1:-}"
case "$cmd" in
  preview)
    [[ $# -eq 3 ]] || usage
    stack="$2" out="$3"
    check_stack "$stack"
    require_backend
    pulumi stack select "$stack"
    pin_live_release "$stack"
    # pipefail: a failing preview or policy violation fails the step after the output is kept.
    pulumi preview --stack "$stack" --policy-pack policy --diff --color never \
      --suppress-progress 2>&1 | tee "$out"
    ;;
  deploy)
    [[ $# -eq 4 ]] || usage
    stack="$2" image="$3" version="$4"
    check_stack "$stack"
    check_image "$image"
    if [[ ! "$version" =~ ^[0-9a-f]{7,40}$ ]]; then
      echo "error: version '$version' is not allowed; expected a commit sha (7-40 hex)" >&2
      exit 2
    fi
    require_backend
    pulumi stack select "$stack"
    live="$(current_color "$stack")"
    color="$(next_color "$live")"
    echo "deploying $image ($version) to $stack as $color; $live stays live until it is healthy"
    pulumi config set --stack "$stack" --path release.image "$image"
    pulumi config set --stack "$stack" --path release.version "$version"
    pulumi config set --stack "$stack" --path release.color "$color"
    # Without an approval gate pulumi up waits for the ECS deployment and fails when ECS rolls
    # it back; with the gate (prod) it returns when the deployment pauses before production
    # traffic, and the workflow follows it (service-deployment.py).
    pulumi up --stack "$stack" --policy-pack policy --yes --skip-preview --color never \
      --suppress-progress
    ;;
  up)
    # The program keeps the running release by itself (release.image and release.build
    # empty); pinning it here also makes the preview's diff show only the change.
    [[ $# -eq 2 ]] || usage
    stack="$2"
    check_stack "$stack"
    require_backend
    pulumi stack select "$stack"
    if [[ -z "$(pulumi stack output releaseImage --stack "$stack" 2>/dev/null || true)" ]]; then
      echo "error: $stack runs no release yet; deploy one with the Deploy workflow first" >&2
      exit 1
    fi
    pin_live_release "$stack"
    pulumi up --stack "$stack" --policy-pack policy --color never
    ;;
  output)
    [[ $# -eq 3 ]] || usage
    check_stack "$2"
    require_backend
    pulumi stack output "$3" --stack "$2"
    ;;
  outputs)
    [[ $# -eq 2 ]] || usage
    check_stack "$2"
    require_backend
    # Captured first: a failing `pulumi stack output` fails here, not in a later step.
    json="$(pulumi stack output --json --stack "$2")"
    # Only one-line scalars: a value with a newline would break the name=value format.
    python3 -c '
import json, sys
for name, value in json.loads(sys.argv[1]).items():
    if isinstance(value, bool):
        value = str(value).lower()
    if isinstance(value, (str, int, float)) and "\n" not in str(value):
        print(f"{name}={value}")
' "$json"
    ;;
  *) usage ;;
esac
