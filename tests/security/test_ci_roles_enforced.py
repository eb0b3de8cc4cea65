"""Least privilege of CI's roles, proven against the emulator with IAM enforced.

modules/github-oidc is applied for real (terraform) to a moto server; the stack's data and
secrets are created with the emulator's unauthenticated set-up calls; then the plan and deploy
roles are assumed (sts:AssumeRoleWithWebIdentity, as the workflows do) and moto's IAM
enforcement is switched on (`/moto-api/reset-auth` sets INITIAL_NO_AUTH_ACTION_COUNT to 0).
Every call below is made with a role's temporary credentials and judged by the role's policies.

The token: modules/ecs creates the token's key (applied here for real, the key and its alias
only) and devstack.token writes the parameter with it. A refresh of that unit, recorded by the
emulator (moto's request recorder), must read no parameter value and decrypt nothing; every
call it makes must be allowed to the plan role by its applied policies, evaluated below with
the call's real resource ARN (moto itself judges KMS calls against "*" only, so the plan
role's key-scoped reads cannot be proven by letting moto answer them), while moto denies the
plan role the token's value for real.

What moto 5.2.5 evaluates (moto/iam/access_control.py): Allow and Deny with Action/Resource;
the resource is the real ARN for S3 (bucket, object), SQS (queue), IAM calls naming an existing
role, and STS, and "*" for every other service, so only statements with Resource "*" decide
those. Conditions of identity policies are not evaluated (a conditional statement applies as
if its condition held). The conditions (iam:PermissionsBoundary, iam:PolicyARN,
job_workflow_ref, kms:ViaService) are therefore asserted on the rendered policy JSON in
modules/github-oidc/tests/defaults.tftest.hcl, and are not claimed here.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack import emulator, module_tests, terraform, token
from devstack.stackdef import REGION, REPO_ROOT

# Applying the module takes minutes on a busy machine; the calls themselves take seconds.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

ACCOUNT = emulator.ACCOUNT_ID
NAME = "devops-prod"
STATE_BUCKET = f"ingest-pipeline-tfstate-{ACCOUNT}-{REGION}"
STATE_KEY = "live/prod/ecs/terraform.tfstate"
DATA_BUCKET = f"{NAME}-data-{ACCOUNT}-{REGION}"
DATA_KEY = "messages/2026/01/01/1-abc.json"
TOKEN_PARAMETER = "/app/frontend/token"  # pragma: allowlist secret
LOG_GROUP = f"/ecs/{NAME}/frontend-service"
QUEUE = f"{NAME}-queue"
STACK_ROLE = f"{NAME}-frontend-task"
TIMEOUT_S = 1200
TOKEN_KEY_ALIAS = f"alias/{NAME}-token"
ACCOUNT_ID_LOOKUP = {"iam:GetUser", "sts:GetCallerIdentity"}
# The ecs module's inputs for an apply of the token key alone (-target): well-formed values;
# nothing else of the module is created.
ECS_INPUTS = {
    "name": NAME,
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "alb_security_group_id": "sg-0123456789abcdef0",
    "target_group_arn": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/tg/0123abcd",
    "alb_arn_suffix": "app/alb/0123abcd",
    "target_group_arn_suffix": "targetgroup/tg/0123abcd",
    "queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QUEUE}",
    "queue_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}",
    "queue_name": QUEUE,
    "data_bucket_name": DATA_BUCKET,
    "data_bucket_arn": f"arn:aws:s3:::{DATA_BUCKET}",
    "services": {
        "frontend": {
            "service_name": "frontend-service",
            "image_repository": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/frontend-service",
            "image_tag": "v1",
            "port": 5000,
            "access": ["read-token", "send-to-queue"],
        }
    },
}


@dataclass(frozen=True)
class Call:
    """One API call the emulator recorded: its IAM action and the resource it names."""

    action: str
    resource: str


@dataclass(frozen=True)
class Stack:
    endpoint: str
    plan: boto3.Session
    deploy: boto3.Session
    queue_url: str
    ciphertext: bytes
    trail_name: str
    token_key_arn: str
    token_refresh: list[Call]
    plan_policies: list[dict[str, Any]]


def _admin(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **_dummy())


def _dummy() -> dict[str, str]:
    creds = emulator.EMULATOR.credentials
    return {
        "aws_access_key_id": creds["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": creds["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": creds["AWS_SESSION_TOKEN"],
    }


def _apply_module(endpoint: str, work: Path) -> dict[str, Any]:
    shutil.copytree(
        REPO_ROOT / "modules" / "github-oidc",
        work,
        ignore=shutil.ignore_patterns("tests", ".terraform*"),
    )
    (work / "emulator_provider.tf").write_text(module_tests.provider_block(), encoding="utf-8")
    (work / "test.auto.tfvars.json").write_text(
        json.dumps(
            {
                "name": NAME,
                "github_repository": "acme/ingest-pipeline",
                "github_environment": "prod",
                "state_bucket_name": STATE_BUCKET,
                "state_key_prefix": "live/prod/",
            }
        ),
        encoding="utf-8",
    )
    _terraform(endpoint, work, "init", "-input=false", "-no-color")
    _terraform(endpoint, work, "apply", "-auto-approve", "-input=false", "-no-color")
    shown = _terraform(endpoint, work, "output", "-json")
    return {key: value["value"] for key, value in json.loads(shown).items()}


def _terraform(endpoint: str, work: Path, *argv: str) -> str:
    done = subprocess.run(
        [terraform.binary(), *argv],
        cwd=work,
        env=module_tests.emulator_terraform_env(endpoint),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _apply_token_key(endpoint: str, work: Path) -> None:
    """modules/ecs applied for its token key and alias only (what the ecs unit manages of the
    token); local state in `work`."""
    shutil.copytree(
        REPO_ROOT / "modules",
        work / "modules",
        ignore=shutil.ignore_patterns("tests", ".terraform*"),
    )
    unit = work / "modules" / "ecs"
    (unit / "emulator_provider.tf").write_text(module_tests.provider_block(), encoding="utf-8")
    (unit / "test.auto.tfvars.json").write_text(json.dumps(ECS_INPUTS), encoding="utf-8")
    _terraform(endpoint, unit, "init", "-input=false", "-no-color")
    _terraform(
        endpoint, unit, "apply", "-auto-approve", "-input=false", "-no-color", *_TOKEN_TARGETS
    )


_TOKEN_TARGETS = ("-target=aws_kms_key.token", "-target=aws_kms_alias.token")


def _moto_api(endpoint: str, path: str, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{endpoint}/moto-api/{path}", data=data, method="POST" if data is not None else "GET"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return bytes(response.read())


def _recorded_refresh(endpoint: str, work: Path, key_arn: str) -> list[Call]:
    """The calls of `terraform plan -refresh-only` of the token key and alias."""
    _moto_api(endpoint, "recorder/reset-recording", b"")
    _moto_api(endpoint, "recorder/start-recording", b"")
    unit = work / "modules" / "ecs"
    _terraform(
        endpoint, unit, "plan", "-refresh-only", "-input=false", "-no-color", *_TOKEN_TARGETS
    )
    _moto_api(endpoint, "recorder/stop-recording", b"")
    lines = _moto_api(endpoint, "recorder/download-recording").decode().splitlines()
    return [_call(json.loads(line), key_arn) for line in lines if line.strip()]


def _call(entry: dict[str, Any], key_arn: str) -> Call:
    headers = {name.lower(): value for name, value in entry["headers"].items()}
    raw = entry["body"] or ""
    text = base64.b64decode(raw).decode() if entry["body_encoded"] else raw
    # Credential=<key>/<date>/<region>/<service>/aws4_request
    service = headers["authorization"].split("Credential=")[1].split("/")[3]
    if "x-amz-target" in headers:  # JSON protocols: "TrentService.DescribeKey"
        operation = headers["x-amz-target"].rsplit(".", 1)[1]
        body = json.loads(text or "{}")
    else:  # query protocols: Action=GetCallerIdentity&...
        body = dict(urllib.parse.parse_qsl(text))
        operation = body["Action"]
    # The token key's id or alias resolves to its ARN; calls naming no key act on "*".
    names_key = bool(body.get("KeyId")) and operation != "ListAliases"
    return Call(f"{service}:{operation}", key_arn if names_key else "*")


def _policies(endpoint: str, role_arn: str) -> list[dict[str, Any]]:
    iam = _admin(endpoint, "iam")
    role = role_arn.rsplit("/", 1)[1]
    inline = [
        iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert not attached, attached  # the plan role's policies are all inline (evaluated here)
    return [document if isinstance(document, dict) else json.loads(document) for document in inline]


def _matches(patterns: str | list[str], value: str) -> bool:
    return any(
        fnmatch.fnmatchcase(value.lower(), pattern.lower())
        for pattern in ([patterns] if isinstance(patterns, str) else patterns)
    )


def _allowed(policies: list[dict[str, Any]], call: Call) -> bool:
    """IAM's identity-policy evaluation for one call: an explicit Deny wins (conditions or not:
    the stricter reading), else an unconditional Allow of the action on the resource."""
    statements = [s for policy in policies for s in policy["Statement"]]
    applies = [
        s
        for s in statements
        if _matches(s["Action"], call.action) and _matches(s["Resource"], call.resource)
    ]
    if any(s["Effect"] == "Deny" for s in applies):
        return False
    return any(s["Effect"] == "Allow" and "Condition" not in s for s in applies)


def _seed(endpoint: str) -> tuple[str, bytes, str]:
    """The stack's data and secrets, created before IAM is enforced."""
    s3 = _admin(endpoint, "s3")
    for bucket in (STATE_BUCKET, DATA_BUCKET):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=STATE_BUCKET, Key=STATE_KEY, Body=b'{"version": 4}')
    s3.put_object(Bucket=DATA_BUCKET, Key=DATA_KEY, Body=b'{"message": "-marker-"}')
    # The token as `make token` writes it, with the key modules/ecs created.
    ssm, kms = token.clients(endpoint)
    assert token.TokenParameter(ssm, kms, TOKEN_PARAMETER, TOKEN_KEY_ALIAS).create().action == (
        "created"
    )
    logs = _admin(endpoint, "logs")
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName="s")
    logs.put_log_events(
        logGroupName=LOG_GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": 1, "message": "-marker-"}],
    )
    queue_url = _admin(endpoint, "sqs").create_queue(QueueName=QUEUE)["QueueUrl"]
    _admin(endpoint, "sqs").send_message(QueueUrl=queue_url, MessageBody="-marker-")
    _admin(endpoint, "ecr").create_repository(repositoryName="frontend-service")
    _admin(endpoint, "iam").create_role(
        RoleName=STACK_ROLE,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    kms = _admin(endpoint, "kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    ciphertext = kms.encrypt(KeyId=key, Plaintext=b"-marker-")["CiphertextBlob"]
    _admin(endpoint, "ec2").create_vpc(CidrBlock="10.30.0.0/16")
    trail = _admin(endpoint, "cloudtrail").create_trail(
        Name="org-audit", S3BucketName=STATE_BUCKET
    )["Name"]
    return queue_url, ciphertext, trail


def _assume(endpoint: str, role_arn: str) -> boto3.Session:
    creds = _admin(endpoint, "sts").assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="ci", WebIdentityToken="header.payload.signature"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def _enforce_iam(endpoint: str) -> None:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{endpoint}/moto-api/reset-auth",
        data=b"0",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # The count of requests moto serves before it enforces IAM: unlimited for the set-up, then
    # 0 through /moto-api/reset-auth (the server reads the setting at start and on reset).
    settings = {"INITIAL_NO_AUTH_ACTION_COUNT": "inf"}
    recording = tmp_path_factory.mktemp("recording") / "moto_recording"
    settings["MOTO_RECORDER_FILEPATH"] = str(recording)
    with emulator.running(settings=settings) as server:
        work = tmp_path_factory.mktemp("work")
        outputs = _apply_module(server.endpoint, work / "github-oidc")
        _apply_token_key(server.endpoint, work / "ecs")
        key_arn = _admin(server.endpoint, "kms").describe_key(KeyId=TOKEN_KEY_ALIAS)["KeyMetadata"][
            "Arn"
        ]
        queue_url, ciphertext, trail = _seed(server.endpoint)
        refresh = _recorded_refresh(server.endpoint, work / "ecs", key_arn)
        policies = _policies(server.endpoint, outputs["plan_role_arn"])
        plan = _assume(server.endpoint, outputs["plan_role_arn"])
        deploy = _assume(server.endpoint, outputs["deploy_role_arn"])
        _enforce_iam(server.endpoint)
        yield Stack(
            server.endpoint,
            plan,
            deploy,
            queue_url,
            ciphertext,
            trail,
            key_arn,
            refresh,
            policies,
        )


def _client(session: boto3.Session, stack: Stack, service: str) -> Any:
    return session.client(service, endpoint_url=stack.endpoint)


def _denied(call: Callable[[], object]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    # Denied by policy, not refused as an unknown identity: 403 with AccessDenied (S3 and the
    # query APIs) or moto's "is not authorized to perform" (the JSON APIs answer code "403").
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, raised.value
    assert error["Code"] in {"AccessDenied", "403"}, raised.value
    assert error["Code"] == "AccessDenied" or "is not authorized to perform" in str(raised.value)
    return str(error["Code"])


def test_enforcement_is_on(stack: Stack) -> None:
    """Control: the emulator's dummy credentials are no identity once IAM is enforced."""
    with pytest.raises(ClientError) as raised:
        _admin(stack.endpoint, "s3").get_object(Bucket=DATA_BUCKET, Key=DATA_KEY)
    assert raised.value.response["Error"]["Code"] in {"InvalidAccessKeyId", "AccessDenied"}


def test_plan_role_reads_what_a_plan_needs(stack: Stack) -> None:
    s3 = _client(stack.plan, stack, "s3")
    assert s3.get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read() == b'{"version": 4}'
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET)["Contents"]] == [STATE_KEY]
    assert _client(stack.plan, stack, "ec2").describe_vpcs()["Vpcs"]
    assert _client(stack.plan, stack, "sqs").get_queue_attributes(
        QueueUrl=stack.queue_url, AttributeNames=["All"]
    )["Attributes"]
    assert (
        _client(stack.plan, stack, "iam").get_role(RoleName=STACK_ROLE)["Role"]["RoleName"]
        == STACK_ROLE
    )
    assert _client(stack.plan, stack, "logs").describe_log_groups()["logGroups"]
    names = [
        p["Name"] for p in _client(stack.plan, stack, "ssm").describe_parameters()["Parameters"]
    ]
    assert TOKEN_PARAMETER in names  # metadata only: the value stays out of reach (below)


def test_refresh_of_the_token_key_reads_no_token_and_the_plan_role_may_make_it(
    stack: Stack,
) -> None:
    actions = {call.action for call in stack.token_refresh}
    # The refresh really read the key and its alias (a recording of nothing proves nothing).
    assert {"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus"} <= actions
    assert "kms:ListAliases" in actions
    # Nothing that reveals the token: no parameter read, no decryption, no data key.
    revealing = [a for a in actions if a.startswith(("ssm:", "secretsmanager:", "kms:Decrypt"))]
    assert not revealing, revealing
    # Every call is the plan role's to make, but the provider's account-id lookup at start:
    # iam:GetUser (with a role's credentials AWS refuses it and the provider goes on) and
    # sts:GetCallerIdentity (which needs no permission).
    refused = [
        call
        for call in stack.token_refresh
        if call.action not in ACCOUNT_ID_LOOKUP and not _allowed(stack.plan_policies, call)
    ]
    assert not refused, refused
    # Control: the evaluation refuses what the role is denied, and what it is not granted.
    assert not _allowed(stack.plan_policies, Call("ssm:GetParameter", "*"))
    assert not _allowed(stack.plan_policies, Call("kms:Decrypt", stack.token_key_arn))
    assert not _allowed(stack.plan_policies, Call("kms:PutKeyPolicy", stack.token_key_arn))
    assert _allowed(stack.plan_policies, Call("kms:DescribeKey", stack.token_key_arn))


def test_plan_role_lists_key_aliases_but_reads_no_token(stack: Stack) -> None:
    kms = _client(stack.plan, stack, "kms")
    aliases = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert TOKEN_KEY_ALIAS in aliases
    ssm = _client(stack.plan, stack, "ssm")
    _denied(lambda: ssm.get_parameter(Name=TOKEN_PARAMETER, WithDecryption=True))
    _denied(lambda: ssm.get_parameter(Name=TOKEN_PARAMETER, WithDecryption=False))
    _denied(lambda: ssm.get_parameter_history(Name=TOKEN_PARAMETER, WithDecryption=True))


def test_plan_role_never_writes_state_or_locks(stack: Stack) -> None:
    s3 = _client(stack.plan, stack, "s3")
    _denied(lambda: s3.put_object(Bucket=STATE_BUCKET, Key=f"{STATE_KEY}.tflock", Body=b"{}"))
    _denied(lambda: s3.delete_object(Bucket=STATE_BUCKET, Key=STATE_KEY))


def test_plan_role_reads_no_data_or_secrets(stack: Stack) -> None:
    s3 = _client(stack.plan, stack, "s3")
    _denied(lambda: s3.get_object(Bucket=DATA_BUCKET, Key=DATA_KEY))
    _denied(lambda: s3.list_objects_v2(Bucket=DATA_BUCKET))
    ssm = _client(stack.plan, stack, "ssm")
    _denied(lambda: ssm.get_parameter(Name=TOKEN_PARAMETER, WithDecryption=True))
    _denied(lambda: ssm.get_parameters(Names=[TOKEN_PARAMETER], WithDecryption=True))
    _denied(lambda: _client(stack.plan, stack, "kms").decrypt(CiphertextBlob=stack.ciphertext))
    _denied(lambda: _client(stack.plan, stack, "sqs").receive_message(QueueUrl=stack.queue_url))


def test_plan_role_reads_no_logs_or_images(stack: Stack) -> None:
    logs = _client(stack.plan, stack, "logs")
    _denied(lambda: logs.get_log_events(logGroupName=LOG_GROUP, logStreamName="s"))
    _denied(lambda: logs.filter_log_events(logGroupName=LOG_GROUP))
    ecr = _client(stack.plan, stack, "ecr")
    _denied(ecr.get_authorization_token)
    _denied(
        lambda: ecr.batch_get_image(
            repositoryName="frontend-service", imageIds=[{"imageTag": "latest"}]
        )
    )


def test_deploy_role_writes_state_but_not_its_history(stack: Stack) -> None:
    s3 = _client(stack.deploy, stack, "s3")
    version = s3.put_object(Bucket=STATE_BUCKET, Key=STATE_KEY, Body=b'{"version": 4}')["VersionId"]
    s3.put_object(Bucket=STATE_BUCKET, Key=f"{STATE_KEY}.tflock", Body=b"{}")
    s3.delete_object(Bucket=STATE_BUCKET, Key=f"{STATE_KEY}.tflock")
    _denied(lambda: s3.delete_object(Bucket=STATE_BUCKET, Key=STATE_KEY, VersionId=version))
    _denied(
        lambda: s3.put_bucket_versioning(
            Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Suspended"}
        )
    )
    _denied(lambda: s3.delete_bucket(Bucket=STATE_BUCKET))


def test_deploy_role_cannot_blind_the_audit(stack: Stack) -> None:
    cloudtrail = _client(stack.deploy, stack, "cloudtrail")
    _denied(lambda: cloudtrail.stop_logging(Name=stack.trail_name))
    _denied(lambda: cloudtrail.delete_trail(Name=stack.trail_name))


def test_deploy_role_cannot_free_a_role_or_touch_the_ci_roles(stack: Stack) -> None:
    iam = _client(stack.deploy, stack, "iam")
    _denied(lambda: iam.delete_role_permissions_boundary(RoleName=STACK_ROLE))
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    _denied(lambda: iam.attach_role_policy(RoleName=f"{NAME}-github-deploy", PolicyArn=admin))
    _denied(
        lambda: iam.put_role_policy(
            RoleName=f"{NAME}-github-plan", PolicyName="x", PolicyDocument="{}"
        )
    )
    # An existing stack role: allowed by the boundary statement (moto ignores its condition).
    assert iam.get_role(RoleName=STACK_ROLE)["Role"]["RoleName"] == STACK_ROLE


def test_deploy_role_manages_the_stack_queue(stack: Stack) -> None:
    sqs = _client(stack.deploy, stack, "sqs")
    sqs.set_queue_attributes(QueueUrl=stack.queue_url, Attributes={"VisibilityTimeout": "60"})
    assert sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["VisibilityTimeout"])[
        "Attributes"
    ] == {"VisibilityTimeout": "60"}
