"""checkov over the rendered stacks: a Terraform-plan-shaped JSON of what the program declares,
checkov's terraform_plan checks over it, and every failed check fixed or excepted by id.

    python -m policy.checkov_plan [--stack stage] [--stack prod] [--keep DIR]

The program is rendered by the mock engine (mock_engine.render_stack), each AWS
resource becomes a `resource_changes` / `planned_values` entry under its Terraform type (the
pulumi-aws provider is built on the Terraform provider, so the types and attribute names are
the same, in snake case), and a value that equals another resource's id or ARN becomes a
reference in `configuration`, so checkov's graph checks (CKV2_*) see the connections.

checkov runs offline (`--skip-download`, no API key, no telemetry) from its own virtualenv:
its pinned dependencies (packaging<24, boto3==1.35.*) cannot share the project's .venv.
A failed check that is neither fixed nor listed in CHECKOV_EXCEPTIONS for the stack fails the
run; an exception that no longer matches anything fails it too, so the list stays true.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_engine import render_stack
from settings import read_stack

ROOT = Path(__file__).resolve().parent.parent
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / "build" / "checkov-venv" / "bin" / "checkov"))
PROVIDER = "registry.terraform.io/hashicorp/aws"

# Pulumi type tokens whose Terraform type is not `aws_<module>_<name>`.
TERRAFORM_TYPES = {
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": "aws_prometheus_alert_manager_definition",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "aws_prometheus_rule_group_namespace",
    "aws:amp/workspace:Workspace": "aws_prometheus_workspace",
    "aws:amp/workspaceConfiguration:WorkspaceConfiguration": "aws_prometheus_workspace_configuration",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
}
# Modules whose resources drop the module name in Terraform (aws_vpc, aws_subnet, aws_instance).
_BARE_MODULES = {"ec2", "autoscaling_group"}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def terraform_type(pulumi_type: str) -> str | None:
    """The Terraform resource type of a pulumi-aws type token, None for anything else."""
    if pulumi_type in TERRAFORM_TYPES:
        return TERRAFORM_TYPES[pulumi_type]
    match = re.match(r"^aws:([a-z0-9]+)/([A-Za-z0-9]+):[A-Za-z0-9]+$", pulumi_type)
    if not match:
        return None
    module, name = match.groups()
    if module in _BARE_MODULES:
        return f"aws_{_snake(name)}"
    if module == "autoscaling" and name == "group":
        return "aws_autoscaling_group"
    snake = _snake(name)
    return f"aws_{snake}" if snake.startswith(f"{module}_") else f"aws_{module}_{snake}"


def _is_block(value: Mapping[str, Any]) -> bool:
    # A nested block has attribute names (camelCase identifiers); a map (tags, variables) has
    # free-form keys such as `Name` or `Project`.
    return bool(value) and all(re.match(r"^[a-z][A-Za-z0-9]*$", str(k)) for k in value)


# Repeated blocks whose Terraform name is plural already (pulumi-aws keeps it as it is).
PLURAL_BLOCKS = {
    "aws_launch_template": {
        "block_device_mappings",
        "elastic_gpu_specifications",
        "license_specifications",
        "network_interfaces",
        "tag_specifications",
    },
}


def _block_name(name: str, tf_type: str = "") -> str:
    """Terraform's name of a repeated nested block: pulumi-aws pluralises it
    (defaultActions, capacityProviderStrategies), Terraform does not (default_action)."""
    if name in PLURAL_BLOCKS.get(tf_type, ()):
        return name
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def terraform_values(
    value: Any, owners: Mapping[str, str] | None = None, self_address: str = ""
) -> tuple[Any, Any]:
    """Pulumi inputs as Terraform plan values and configuration expressions.

    Attributes become snake case and nested blocks lists of objects. A value that is another
    resource's id or ARN is unknown in a plan that creates both, as Terraform would print it:
    left null in the values and recorded as a reference in the expressions."""
    owners = owners or {}
    tf_type = self_address.split(".", 1)[0]

    def ref(item: Any) -> str | None:
        target = owners.get(item) if isinstance(item, str) else None
        return target if target and target != self_address else None

    def convert(item: Any, block: bool) -> tuple[Any, Any]:
        if isinstance(item, Mapping):
            if not block:
                return dict(item), None
            values: dict[str, Any] = {}
            conf: dict[str, Any] = {}
            for key, child in item.items():
                name = _snake(str(key))
                child_block = isinstance(child, Mapping) and _is_block(child)
                if isinstance(child, Mapping) and child_block:
                    v, c = convert(child, True)
                    values[name], conf_child = [v], [c] if c else None
                    if conf_child:
                        conf[name] = conf_child
                    continue
                if isinstance(child, list | tuple):
                    if all(isinstance(x, Mapping) and _is_block(x) for x in child) and child:
                        name = _block_name(name, tf_type)
                        pairs = [convert(x, True) for x in child]
                        values[name] = [v for v, _ in pairs]
                        if any(c for _, c in pairs):
                            conf[name] = [c or {} for _, c in pairs]
                        continue
                    targets = [t for t in (ref(x) for x in child) if t]
                    values[name] = [None if ref(x) else _scalar(x) for x in child]
                    if targets:
                        conf[name] = {"references": [r for t in targets for r in (f"{t}.id", t)]}
                    continue
                target = ref(child)
                if target:
                    values[name] = None
                    conf[name] = {"references": [f"{target}.id", target]}
                else:
                    values[name], _ = convert(child, False)
            return values, conf
        return _scalar(item), None

    return convert(value, True)


@dataclass(frozen=True)
class PlanResource:
    address: str
    type: str
    name: str
    values: dict[str, Any]
    expressions: dict[str, Any]


def plan_resources(recorded: Iterable[Any]) -> list[PlanResource]:
    """The AWS resources of a recording, as Terraform would address them."""
    chosen = []
    seen: set[str] = set()
    for r in recorded:
        tf_type = terraform_type(r.type)
        if tf_type is None or r.type.startswith("pulumi:providers:"):
            continue
        name = re.sub(r"[^A-Za-z0-9_]", "_", r.name)
        while f"{tf_type}.{name}" in seen:
            name += "_"
        seen.add(f"{tf_type}.{name}")
        props = {**(r.inputs or {}), **(r.outputs or {})}
        chosen.append((tf_type, name, props, r.id))
    # Values that are another resource's id or ARN become references, as Terraform records
    # them, so graph checks connect (say) a public access block to its bucket.
    owners: dict[str, str] = {}
    for tf_type, name, props, resource_id in chosen:
        for value in (resource_id, props.get("id"), props.get("arn")):
            if isinstance(value, str) and value:
                owners.setdefault(value, f"{tf_type}.{name}")
    out = []
    for tf_type, name, props, _id in chosen:
        address = f"{tf_type}.{name}"
        values, expressions = terraform_values(props, owners, address)
        out.append(PlanResource(address, tf_type, name, values, expressions or {}))
    return out


def plan_document(resources: Sequence[PlanResource], region: str = "us-east-1") -> dict[str, Any]:
    """A Terraform plan JSON (format 1.2) that creates `resources`."""

    def entry(r: PlanResource, **rest: Any) -> dict[str, Any]:
        """What every section of a plan says of a resource, then that section's own keys."""
        return {"address": r.address, "mode": "managed", "type": r.type, "name": r.name, **rest}

    def planned(r: PlanResource) -> dict[str, Any]:
        return entry(
            r, provider_name=PROVIDER, schema_version=0, values=r.values, sensitive_values={}
        )

    def change(r: PlanResource) -> dict[str, Any]:
        return entry(
            r,
            provider_name=PROVIDER,
            change={
                "actions": ["create"],
                "before": None,
                "after": r.values,
                "after_unknown": {},
                "before_sensitive": False,
                "after_sensitive": {},
            },
        )

    def configured(r: PlanResource) -> dict[str, Any]:
        return entry(r, provider_config_key="aws", expressions=r.expressions, schema_version=0)

    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": [planned(r) for r in resources]}},
        "resource_changes": [change(r) for r in resources],
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": PROVIDER,
                    "expressions": {"region": {"constant_value": region}},
                }
            },
            "root_module": {"resources": [configured(r) for r in resources]},
        },
    }


