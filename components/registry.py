"""Registry: the ECR repository of the website image, and the image itself, by digest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker
from pulumi import ResourceOptions


@dataclass(frozen=True)
class RegistryArgs:
    """Where the image comes from and how long images are kept."""

    kms_key_arn: pulumi.Input[str]
    """KMS key that encrypts the repository."""
    app_path: str = "app"
    """Build context of the website image (holds its Dockerfile)."""
    image: str = ""
    """An image already pushed, by digest; empty builds `app_path` and pushes it."""
    version: str = "dev"
    """Release version; the pushed tag is `<version>-<hash of the build context>`."""
    keep_tagged_images: int = 30
    """Tagged images kept; older ones expire (untagged ones after a day)."""
    platform: str = "linux/arm64"
    """Platform the image is built for (Fargate ARM64 by default)."""
    protect: bool = True
    """Pulumi refuses to delete the repository, deleting the stack leaves it (and its images)
    in AWS, and ECR refuses to delete it while it holds images. Off makes it disposable: the
    stack's deletion removes it with its images (force delete)."""

    def __post_init__(self) -> None:
        if not 1 <= self.keep_tagged_images <= 1000:
            raise ValueError("keep_tagged_images must be between 1 and 1000")
        if self.image and "@sha256:" not in self.image:
            raise ValueError("image must be referenced by digest (...@sha256:...)")


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
