#!/usr/bin/env bash
# Opens psql on a stack's PostgreSQL through the bastion, in one command:
#
#   make db-connect STACK=stage            (or: scripts/db-connect.sh stage [psql arguments])
#
# 1. reads the stack's outputs (pulumi stack output --json): the bastion's instance id, the
#    database's address and its RDS-managed secret;
# 2. starts a Session Manager port forward through the bastion to the database
#    (document AWS-StartPortForwardingSessionToRemoteHost) on a free local port, in the
#    background, and waits until that port accepts connections;
# 3. reads the user name and password from the secret (aws secretsmanager get-secret-value)
#    into the environment of psql only (PGPASSWORD): the password is never printed nor
#    passed as an argument;
# 4. runs psql with sslmode=verify-full against the RDS certificate bundle (downloaded once);
# 5. closes the tunnel when psql exits, when interrupted, or on any error.
#
# Settings (environment):
#   DB_CONNECT_CA_BUNDLE  the RDS CA bundle (default ~/.cache/ecs-platform/rds-global-bundle.pem;
#                         downloaded from DB_CONNECT_CA_URL when missing)
#   DB_CONNECT_CA_URL     where the bundle comes from (default: the RDS global bundle)
#   DB_CONNECT_PORT       local port of the tunnel (default: the first free one from 15432)
#   DB_CONNECT_TIMEOUT    seconds to wait for the tunnel (default 30)
#   DB_NAME               database to open (default: the stack's databaseName output, else
#                         "postgres")
# Exit codes: psql's own; 2 bad usage, unknown stack or missing output; 3 missing
# prerequisite; 4 the tunnel or the secret failed.
set -euo pipefail

readonly RDS_BUNDLE_URL="https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"

die() {
  local code=$1
  shift
  printf 'db-connect: %s\n' "$*" >&2
  exit "$code"
}

usage() {
  printf 'usage: %s STACK [psql arguments...]   (make db-connect STACK=stage)\n' "$0" >&2
  exit 2
}

stack=${1:-}
[ -n "$stack" ] || usage
shift
[[ $stack =~ ^[A-Za-z0-9_.-]+$ ]] ||
  die 2 "'$stack' is not a stack name (letters, digits, '.', '_', '-')"

# Prerequisites, all named at once with how to install them.
missing=()
need() {
  command -v "$1" >/dev/null 2>&1 || missing+=("$1: $2")
}
need pulumi "https://www.pulumi.com/docs/install/ (curl -fsSL https://get.pulumi.com | sh)"
need aws "the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
need session-manager-plugin "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"
need psql "the PostgreSQL client (Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq)"
need jq "apt-get install jq / brew install jq"
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'db-connect: missing prerequisite(s):\n' >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 3
fi

# The stack's outputs.
errors=$(mktemp)
if ! outputs=$(pulumi stack output --json --stack "$stack" 2>"$errors"); then
  reason=$(cat "$errors")
  rm -f "$errors"
  die 2 "cannot read the outputs of stack '$stack' (pulumi stack ls lists the stacks): $reason"
fi
rm -f "$errors"
output() {
  jq -r --arg k "$1" '.[$k] // empty' <<<"$outputs"
}
instance=$(output bastionInstanceId)
address=$(output databaseAddress)
secret_arn=$(output databaseSecretArn)
absent=()
[ -n "$instance" ] || absent+=("bastionInstanceId (is bastion.enabled true in Pulumi.$stack.yaml?)")
[ -n "$address" ] || absent+=("databaseAddress")
[ -n "$secret_arn" ] || absent+=("databaseSecretArn")
if [ "${#absent[@]}" -gt 0 ]; then
  die 2 "stack '$stack' does not export: ${absent[*]} (deployed with pulumi up?)"
fi
port=$(output databasePort)
if [ -z "$port" ]; then
  # The exported SSM command names the remote port (portNumber).
  port=$(output databaseConnectCommand | sed -n 's/.*"portNumber":\["\([0-9]*\)"\].*/\1/p')