# ---------------------------------------------------------------------------------------------
# Decisions: every check checkov fails on a rendered stack is fixed in the program or listed
# here, by id, with the reason and the stacks it applies to (docs/security.md, "checkov over the
# rendered stacks").


@dataclass(frozen=True)
class CheckovException:
    check: str
    stacks: frozenset[str]
    reason: str
    resource_types: frozenset[str] = frozenset()
    """Terraform types the exception covers; empty covers every type the check flags."""

    def covers(self, stack: str, check: str, resource: str) -> bool:
        return (
            check == self.check
            and stack in self.stacks
            and (not self.resource_types or resource.split(".", 1)[0] in self.resource_types)
        )


BOTH = frozenset({"stage", "prod"})
STAGE = frozenset({"stage"})

LOG_BUCKET = frozenset({"aws_s3_bucket"})

CHECKOV_EXCEPTIONS: tuple[CheckovException, ...] = (
    # Both stacks: the design.
    CheckovException(
        "CKV_AWS_260",
        BOTH,
        "the website is public: the load balancer takes TCP 80 from the internet only to "
        "redirect to HTTPS (policy exception ALB_PUBLIC_HTTP_HTTPS)",
        frozenset({"aws_vpc_security_group_ingress_rule"}),
    ),
    CheckovException(
        "CKV_AWS_378",
        BOTH,
        "TLS ends at the load balancer; targets are tasks in private subnets that admit only "
        "the load balancer's security group, so re-encrypting to them would add certificates "
        "in the container and no protection",
        frozenset({"aws_lb_target_group"}),
    ),
    CheckovException(
        "CKV_AWS_338",
        BOTH,
        "cost: log groups keep what each stack sets (network.flowLogRetentionDays, "
        "service.logRetentionDays, observability.logRetentionDays; prod 90 days, stage 14); "
        "these are operational logs, the account's audit trail (CloudTrail) lives outside "
        "the stack",
        frozenset({"aws_cloudwatch_log_group"}),
    ),
    CheckovException(
        "CKV2_AWS_30",
        BOTH,
        "statement logging (log_statement) would write every query, with the data in it, to "
        "CloudWatch; the parameter group logs slow statements (log_min_duration_statement "
        "1000 ms) and Performance Insights keeps the top queries",
        frozenset({"aws_db_instance"}),
    ),
    CheckovException(
        "CKV_AWS_145",
        BOTH,
        "the access-log bucket: Elastic Load Balancing delivers access logs only to buckets "
        "encrypted with S3-managed keys (policy exception ALB_ACCESS_LOGS_SSE_S3)",
        LOG_BUCKET,
    ),
    CheckovException(
        "CKV_AWS_18",
        BOTH,
        "the access-log bucket is itself the log: logging access to it would need another "
        "bucket, whose logs would need another",
        LOG_BUCKET,
    ),
    CheckovException(
        "CKV_AWS_144",
        BOTH,
        "cost and the design: access logs are operational data kept 90 days; a replica in "
        "another region would double their storage for nothing the site needs",
        LOG_BUCKET,
    ),
    CheckovException(
        "CKV2_AWS_62",
        BOTH,
        "nothing consumes events of the access-log bucket; notifications would have no target",
        LOG_BUCKET,
    ),
    CheckovException(
        "CKV_AWS_300",
        BOTH,
        "only Elastic Load Balancing may write to the access-log bucket, under alb/ (its "
        "bucket policy), and the lifecycle rule for alb/ aborts incomplete uploads after a day; "
        "checkov asks for a rule without a prefix",
        frozenset({"aws_s3_bucket_lifecycle_configuration"}),
    ),
    CheckovException(
        "CKV2_AWS_76",
        frozenset({"prod"}),
        "false positive for Log4j: the web ACL runs AWSManagedRulesKnownBadInputsRuleSet, which "
        "holds the Log4j rule (CKV_AWS_192 passes); the check also demands the Anonymous IP "
        "list, which would block VPN and Tor visitors of a public site",
        frozenset({"aws_lb"}),
    ),
    CheckovException(
        "CKV2_AWS_31",
        frozenset({"prod"}),
        "cost: WAF full request logging is billed per GB ingested; the web ACL keeps CloudWatch "
        "metrics and sampled requests for every rule, enough to review blocks",
        frozenset({"aws_wafv2_web_acl"}),
    ),
    # Stage only: cheap and disposable by design (its stack file says so).
    CheckovException(
        "CKV_AWS_88",
        STAGE,
        "the `instance` NAT strategy: each AZ's NAT instance sits in the public subnet with a "
        "public IP to forward the private subnets' outbound traffic, and admits only traffic "
        "from inside the VPC (policy exception NAT_INSTANCE_PUBLIC_IP)",
        frozenset({"aws_launch_template"}),
    ),
    CheckovException(
        "CKV2_AWS_28",
        STAGE,
        "cost: stage runs without WAF (deployment.waf false, about 8 USD a month saved); prod "
        "has it, and production settings require it",
        frozenset({"aws_lb"}),
    ),
    CheckovException(
        "CKV_AWS_150",
        STAGE,
        "stage is disposable: its load balancer may be deleted with the stack "
        "(deployment.loadBalancerDeletionProtection false)",
        frozenset({"aws_lb"}),
    ),
    CheckovException(
        "CKV_AWS_157",
        STAGE,
        "cost: stage's database is single-AZ (database.multiAz false); prod's is Multi-AZ",
        frozenset({"aws_db_instance"}),
    ),
    CheckovException(
        "CKV_AWS_293",
        STAGE,
        "stage is disposable: its database may be deleted with the stack "
        "(database.deletionProtection false)",
        frozenset({"aws_db_instance"}),
    ),
)


