"""A recording mock engine: what the tests and the offline plan run the program against.

`AwsMocks` answers resource registrations with the inputs plus the fields AWS computes (ids,
ARNs, DNS names, endpoints, merged tags) and answers every invoke the program makes. The
`RecordingMonitor` keeps each registration with what the mock engine otherwise forgets: the
parent, the provider and the resource options that keep deployed state (protect,
retainOnDelete, ignoreChanges, aliases).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as runtime_mocks
from pulumi.runtime import rpc

ACCOUNT_ID = "123456789012"
ZONE_ID = "Z0123456789EXAMPLE"
# What the stack's service runs before a deployment that keeps it: an image of the stack's own
# repository by digest (the digest is the sha256 of the repository name), released as below.
RUNNING_IMAGE = ACCOUNT_ID + ".dkr.ecr.{region}.amazonaws.com/{repository}@sha256:"
RUNNING_ENVIRONMENT = {"APP_VERSION": "1.4.0", "APP_COLOR": "green"}
# The ELB account that writes access logs in us-east-1 (AWS documentation, "Enable access logs").
ELB_ACCOUNT = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-central-1": "054676820928",
}


@dataclass(frozen=True)
class RecordedAlias:
    """One alias a resource was declared with: an earlier identity whose state it keeps.

    Either a whole URN (`urn`), or a spec whose empty fields mean "as the resource is now":
    `parent` is the earlier parent's URN, `no_parent` says it was once top-level.
    """

    urn: str = ""
    name: str = ""
    type: str = ""
    parent: str = ""
    no_parent: bool = False
    stack: str = ""
    project: str = ""


@dataclass
class RecordedResource:
    """One resource as the program declared it."""

    type: str
    name: str
    urn: str
    parent: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    provider: str = ""
    custom: bool = True
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    aliases: tuple[RecordedAlias, ...] = ()

    @property
    def parent_type(self) -> str:
        """Type token of the parent, read from the URN (empty for top-level resources)."""
        qualified = self.urn.split("::")[2]
        chain = qualified.split("$")
        return chain[-2] if len(chain) > 1 else ""


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _service_of(type_token: str) -> str:
    module = type_token.split(":")[1].split("/")[0]
    return {
        "lb": "elasticloadbalancing",
        "alb": "elasticloadbalancing",
        "cloudwatch": "cloudwatch",
        "amp": "aps",
        "wafv2": "wafv2",
        "appautoscaling": "application-autoscaling",
    }.get(module, module)


class AwsMocks(pulumi.runtime.Mocks):
    """Answers the program's resources and invokes as AWS would, deterministically."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self.default_tags: dict[str, dict[str, str]] = {}
        self.unanswered_invokes: list[str] = []

    # Computed fields -------------------------------------------------------------------------
    def new_resource(self, args: runtime_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        typ, name = args.typ, args.name
        if typ.startswith("pulumi:providers:"):
            # Provider inputs arrive as strings; nested objects as JSON text.
            default_tags = inputs.get("defaultTags") or {}
            if isinstance(default_tags, str):
                default_tags = json.loads(default_tags)
            tags = default_tags.get("tags") or {}
            self.default_tags[name] = dict(tags)
            return f"{name}-provider-id", inputs
        if not args.custom:
            return "", inputs
        resource_id = self._id_for(typ, name, inputs)
        arn_name = inputs.get("name") or f"{name}-{_digest(typ, name, length=7)}"
        out = {
            **inputs,
            "id": resource_id,
            "arn": inputs.get("arn")
            or f"arn:aws:{_service_of(typ)}:{self.region}:{ACCOUNT_ID}:{typ.split(':')[-1].lower()}"
            f"/{arn_name}",
        }
        if "name" not in inputs:
            out["name"] = arn_name
        if isinstance(inputs.get("tags"), dict):
            defaults = self._defaults_for(args.provider or "")
            out["tagsAll"] = {**defaults, **(inputs.get("tags") or {})}
        out.update(self._computed(typ, name, inputs, out))
        return resource_id, out

    def _defaults_for(self, provider_ref: str) -> dict[str, str]:
        # A provider reference is "<urn>::<id>"; the urn ends with the provider's name.
        urn = provider_ref.rsplit("::", 1)[0] if provider_ref else ""
        provider_name = urn.split("::")[-1] if urn else ""
        return self.default_tags.get(provider_name, {})

    def _id_for(self, typ: str, name: str, inputs: dict[str, Any]) -> str:
        prefixes = {
            "aws:ec2/vpc:Vpc": "vpc-",
            "aws:ec2/subnet:Subnet": "subnet-",
            "aws:ec2/securityGroup:SecurityGroup": "sg-",
            "aws:ec2/instance:Instance": "i-",
            "aws:ec2/routeTable:RouteTable": "rtb-",
            "aws:ec2/internetGateway:InternetGateway": "igw-",
            "aws:ec2/natGateway:NatGateway": "nat-",
            "aws:ec2/eip:Eip": "eipalloc-",
            "aws:ec2/networkInterface:NetworkInterface": "eni-",
            "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
            "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
            "aws:kms/key:Key": "",
            "aws:route53/zone:Zone": "Z",
        }
        prefix = prefixes.get(typ, "")
        if typ == "aws:kms/key:Key":
            digest = _digest(typ, name, length=32)
            return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        if prefix:
            return prefix + _digest(typ, name)
        return inputs.get("name") or f"{name}-id"

    def _computed(
        self, typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]
    ) -> dict[str, Any]:
        rid = out["id"]
        if typ in ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"):
            suffix = f"app/{out['name']}/{_digest(name, length=16)}"
            return {
                "dnsName": f"{out['name']}-{_digest(name, length=10)}.{self.region}.elb.amazonaws.com",
                "zoneId": "Z35SXDOTRQ7X7K",
                "arnSuffix": suffix,
                "arn": f"arn:aws:elasticloadbalancing:{self.region}:{ACCOUNT_ID}:loadbalancer/{suffix}",
            }
        if typ in ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"):
            suffix = f"targetgroup/{out['name']}/{_digest(name, length=16)}"
            return {
                "arnSuffix": suffix,
                "arn": f"arn:aws:elasticloadbalancing:{self.region}:{ACCOUNT_ID}:{suffix}",
            }
        if typ in ("aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule"):
            kind = "listener" if typ.endswith("Listener") else "listener-rule"
            return {
                "arn": f"arn:aws:elasticloadbalancing:{self.region}:{ACCOUNT_ID}:{kind}/app/"
                f"{_digest(name, length=16)}"
            }
        if typ == "aws:ec2/vpc:Vpc":
            if not inputs.get("assignGeneratedIpv6CidrBlock"):
                return {"ipv6CidrBlock": ""}
            # An Amazon-provided /56, as AWS hands one to a VPC.
            group, byte = _digest(name, "ipv6", length=4), _digest(name, "ipv6", length=2)
            block = ipaddress.IPv6Network(f"2600:1f18:{group}:{byte}00::/56")
            return {"ipv6CidrBlock": str(block)}
        if typ == "aws:ecr/repository:Repository":
            return {
                "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com/{out['name']}",
                "registryId": ACCOUNT_ID,
            }
        if typ == "aws:rds/instance:Instance":
            host = f"{out.get('identifier') or name}.{_digest(name, length=12)}.{self.region}.rds.amazonaws.com"
            return {
                "address": host,
                "endpoint": f"{host}:5432",
                "port": inputs.get("port", 5432),
                "resourceId": "db-" + _digest(name, length=26).upper(),
                "identifier": out.get("identifier") or f"{name}-{_digest(name, length=7)}",
                "masterUserSecrets": [
                    {
                        "secretArn": f"arn:aws:secretsmanager:{self.region}:{ACCOUNT_ID}:secret:"
                        f"rds!db-{_digest(name, length=36)}-AbCdEf",
                        "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                        "secretStatus": "active",
                    }
                ],
            }
        if typ == "aws:kms/key:Key":
            return {"keyId": rid, "arn": f"arn:aws:kms:{self.region}:{ACCOUNT_ID}:key/{rid}"}
        if typ == "aws:kms/alias:Alias":
            return {"arn": f"arn:aws:kms:{self.region}:{ACCOUNT_ID}:{inputs.get('name', name)}"}
        if typ == "aws:iam/role:Role":
            return {
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{inputs.get('path', '/').strip('/') + '/' if inputs.get('path', '/') != '/' else ''}{out['name']}",
                "uniqueId": "AROA" + _digest(name, length=17).upper(),
            }
        if typ == "aws:iam/instanceProfile:InstanceProfile":
            return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{out['name']}"}
        if typ == "aws:iam/policy:Policy":
            return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{out['name']}"}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return {"arn": f"arn:aws:logs:{self.region}:{ACCOUNT_ID}:log-group:{out['name']}"}
        if typ == "aws:sns/topic:Topic":
            return {"arn": f"arn:aws:sns:{self.region}:{ACCOUNT_ID}:{out['name']}"}
        if typ == "aws:s3/bucket:Bucket" or typ == "aws:s3/bucketV2:BucketV2":
            bucket = inputs.get("bucket") or f"{name}-{_digest(name, length=8)}"
            return {
                "bucket": bucket,
                "id": bucket,
                "arn": f"arn:aws:s3:::{bucket}",
                "bucketRegionalDomainName": f"{bucket}.s3.{self.region}.amazonaws.com",
            }
        if typ == "aws:ecs/cluster:Cluster":
            return {"arn": f"arn:aws:ecs:{self.region}:{ACCOUNT_ID}:cluster/{out['name']}"}
        if typ == "aws:ecs/service:Service":
            return {"arn": f"arn:aws:ecs:{self.region}:{ACCOUNT_ID}:service/{out['name']}"}
        if typ == "aws:ecs/taskDefinition:TaskDefinition":
            family = inputs.get("family", name)
            return {
                "revision": 1,
                "arnWithoutRevision": f"arn:aws:ecs:{self.region}:{ACCOUNT_ID}:task-definition/{family}",
                "arn": f"arn:aws:ecs:{self.region}:{ACCOUNT_ID}:task-definition/{family}:1",
            }
        if typ == "aws:acm/certificate:Certificate":
            domain = inputs.get("domainName", "example.com")
            names = [domain, *(inputs.get("subjectAlternativeNames") or [])]
            return {
                "domainValidationOptions": [
                    {
                        "domainName": n,
                        "resourceRecordName": f"_{_digest(n, length=12)}.{n}.",
                        "resourceRecordType": "CNAME",
                        "resourceRecordValue": f"_{_digest(n, 'v', length=12)}.acm-validations.aws.",
                    }
                    for n in names
                ],
                "status": "ISSUED",
            }
        if typ == "aws:route53/zone:Zone":
            return {"zoneId": rid, "nameServers": [f"ns-{i}.awsdns-{i}.org" for i in range(4)]}
        if typ == "aws:route53/record:Record":
            return {"fqdn": inputs.get("name", name)}
        if typ == "aws:amp/workspace:Workspace":
            ws = "ws-" + _digest(name, length=12)
            return {
                "id": ws,
                "arn": f"arn:aws:aps:{self.region}:{ACCOUNT_ID}:workspace/{ws}",
                "prometheusEndpoint": f"https://aps-workspaces.{self.region}.amazonaws.com/workspaces/{ws}/",
            }
        if typ == "aws:ec2/instance:Instance":
            public = inputs.get("associatePublicIpAddress")
            return {
                "privateIp": "10.0.224.10",
                "publicIp": "203.0.113.10" if public else "",
                "primaryNetworkInterfaceId": "eni-" + _digest(name, "eni"),
            }
        if typ == "aws:ec2/eip:Eip":
            return {
                "publicIp": "198.51.100." + str(int(_digest(name, length=2), 16) % 250 + 1),
                "allocationId": rid,
            }
        if typ == "aws:ec2/launchTemplate:LaunchTemplate":
            return {"latestVersion": 1, "defaultVersion": 1}
        if typ == "aws:autoscaling/group:Group":
            return {
                "arn": f"arn:aws:autoscaling:{self.region}:{ACCOUNT_ID}:autoScalingGroup:"
                f"{_digest(name, length=8)}:autoScalingGroupName/{out['name']}"
            }
        if typ == "aws:wafv2/webAcl:WebAcl":
            return {
                "arn": f"arn:aws:wafv2:{self.region}:{ACCOUNT_ID}:regional/webacl/{out['name']}/{rid}"
            }
        if typ == "aws:secretsmanager/secret:Secret":
            return {
                "arn": f"arn:aws:secretsmanager:{self.region}:{ACCOUNT_ID}:secret:{out['name']}-AbCdEf"
            }
        if typ == "aws:grafana/workspace:Workspace":
            return {
                "endpoint": f"g-{_digest(name, length=10)}.grafana-workspace.{self.region}.amazonaws.com"
            }
        if typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            return {"arn": f"arn:aws:cloudwatch:{self.region}:{ACCOUNT_ID}:alarm:{out['name']}"}
        if typ.startswith("docker:") and typ.endswith(":Image"):
            image = inputs.get("imageName", f"{name}:latest")
            repo = image.rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image
            return {"repoDigest": f"{repo}@sha256:{_digest(image, length=64)}", "imageName": image}
        return {}

    # Invokes -------------------------------------------------------------------------------
    def call(
        self, args: runtime_mocks.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """The invoke's outputs, and no check failures (an empty list: the mock monitor
        iterates over them)."""
        token, a = args.token, dict(args.args)
        answer = self._invoke(token, a)
        if answer is None:
            self.unanswered_invokes.append(token)
            raise NotImplementedError(f"the mock engine does not answer the invoke {token}")
        return answer, []

    def _invoke(self, token: str, a: dict[str, Any]) -> dict[str, Any] | None:
        region = self.region
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            letters = "abcdef"
            return {
                "names": [f"{region}{c}" for c in letters],
                "zoneIds": [f"use1-az{i + 1}" for i in range(len(letters))],
                "id": region,
                "groupNames": [region],
            }
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/preview",
                "userId": "AIDAEXAMPLE",
                "id": ACCOUNT_ID,
            }
        if token == "aws:index/getRegion:getRegion":
            return {
                "name": region,
                "region": region,
                "id": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
                "description": region,
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "id": "aws",
                "reverseDnsPrefix": "com.amazonaws",
            }
        if token == "aws:ssm/getParameter:getParameter":
            pname = a.get("name", "")
            return {
                "name": pname,
                "type": "String",
                "value": "ami-0" + _digest(pname, length=16),
                "arn": f"arn:aws:ssm:{region}::parameter{pname}",
                "id": pname,
                "version": 1,
                "insecureValue": "ami-0" + _digest(pname, length=16),
            }
        if token == "aws:ec2/getAmi:getAmi":
            return {
                "id": "ami-0" + _digest(str(a.get("filters")), length=16),
                "architecture": "arm64",
                "name": "mock-ami",
            }
        if token == "aws:route53/getZone:getZone":
            zone = (a.get("name") or "example.com").rstrip(".")
            return {
                "zoneId": ZONE_ID,
                "name": zone,
                "id": ZONE_ID,
                "nameServers": ["ns-1.awsdns-1.org"],
                "arn": f"arn:aws:route53:::hostedzone/{ZONE_ID}",
            }
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            registry = a.get("registryId") or ACCOUNT_ID
            return {
                "authorizationToken": "QVdTOm1vY2stdG9rZW4=",
                "userName": "AWS",
                "password": "mock-ecr-password",
                "id": registry,
                "expiresAt": "2099-01-01",
                "proxyEndpoint": f"https://{registry}.dkr.ecr.{region}.amazonaws.com",
            }
        if token == "aws:ecs/getService:getService":
            # The service as a previous deployment left it: its current task definition.
            cluster = str(a.get("clusterArn") or "").rsplit("/", 1)[-1]
            service = str(a.get("serviceName") or "")
            family = f"{service}-{_digest(cluster, service, length=7)}"
            return {
                "id": f"arn:aws:ecs:{region}:{ACCOUNT_ID}:service/{cluster}/{service}",
                "arn": f"arn:aws:ecs:{region}:{ACCOUNT_ID}:service/{cluster}/{service}",
                "clusterArn": f"arn:aws:ecs:{region}:{ACCOUNT_ID}:cluster/{cluster}",
                "serviceName": service,
                "taskDefinition": f"arn:aws:ecs:{region}:{ACCOUNT_ID}:task-definition/{family}:7",
                "desiredCount": 2,
                "runningCount": 2,
                "status": "ACTIVE",
            }
        if token == "aws:ecs/getContainerDefinition:getContainerDefinition":
            task_definition = str(a.get("taskDefinition") or "")
            # The family is "<service>-<digest>", the service "<cluster>-web": the running image
            # sits in the stack's repository (named like the cluster), by digest.
            family = task_definition.rsplit("/", 1)[-1].split(":")[0]
            repository = family.rsplit("-", 2)[0]
            return {
                "id": f"{task_definition}/{a.get('containerName')}",
                "taskDefinition": task_definition,
                "containerName": a.get("containerName"),
                "image": RUNNING_IMAGE.format(region=region, repository=repository)
                + hashlib.sha256(repository.encode()).hexdigest(),
                "imageDigest": "sha256:" + hashlib.sha256(repository.encode()).hexdigest(),
                "environment": dict(RUNNING_ENVIRONMENT),
                "cpu": 0,
                "memory": 0,
                "memoryReservation": 0,
                "disableNetworking": False,
                "dockerLabels": {},
            }
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            acct = ELB_ACCOUNT.get(region, "127311923021")
            return {"id": acct, "arn": f"arn:aws:iam::{acct}:root"}
        return None


