"""Puts bootstrap/ on sys.path and provides Pulumi mocks scoped to the bootstrap tests.

Pulumi's mocks are process-wide: the fixture installs these mocks for a bootstrap test
module and puts the previous runtime settings back afterwards, so the main program's tests
keep their own mocks.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BOOTSTRAP_DIR = Path(__file__).resolve().parents[1]
if str(BOOTSTRAP_DIR) not in sys.path:
    sys.path.insert(0, str(BOOTSTRAP_DIR))

import pulumi  # noqa: E402
from pulumi.runtime import settings as runtime_settings  # noqa: E402

ACCOUNT_ID = "123456789012"


class RecordingMocks(pulumi.runtime.Mocks):
    """Returns inputs plus the computed fields AWS adds; records every resource."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        outputs = dict(args.inputs)
        name = args.name
        kind = args.typ.split(":")[1].split("/")[0]
        if args.typ == "aws:s3/bucket:Bucket":
            outputs["bucket"] = f"{name}-abc123"
            outputs["arn"] = f"arn:aws:s3:::{name}-abc123"
        elif args.typ == "aws:kms/key:Key":
            outputs["keyId"] = f"{name}-1234abcd"
            outputs["arn"] = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/{outputs['keyId']}"
        elif args.typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = str(args.inputs["url"]).removeprefix("https://")
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
        elif args.typ in ("aws:iam/role:Role", "aws:iam/policy:Policy"):
            res = "role" if args.typ.endswith("Role") else "policy"
            path = args.inputs.get("path", "/")
            outputs["name"] = f"{name}-r4nd0m"
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:{res}{path}{name}-r4nd0m"
        else:
            outputs.setdefault("arn", f"arn:aws:{kind}:eu-west-1:{ACCOUNT_ID}:{name}")
        return f"{name}-id", outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": "arn:aws:iam::123456789012:user/x"}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}, []
        return {}, []


@pytest.fixture(scope="module")
def mocks() -> Iterator[RecordingMocks]:
    saved_settings = runtime_settings.SETTINGS
    saved_root = runtime_settings.ROOT.get()
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(
        recorder, project="ecs-platform-bootstrap", stack="account", preview=False
    )
    yield recorder
    runtime_settings.SETTINGS = saved_settings
    runtime_settings.ROOT.set(saved_root)