fi
port=${port:-5432}
dbname=${DB_NAME:-$(output databaseName)}
dbname=${dbname:-postgres}
# arn:aws:secretsmanager:<region>:<account>:secret:<name>
region=$(cut -d: -f4 <<<"$secret_arn")
[ -n "$region" ] || die 2 "databaseSecretArn '$secret_arn' is not an ARN"

# The RDS certificate bundle: verify-full checks the server's certificate against it.
ca=${DB_CONNECT_CA_BUNDLE:-${XDG_CACHE_HOME:-$HOME/.cache}/ecs-platform/rds-global-bundle.pem}
if [ ! -s "$ca" ]; then
  command -v curl >/dev/null 2>&1 ||
    die 3 "missing prerequisite: curl (to download the RDS CA bundle to $ca)"
  mkdir -p "$(dirname "$ca")"
  curl -fsSL --proto '=https' "${DB_CONNECT_CA_URL:-$RDS_BUNDLE_URL}" -o "$ca.tmp" ||
    die 4 "could not download the RDS CA bundle from ${DB_CONNECT_CA_URL:-$RDS_BUNDLE_URL}"
  mv "$ca.tmp" "$ca"
fi

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
local_port=${DB_CONNECT_PORT:-}
if [ -z "$local_port" ]; then
  for candidate in $(seq 15432 15531); do
    if ! port_open "$candidate"; then
      local_port=$candidate
      break
    fi
  done
  [ -n "$local_port" ] || die 4 "no free local port in 15432-15531 (set DB_CONNECT_PORT)"
fi

# The tunnel runs in its own process group (job control on) so that closing it also stops
# the session-manager-plugin the AWS CLI starts.
tunnel_log=$(mktemp)
tunnel_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
close_tunnel() {
  if [ -n "$tunnel_pid" ] && kill -0 "$tunnel_pid" 2>/dev/null; then
    kill -TERM -- "-$tunnel_pid" 2>/dev/null || kill -TERM "$tunnel_pid" 2>/dev/null || true
    wait "$tunnel_pid" 2>/dev/null || true
  fi
  rm -f "$tunnel_log"
}
trap close_tunnel EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

parameters=$(jq -cn --arg host "$address" --arg port "$port" --arg local "$local_port" \
  '{host: [$host], portNumber: [$port], localPortNumber: [$local]}')
printf 'db-connect: tunnel 127.0.0.1:%s -> %s:%s through %s (%s)\n' \
  "$local_port" "$address" "$port" "$instance" "$region" >&2
set -m
aws ssm start-session --region "$region" --target "$instance" \
  --document-name AWS-StartPortForwardingSessionToRemoteHost \
  --parameters "$parameters" >"$tunnel_log" 2>&1 &
tunnel_pid=$!
set +m

deadline=$((SECONDS + ${DB_CONNECT_TIMEOUT:-30}))
until port_open "$local_port"; do
  if ! kill -0 "$tunnel_pid" 2>/dev/null; then
    die 4 "the Session Manager tunnel stopped: $(cat "$tunnel_log")"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    die 4 "the tunnel did not open 127.0.0.1:$local_port within ${DB_CONNECT_TIMEOUT:-30} s: $(cat "$tunnel_log")"
  fi
  sleep 0.2
done

# The secret goes from the AWS CLI to jq and into psql's environment only.
if ! secret=$(aws secretsmanager get-secret-value --region "$region" --secret-id "$secret_arn" \
  --query SecretString --output text); then
  die 4 "could not read the database secret $secret_arn"
fi
user=$(jq -r '.username // empty' <<<"$secret")
password=$(jq -r '.password // empty' <<<"$secret")
unset secret
if [ -z "$user" ] || [ -z "$password" ]; then
  die 4 "the secret $secret_arn holds no username/password"
fi

# host names the server for certificate verification, hostaddr is where the tunnel listens
# (libpq, "Parameter Key Words": with both set, hostaddr is connected to and host is used to
# verify the certificate under sslmode=verify-full).
status=0
PGPASSWORD=$password psql \
  "host=$address hostaddr=127.0.0.1 port=$local_port dbname=$dbname user=$user sslmode=verify-full sslrootcert=$ca connect_timeout=10" \
  "$@" || status=$?
unset password
exit "$status"
