#!/usr/bin/env bash
# Smoke test of the new version through the test listener, run on the bastion through SSM
# Run Command: from inside the VPC, so the request leaves through the NAT, whose public
# addresses the test listener admits. The check itself is smoke-test.sh, sent as it is.
#   smoke-test-in-vpc.sh INSTANCE_ID TEST_URL VERSION
#
# Why the bastion: it runs in both stacks, sits in a private subnet (so it leaves through
# the NAT like any task), has the SSM agent and role already, and needs no image or task
# role of its own; a one-off ECS task would need RunTask and PassRole on the task roles.
# Sources: AWS Systems Manager API reference, SendCommand (document AWS-RunShellScript,
# parameter `commands`) and GetCommandInvocation (`Status`: Pending, InProgress, Delayed,
# Success, Cancelled, TimedOut, Failed, Cancelling; `ResponseCode`, `StandardOutputContent`).
set -euo pipefail
cd "$(dirname "$0")"

if [[ $# -ne 3 ]]; then
  echo "usage: $0 INSTANCE_ID TEST_URL VERSION" >&2
  exit 2
fi
instance="$1" url="$2" version="$3"
if [[ ! "$instance" =~ ^i-[0-9a-f]{8,17}$ ]]; then
  echo "error: instance '$instance' is not allowed; expected i-<hex>" >&2
  exit 2
fi
if [[ ! "$url" =~ ^https?://[A-Za-z0-9.-]+(:[0-9]+)?$ ]]; then
  echo "error: URL '$url' is not allowed; expected http(s)://host[:port]" >&2
  exit 2
fi
if [[ ! "$version" =~ ^[0-9a-f]{7,40}$ ]]; then
  echo "error: version '$version' is not allowed; expected a commit sha (7-40 hex)" >&2
  exit 2
fi

# Arguments are checked above, so the command line holds no shell metacharacters.
script="$(base64 -w0 smoke-test.sh)"
command="echo $script | base64 -d | bash -s -- $url $version"
command_id="$(aws ssm send-command --instance-ids "$instance" \
  --document-name AWS-RunShellScript --comment "smoke test $version" \
  --parameters "commands=[\"$command\"]" --timeout-seconds 600 \
  --query Command.CommandId --output text)"
echo "SSM command $command_id on $instance" >&2

interval="${SSM_POLL_SECONDS:-10}"
for ((i = 0; i < 90; i++)); do
  sleep "$interval"
  # Right after SendCommand the invocation may not exist yet (InvocationDoesNotExist).
  if ! status="$(aws ssm get-command-invocation --command-id "$command_id" \
    --instance-id "$instance" --query Status --output text 2>/dev/null)"; then
    continue
  fi
  case "$status" in
    Pending | InProgress | Delayed | Cancelling) continue ;;
  esac
  aws ssm get-command-invocation --command-id "$command_id" --instance-id "$instance" \
    --query '[StandardOutputContent, StandardErrorContent]' --output text >&2 || true
  if [[ "$status" == Success ]]; then
    echo "ok: $url serves $version from inside the VPC" >&2
    exit 0
  fi
  echo "smoke test through the test listener failed: SSM command $status" >&2
  exit 1
done
echo "smoke test through the test listener timed out waiting for SSM command $command_id" >&2
exit 1
