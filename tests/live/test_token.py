"""devstack.token against a real moto server: create, re-encrypt, rotate, finish, --show.

The frontend's own parser (frontend.token_store.parse_tokens) reads every value the tool
writes, so a rotation is checked the way the service will see it.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from frontend.token_store import parse_tokens

from devstack import emulator as emulator_lib
from devstack import stack, token
from devstack.stackdef import REPO_ROOT

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Place:
    endpoint: str
    ssm: Any
    kms: Any
    parameter: str
    key_alias: str
    key_arn: str

    def value(self) -> str:
        found = self.ssm.get_parameter(Name=self.parameter, WithDecryption=True)
        return str(found["Parameter"]["Value"])

    def key_id(self) -> str:
        found = self.ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Values": [self.parameter]}]
        )["Parameters"]
        return str(found[0]["KeyId"])

    def run(self, command: str, *extra: str) -> subprocess.CompletedProcess[str]:
        argv = ["--parameter", self.parameter, "--key", self.key_alias, "--endpoint"]
        return subprocess.run(
            [sys.executable, "-m", "devstack.token", command, *argv, self.endpoint, *extra],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def place(emulator: emulator_lib.Emulator) -> Place:
    ssm, kms = token.clients(emulator.endpoint)
    unique = uuid.uuid4().hex[:10]
    key_arn = kms.create_key(Description=f"token {unique}")["KeyMetadata"]["Arn"]
    alias = f"alias/test-{unique}-token"
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    return Place(emulator.endpoint, ssm, kms, f"/test/{unique}/token", alias, key_arn)


def tool(place: Place) -> token.TokenParameter:
    return token.TokenParameter(place.ssm, place.kms, place.parameter, place.key_alias)


def test_create_writes_a_secure_string_with_the_token_key_once(place: Place) -> None:
    created = tool(place).create()
    assert created.action == "created"
    assert parse_tokens(place.value()) == (created.token.encode(),)
    assert len(created.token) == token.TOKEN_LENGTH
    assert created.token.isalnum()
    assert place.ssm.get_parameter(Name=place.parameter)["Parameter"]["Type"] == "SecureString"
    assert place.kms.describe_key(KeyId=place.key_id())["KeyMetadata"]["Arn"] == place.key_arn

    again = tool(place).create()
    assert (again.action, again.token) == ("kept", created.token)
    assert place.value() == created.token


def test_create_re_encrypts_a_parameter_of_another_key_keeping_its_value(place: Place) -> None:
    # What earlier versions left behind: the token under the AWS-managed aws/ssm key.
    place.ssm.put_parameter(Name=place.parameter, Value="old-token", Type="SecureString")
    outcome = tool(place).create()
    assert (outcome.action, outcome.token) == ("re-encrypted", "old-token")
    assert place.value() == "old-token"
    assert place.kms.describe_key(KeyId=place.key_id())["KeyMetadata"]["Arn"] == place.key_arn


def test_rotation_keeps_the_previous_token_until_finished(place: Place) -> None:
    first = tool(place).create().token
    rotated = tool(place).rotate()
    assert rotated.action == "rotated"
    assert rotated.token != first
    # The frontend accepts both while the clients switch.
    assert parse_tokens(place.value()) == (rotated.token.encode(), first.encode())

    with pytest.raises(token.TokenError, match="finish that rotation first"):
        tool(place).rotate()
    assert parse_tokens(place.value()) == (rotated.token.encode(), first.encode())

    finished = tool(place).finish()
    assert (finished.action, finished.token) == ("finished", rotated.token)
    assert parse_tokens(place.value()) == (rotated.token.encode(),)
    assert tool(place).finish().action == "kept"
    assert place.kms.describe_key(KeyId=place.key_id())["KeyMetadata"]["Arn"] == place.key_arn


def test_rotate_and_finish_refuse_a_missing_or_malformed_parameter(place: Place) -> None:
    with pytest.raises(token.TokenError, match="does not exist: create it first"):
        tool(place).rotate()
    with pytest.raises(token.TokenError, match="does not exist"):
        tool(place).finish()
    place.ssm.put_parameter(Name=place.parameter, Value="a\nb\nc", Type="SecureString")
    with pytest.raises(token.TokenError, match="3 token lines"):
        tool(place).rotate()
    assert place.value() == "a\nb\nc"


def test_cli_prints_the_token_only_when_asked(place: Place) -> None:
    created = place.run("create")
    assert created.returncode == 0, created.stderr
    assert created.stdout == ""
    current = place.value()
    assert current not in created.stderr
    assert f"created {place.parameter}" in created.stderr

    rotated = place.run("rotate")
    assert rotated.returncode == 0, rotated.stderr
    new = parse_tokens(place.value())[0].decode()
    assert rotated.stdout == ""
    assert new not in rotated.stderr
    assert current not in rotated.stderr

    refused = place.run("rotate")
    assert refused.returncode == 1
    assert "finish that rotation first" in refused.stderr
    assert refused.stdout == ""

    shown = place.run("finish", "--show")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"{new}\n"


def test_cli_reports_aws_errors_in_one_line(place: Place) -> None:
    # SSM refuses names under /aws (reserved), as AWS does.
    reserved = Place(
        place.endpoint, place.ssm, place.kms, "/aws/reserved/token", place.key_alias, place.key_arn
    )
    done = reserved.run("create")
    assert done.returncode == 1
    assert done.stderr.startswith("token: error: AWS refused or failed")
    assert done.stderr.count("\n") == 1
    assert done.stdout == ""


def test_clients_without_endpoint_use_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    ssm, kms = token.clients(None)
    assert ssm.meta.region_name == kms.meta.region_name == "eu-west-1"
    assert ssm.meta.endpoint_url == "https://ssm.eu-west-1.amazonaws.com"


def test_make_up_creates_the_twins_token_and_never_reports_it(place: Place) -> None:
    lines: list[str] = []
    ecs_outputs = {"token_parameter_name": place.parameter, "token_kms_key_arn": place.key_arn}
    stack.create_token(place.endpoint, ecs_outputs, lines.append)
    stack.create_token(place.endpoint, ecs_outputs, lines.append)
    assert lines == [
        f"token: {place.parameter} created (devstack.token, key {place.key_arn})",
        f"token: {place.parameter} kept (devstack.token, key {place.key_arn})",
    ]
    assert place.kms.describe_key(KeyId=place.key_id())["KeyMetadata"]["Arn"] == place.key_arn


def test_make_targets_for_local_read_the_twins_stack_env(place: Place, tmp_path: Path) -> None:
    stack_env = tmp_path / "stack.env"
    stack.write_stack_env(
        stack.StackSettings(
            endpoint=place.endpoint,
            region="eu-central-1",
            alb_url="http://127.0.0.1:8080",
            queue_url="http://127.0.0.1:4566/123456789012/q",
            dlq_url="http://127.0.0.1:4566/123456789012/q-dlq",
            data_bucket="bucket",
            token_parameter=place.parameter,
            token_key=place.key_arn,
        ),
        stack_env,
    )

    def make(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "--no-print-directory", *args, "ENV=local", f"STACK_ENV={stack_env}"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    created = make("token", "SHOW=1")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == place.value()
    rotated = make("rotate-token")
    assert rotated.returncode == 0, rotated.stderr
    assert place.value() not in rotated.stdout + rotated.stderr
    assert len(parse_tokens(place.value())) == 2
    finished = make("rotate-token", "FINISH=1")
    assert finished.returncode == 0, finished.stderr
    assert len(parse_tokens(place.value())) == 1
