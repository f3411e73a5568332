"""StackKey: the customer-managed KMS key that encrypts the stack's logs, data and topics."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from aws_facts import KMS_DELETION_WINDOW_DAYS
from components.iam import document, statement

# Days a scheduled deletion of a key the program creates waits: the longest window KMS allows,
# the safest (a key deleted by mistake can be recovered until it ends).
DELETION_WINDOW_DAYS = KMS_DELETION_WINDOW_DAYS[1]


@dataclass(frozen=True)
class StackKeyArgs:
    """What the key is for."""

    alias: str
    """Alias name without `alias/`, unique per stack (e.g. ecs-platform-stage)."""
    protect: bool
    """Pulumi refuses to delete the key, and deleting the stack leaves it in AWS instead of
    scheduling its deletion: everything the stack encrypted (database, snapshots, images,
    logs) stays readable. Off makes the key disposable with its stack (the stack's
    protectStatefulResources)."""
    deletion_window_days: int = DELETION_WINDOW_DAYS
    """Days a scheduled deletion waits, within what KMS allows (aws_facts)."""

    def __post_init__(self) -> None:
        low, high = KMS_DELETION_WINDOW_DAYS
        if not low <= self.deletion_window_days <= high:
            raise ValueError(f"deletion_window_days must be between {low} and {high}")


class StackKey(pulumi.ComponentResource):
    """A KMS key with rotation on, usable by CloudWatch Logs, CloudWatch alarms and the
    account's own principals (RDS, ECR, Secrets Manager, SNS use it on their callers' behalf)."""

    key_arn: pulumi.Output[str]
    """ARN of the key."""
    key_id: pulumi.Output[str]
    """Id of the key."""

    def __init__(self, name: str, args: StackKeyArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:kms:StackKey", name, None, opts)
        child = ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self))
        root = account.account_id.apply(lambda a: f"arn:aws:iam::{a}:root")
        logs_arns = pulumi.Output.all(region.region, account.account_id).apply(
            lambda ra: f"arn:aws:logs:{ra[0]}:{ra[1]}:*"
        )
        policy = document(
            statement("AccountAdministersKey", ["kms:*"], "*", principal={"AWS": root}),
            statement(
                "CloudWatchLogsUseKey",
                [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "*",
                principal={"Service": region.region.apply(lambda r: f"logs.{r}.amazonaws.com")},
                condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": logs_arns}},
            ),
            statement(
                "AlarmsPublishToEncryptedTopics",
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                "*",
                # CloudWatch alarms and the Managed Prometheus alert manager publish to the
                # KMS-encrypted alarm topic as themselves, not as a principal of the account.
                principal={"Service": ["cloudwatch.amazonaws.com", "aps.amazonaws.com"]},
                condition={"StringEquals": {"aws:SourceAccount": account.account_id}},
            ),
        )
        # The alias is not retained: a re-created stack creates its alias again, and a retained
        # one would make that CreateAlias fail (AlreadyExistsException).
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts logs, data and topics of {args.alias}",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=policy,
            tags={"Name": args.alias},
            opts=ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        aws.kms.Alias(
            f"{name}-alias", name=f"alias/{args.alias}", target_key_id=key.key_id, opts=child
        )
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id})
