"""Bootstrap of one AWS account for ecs-platform: `pulumi up` in bootstrap/ (docs/operations.md, "Deploy to AWS")."""

from __future__ import annotations

import bootstrap_resources as res
import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

# Every `ecs-platform-bootstrap:` value the CLI passed, as text: plain strings as written,
# numbers and booleans as their text, lists and objects as JSON. Each is decoded by its
# key's type, so a stack file value of the wrong type is reported by name, not by a
# ConfigTypeError traceback.
prefix = f"{pulumi.get_project()}:"
passed = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
raw = {key[len(prefix) :]: str(value) for key, value in passed.items() if key.startswith(prefix)}
try:
    settings = res.settings_from_cli_config(raw, aws.config.region or "")
except ValueError as error:
    raise pulumi.RunError(str(error)) from None

identity = aws.get_caller_identity()
partition = aws.get_partition().partition
built = res.declare(settings, identity.account_id, partition)

state_region = settings.region
pulumi.export("stateBucket", built.bucket.bucket)
pulumi.export("backendUrl", built.bucket.bucket.apply(lambda b: f"s3://{b}?region={state_region}"))
pulumi.export("kmsKeyArn", built.key.arn)
# The bootstrap's own state (docs/operations.md: moved under bootstrap/ in the bucket) uses the state key.
pulumi.export("bootstrapSecretsProvider", f"awskms://{settings.kms_alias}?region={state_region}")
# `pulumi stack init <env> --secrets-provider <this>`: each stack's secrets have their own key.
pulumi.export(
    "secretsProviders",
    {
        env: f"awskms://{res.secrets_alias(settings, env)}?region={state_region}"
        for env in settings.environments
    },
)
pulumi.export("oidcProviderArn", built.oidc_provider_arn)
pulumi.export("deployRoleArns", {env: role.arn for env, role in built.deploy_roles.items()})
pulumi.export("previewRoleArn", built.preview_role.arn)
pulumi.export("previewRoleArns", {env: role.arn for env, role in built.preview_roles.items()})
pulumi.export("workloadBoundaryArn", built.boundary.arn)
