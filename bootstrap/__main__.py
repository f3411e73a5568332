"""Bootstrap of one AWS account for ecs-platform: `pulumi up` in bootstrap/ (README, "Deploy to AWS")."""

from __future__ import annotations

import bootstrap_resources as res
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
raw = {
    key: value
    for key in (
        "githubRepository",
        "environments",
        "noncurrentVersionDays",
        "noncurrentVersionsKept",
        "kmsAlias",
        "workloadIamPath",
        "ciIamPath",
        "existingOidcProviderArn",
        "tags",
    )
    if (value := config.get_object(key)) is not None
}
settings = res.settings_from_config(raw, aws.config.region or "")
identity = aws.get_caller_identity()
partition = aws.get_partition().partition
built = res.declare(settings, identity.account_id, partition)

state_region = settings.region
pulumi.export("stateBucket", built.bucket.bucket)
pulumi.export("backendUrl", built.bucket.bucket.apply(lambda b: f"s3://{b}?region={state_region}"))
pulumi.export("kmsKeyArn", built.key.arn)
pulumi.export("secretsProvider", f"awskms://{settings.kms_alias}?region={state_region}")
pulumi.export("oidcProviderArn", built.oidc_provider_arn)
pulumi.export("deployRoleArns", {env: role.arn for env, role in built.deploy_roles.items()})
pulumi.export("previewRoleArn", built.preview_role.arn)
pulumi.export("workloadBoundaryArn", built.boundary.arn)