@dataclass(frozen=True)
class Failure:
    stack: str
    check: str
    resource: str
    name: str

    def line(self) -> str:
        return f"{self.stack}: {self.check} {self.resource}: {self.name}"


def run_checkov(plan_file: Path) -> list[dict[str, Any]]:
    """checkov's failed checks for one plan file (raises when checkov cannot run)."""
    if not CHECKOV.exists():
        raise SystemExit(
            f"checkov is not installed at {CHECKOV}: run `make checkov-venv` (or set CHECKOV)"
        )
    env = {
        **os.environ,
        "BC_SKIP_MAPPING": "TRUE",
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("BC_API_KEY", None)
    completed = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(plan_file),
            "--framework",
            "terraform_plan",
            "--repo-root-for-plan-enrichment",
            str(plan_file.parent),
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    if completed.returncode not in (0, 1) or not completed.stdout.strip():
        raise SystemExit(f"checkov failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    report = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    failed: list[dict[str, Any]] = []
    for item in reports:
        failed += item.get("results", {}).get("failed_checks", [])
    return failed


def failures_of(stack: str, failed: Iterable[Mapping[str, Any]]) -> list[Failure]:
    return sorted(
        {
            Failure(stack, str(f["check_id"]), str(f["resource"]), str(f.get("check_name", "")))
            for f in failed
        },
        key=lambda f: (f.check, f.resource),
    )


def decide(
    failures: Iterable[Failure], stacks: Iterable[str]
) -> tuple[list[tuple[Failure, CheckovException]], list[Failure], list[CheckovException]]:
    """(excepted failures with their exception, failures nobody decided, unused exceptions)."""
    excepted, open_ = [], []
    used: set[CheckovException] = set()
    for f in failures:
        exception = next(
            (e for e in CHECKOV_EXCEPTIONS if e.covers(f.stack, f.check, f.resource)), None
        )
        if exception is None:
            open_.append(f)
        else:
            excepted.append((f, exception))
            used.add(exception)
    checked = set(stacks)
    unused = [e for e in CHECKOV_EXCEPTIONS if e not in used and e.stacks & checked]
    return excepted, open_, unused


def write_plan(stack: str, directory: Path) -> Path:
    recording = render_stack(stack)
    region = read_stack(stack).region or "us-east-1"
    path = directory / f"{stack}.tfplan.json"
    path.write_text(json.dumps(plan_document(plan_resources(recording.resources), region)))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="stack to check (repeatable)")
    parser.add_argument("--keep", type=Path, help="write the plan JSON files here")
    args = parser.parse_args(argv)
    stacks = args.stack or ["stage", "prod"]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        failures: list[Failure] = []
        for stack in stacks:
            plan = write_plan(stack, directory)
            failures += failures_of(stack, run_checkov(plan))
    excepted, open_, unused = decide(failures, stacks)
    for f, e in excepted:
        print(f"  [excepted] {f.line()} -- {e.reason}")
    for f in open_:
        print(f"  [FAILED]   {f.line()}")
    for e in unused:
        print(f"  [stale]    exception {e.check} for {', '.join(sorted(e.stacks))} matches nothing")
    elapsed = time.monotonic() - started
    print(
        f"checkov: {len(open_)} failed, {len(excepted)} excepted, {len(unused)} stale "
        f"exceptions over {', '.join(stacks)} in {elapsed:.0f} s"
    )
    return 1 if open_ or unused else 0


if __name__ == "__main__":
    sys.exit(main())
