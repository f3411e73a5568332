"""Registry: the ECR repository of the website image, and the image itself, by digest.

The image a deployment runs is the one given (a release, or the one the service runs now, read
by `running_release`) or the one built from the app's directory, which must be asked for (the
first deploy, or a development build): a deployment without release settings changes the
infrastructure and never the release.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker
from pulumi import ResourceOptions

from settings import BUILT_IMAGE_ARCHITECTURE


@dataclass(frozen=True)
class RunningService:
    """The ECS service whose running image a deployment keeps; its names are fixed per stack,
    so they are known before anything is deployed."""

    cluster: str
    """Name (or ARN) of the cluster."""
    service: str
    """Name of the service."""
    container: str
    """Name of the container in the service's task definition that runs the image."""


@dataclass(frozen=True)
class RunningRelease:
    """What the running service's container runs."""

    image: str
    """Its image, as the task definition names it."""
    environment: dict[str, str]
    """Its environment variables."""


class NoRunningRelease(pulumi.RunError):
    """The running service's image cannot be read (most often: the stack runs nothing yet).
    A RunError: the engine prints its message without a Python traceback."""


@dataclass(frozen=True)
class RegistryArgs:
    """Where the image comes from and how long images are kept."""

    kms_key_arn: pulumi.Input[str]
    """KMS key that encrypts the repository."""
    image: str
    """An image already pushed, by digest, to deploy (a release, or the one the service runs
    now: `running_release`); empty only with `build`."""
    build: bool
    """Build `app_path`, push it and deploy it (the first deploy of a stack, or a deliberate
    development build); never together with `image`."""
    version: str
    """Release version; the pushed tag is `<version>-<hash of the build context>`."""
    protect: bool
    """Pulumi refuses to delete the repository, deleting the stack leaves it (and its images)
    in AWS, and ECR refuses to delete it while it holds images. Off makes it disposable: the
    stack's deletion removes it with its images (force delete)."""
    app_path: str = "app"
    """Build context of the website image (holds its Dockerfile)."""
    keep_tagged_images: int = 30
    """Tagged images kept; older ones expire (untagged ones after a day)."""
    platform: str = f"linux/{BUILT_IMAGE_ARCHITECTURE}"
    """Platform the image is built for: the one settings check the tasks' architecture
    against while the program builds the image."""

    def __post_init__(self) -> None:
        if not 1 <= self.keep_tagged_images <= 1000:
            raise ValueError("keep_tagged_images must be between 1 and 1000")
        if self.image and "@sha256:" not in self.image:
            raise ValueError("image must be referenced by digest (...@sha256:...)")
        if self.image and self.build:
            raise ValueError("give image or build, not both: image deploys it, build builds one")
        if not self.image and not self.build:
            raise ValueError("give image (a release or the running one) or build")


def lifecycle_policy(keep_tagged_images: int) -> str:
    """ECR lifecycle rules: untagged images expire after a day, then only the newest tagged
    images are kept."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "Expire untagged images after one day",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 1,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the newest {keep_tagged_images} tagged images",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": ["*"],
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_tagged_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


def context_hash(path: Path) -> str:
    """A short hash of every file in a build context, so that a changed context gets a new
    (immutable) tag and an unchanged one is not pushed again."""
    digest = hashlib.sha256()
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            relative = file.relative_to(path).as_posix()
            if "__pycache__" in relative or relative.startswith((".venv", "tests/")):
                continue
            digest.update(relative.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def running_release(
    running: RunningService, opts: pulumi.InvokeOptions | None = None
) -> RunningRelease:
    """Reads the image (and environment) the service's container runs: the service names its
    current task definition, whose container definition names the image. Call it before
    anything is declared: a first deploy that fails here has created nothing.

    The plain (not `_output`) invokes block until AWS answers, so that a failure (the service
    does not exist before the first deploy) can be explained here rather than surface as the
    provider's bare error. DescribeServices takes the cluster's short name or ARN and returns
    the service's `taskDefinition` ARN (ECS API reference, DescribeServices); a task
    definition's container definitions carry `image` and `environment` (ECS API reference,
    DescribeTaskDefinition, ContainerDefinition).
    """
    where = f"service {running.service} of cluster {running.cluster}"
    try:
        service = aws.ecs.get_service(
            cluster_arn=running.cluster, service_name=running.service, opts=opts
        )
        container = aws.ecs.get_container_definition(
            task_definition=service.task_definition,
            container_name=running.container,
            opts=opts,
        )
    except Exception as error:  # the SDK raises a bare Exception for a failed invoke
        raise NoRunningRelease(
            f"cannot read the image {where} runs ({error}). If the stack runs no release yet: "
            "set release.image, or release.build: true for the first deploy"
        ) from error
    if "@sha256:" not in (container.image or ""):
        # The program only ever deploys by digest; anything else was set outside it.
        raise NoRunningRelease(
            f"container {running.container} of {where} runs {container.image or 'no image'!r}, "
            "not an image by digest: set release.image, or release.build: true"
        )
    return RunningRelease(image=container.image, environment=dict(container.environment or {}))


class Registry(pulumi.ComponentResource):
    """An immutable, scanned, KMS-encrypted ECR repository and the website image in it."""

    repository_url: pulumi.Output[str]
    """URL of the repository (without tag or digest)."""
    repository_name: pulumi.Output[str]
    """Name of the repository."""
    repository_arn: pulumi.Output[str]
    """ARN of the repository."""
    image_ref: pulumi.Output[str]
    """The image the service runs, always by digest."""

    def __init__(self, name: str, args: RegistryArgs, opts: ResourceOptions | None = None):
        super().__init__("ecs-platform:registry:Registry", name, None, opts)
        child = ResourceOptions(parent=self)
        repo = aws.ecr.Repository(
            f"{name}-repo",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.kms_key_arn}],
            # DeleteRepository refuses a repository that still holds images unless forced
            # (ECR API reference, DeleteRepository, force): a disposable stack forces it.
            force_delete=not args.protect,
            tags={"Name": f"{name}-repo"},
            opts=ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repo.name,
            policy=lifecycle_policy(args.keep_tagged_images),
            opts=child,
        )

        if args.image:
            image_ref: pulumi.Output[str] = pulumi.Output.from_input(args.image)
        else:
            token = aws.ecr.get_authorization_token_output(
                registry_id=repo.registry_id, opts=pulumi.InvokeOptions(parent=self)
            )
            tag = f"{args.version}-{context_hash(Path(args.app_path))}"
            image = docker.Image(
                f"{name}-image",
                image_name=repo.repository_url.apply(lambda url: f"{url}:{tag}"),
                build=docker.DockerBuildArgs(
                    context=args.app_path,
                    dockerfile=f"{args.app_path}/Dockerfile",
                    platform=args.platform,
                ),
                registry=docker.RegistryArgs(
                    server=repo.repository_url,
                    username=token.user_name,
                    password=pulumi.Output.secret(token.password),
                ),
                opts=child,
            )
            # The pushed digest, not the tag: what runs is exactly what was scanned.
            image_ref = image.repo_digest

        self.repository_url = repo.repository_url
        self.repository_name = repo.name
        self.repository_arn = repo.arn
        self.image_ref = image_ref
        self.register_outputs({"repository_url": self.repository_url, "image_ref": image_ref})
