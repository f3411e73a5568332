"""Container HEALTHCHECK: exit 0 if /healthz on this container's port answers 200.

It checks liveness, not readiness: a database outage must not make the orchestrator kill
and replace tasks that will be fine when the database is back.
"""

from __future__ import annotations

import http.client
import os
import sys


def main() -> int:
    port = os.environ.get("PORT", "8080").strip() or "8080"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=3)
        conn.request("GET", "/healthz")
        status = conn.getresponse().status
    except (OSError, ValueError, http.client.HTTPException) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: /healthz answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
