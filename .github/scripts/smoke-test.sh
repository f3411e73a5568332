#!/usr/bin/env bash
# Smoke test of a deployed stack: /healthz and /readyz answer 200 and / shows the version.
#   smoke-test.sh URL VERSION [ATTEMPTS]
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 URL VERSION [ATTEMPTS]" >&2
  exit 2
fi
url="${1%/}" version="$2" attempts="${3:-30}"
if [[ ! "$url" =~ ^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/.*)?$ ]]; then
  echo "error: URL '$url' is not allowed; expected http(s)://host[:port][/path]" >&2
  exit 2
fi
if [[ ! "$attempts" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: ATTEMPTS '$attempts' is not allowed; expected a positive whole number" >&2
  exit 2
fi

status() { curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$1" || echo 000; }

for path in /healthz /readyz; do
  code=000
  for ((i = 1; i <= attempts; i++)); do
    code="$(status "$url$path")"
    [[ "$code" == 200 ]] && break
    sleep "${SMOKE_INTERVAL:-5}"
  done
  if [[ "$code" != 200 ]]; then
    echo "smoke test failed: $url$path answered $code after $attempts attempts" >&2
    exit 1
  fi
  echo "ok: $url$path 200"
done

for ((i = 1; i <= attempts; i++)); do
  if curl -sS --max-time 10 "$url/" | grep -qF -- "$version"; then
    echo "ok: $url/ shows version $version"
    exit 0
  fi
  sleep "${SMOKE_INTERVAL:-5}"
done
echo "smoke test failed: $url/ does not show version $version" >&2
exit 1