class RecordingMonitor(runtime_mocks.MockMonitor):
    """A mock monitor that keeps every registration with its parent and options."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.records: list[RecordedResource] = []
        self._pending: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:
        # pulumi's MockMonitor leaves its gRPC handlers unannotated.
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = self.resources[response.urn]
        inputs = rpc.deserialize_properties(request.object) if request.object else {}
        self.records.append(
            RecordedResource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                inputs=_plain(inputs),
                outputs=_plain(registration.state),
                id=registration.id or "",
                provider=request.provider,
                custom=bool(request.custom),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                ignore_changes=tuple(request.ignoreChanges),
                depends_on=tuple(request.dependencies),
                aliases=_aliases(request),
            )
        )
        return response

    def reset(self) -> None:
        self.records.clear()
        self.resources.clear()


def _aliases(request: Any) -> tuple[RecordedAlias, ...]:
    """The aliases of a registration, as the SDK sends them: specs (`aliases`) when the
    monitor supports them, whole URNs (`aliasURNs`) otherwise."""
    found = [RecordedAlias(urn=urn) for urn in request.aliasURNs]
    for alias in request.aliases:
        if not alias.HasField("spec"):
            found.append(RecordedAlias(urn=alias.urn))
            continue
        spec = alias.spec
        found.append(
            RecordedAlias(
                name=spec.name,
                type=spec.type,
                parent=spec.parentUrn,
                no_parent=spec.noParent,
                stack=spec.stack,
                project=spec.project,
            )
        )
    return tuple(found)


def _plain(value: Any) -> Any:
    """Deserialised properties as plain Python (unknowns and secrets unwrapped for review)."""
    if isinstance(value, dict):
        if (
            rpc._special_sig_key in value
            and value.get(rpc._special_sig_key) == rpc._special_secret_sig
        ):
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Resource):
        return getattr(value, "_name", str(value))
    return value


@dataclass
class Recording:
    """What one run declared, with helpers to query it."""

    resources: list[RecordedResource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        """Resources of one type token, ordered by logical name (registration order varies
        from run to run, because registrations wait on each other's outputs)."""
        return sorted((r for r in self.resources if r.type == type_token), key=lambda r: r.name)

    def one(self, type_token: str) -> RecordedResource:
        """The single resource of a type; fails when there is not exactly one."""
        found = self.of_type(type_token)
        assert len(found) == 1, f"expected one {type_token}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> RecordedResource:
        """The resource with this logical name."""
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.resources:
            out[r.type] = out.get(r.type, 0) + 1
        return out
