"""The emulator's snapshots: which inputs key them and what `make up` decides (no emulator), and
a save in one moto server restored into a fresh one (real servers on loopback).

The whole stack (apply -> snapshot -> restore -> nothing to plan) is proved by the twin test,
tests/live/test_local_stack.py; the incremental apply after a changed input is the decision
below plus Terraform's own plan, not run end to end (a second apply would cost minutes).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack import emulator as emulator_lib
from devstack import snapshots
from devstack.stackdef import EMULATOR, REGION

KEY_A = "a" * 64
KEY_B = "b" * 64


def tree(root: Path) -> Path:
    files = {
        "live/local/env.hcl": "locals {}",
        "live/local/sqs/terragrunt.hcl": "include {}",
        "live/_common/sqs.hcl": "inputs = {}",
        "modules/sqs/main.tf": 'resource "aws_sqs_queue" "this" {}',
        "modules/sqs/README.md": "# sqs",
        "modules/sqs/tests/sqs.tftest.hcl": "run {}",
        "terragrunt.hcl": "remote_state {}",
        "stack.json": "{}",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_the_key_follows_what_feeds_the_apply_only(tmp_path: Path) -> None:
    root = tree(tmp_path)
    key = snapshots.inputs_key(root)
    assert len(key) == 64
    # Documentation, module tests and Terragrunt's caches change nothing that is applied.
    (root / "modules/sqs/README.md").write_text("# sqs, explained", encoding="utf-8")
    (root / "modules/sqs/tests/sqs.tftest.hcl").write_text("run { x }", encoding="utf-8")
    cache = root / "live/local/sqs/.terragrunt-cache/x/main.tf"
    cache.parent.mkdir(parents=True)
    cache.write_text("generated", encoding="utf-8")
    (root / "live/local/sqs/.terraform.lock.hcl").write_text("generated", encoding="utf-8")
    assert snapshots.inputs_key(root) == key
    # A module, a component file, the environment and the root configuration do.
    for name in ("modules/sqs/main.tf", "live/_common/sqs.hcl", "live/local/env.hcl"):
        path = root / name
        original = path.read_text(encoding="utf-8")
        path.write_text(original + "\n# changed", encoding="utf-8")
        assert snapshots.inputs_key(root) != key, name
        path.write_text(original, encoding="utf-8")
    assert snapshots.inputs_key(root) == key
    (root / "tools").mkdir()
    (root / "tools/versions.env").write_text("TERRAFORM_VERSION=1", encoding="utf-8")
    assert snapshots.inputs_key(root) != key


def snapshot(directory: Path, key: str, age_s: float = 0) -> None:
    path = directory / f"{key}{snapshots.SUFFIX}"
    path.write_bytes(b"state")
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))


def test_make_up_restores_and_skips_the_apply_only_for_the_same_inputs(tmp_path: Path) -> None:
    assert snapshots.decide(KEY_A, tmp_path) == snapshots.Decision(restore=None, apply=True)
    snapshot(tmp_path, KEY_B, age_s=60)
    # Other inputs: the newest snapshot, then an apply of the difference.
    assert snapshots.decide(KEY_A, tmp_path) == snapshots.Decision(restore=KEY_B, apply=True)
    snapshot(tmp_path, KEY_A)
    assert snapshots.decide(KEY_A, tmp_path) == snapshots.Decision(restore=KEY_A, apply=False)
    assert snapshots.decide(KEY_B, tmp_path) == snapshots.Decision(restore=KEY_B, apply=False)
    snapshots.prune(tmp_path, keep=KEY_A)
    assert [path.name for path in tmp_path.iterdir()] == [f"{KEY_A}{snapshots.SUFFIX}"]
    assert "no apply" in snapshots.decide(KEY_A, tmp_path).describe()


def client(service: str, server: emulator_lib.Emulator) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=server.endpoint,
        aws_access_key_id=EMULATOR.credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=EMULATOR.credentials["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.mark.integration
def test_a_saved_emulator_restores_into_a_fresh_one(tmp_path: Path) -> None:
    key = uuid.uuid4().hex
    bucket = f"snapshot-{key[:12]}"
    with emulator_lib.running(state_dir=tmp_path) as first:
        s3 = client("s3", first)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket=bucket, Key="k", Body=b"kept", Metadata={"request-id": "r-1"})
        sqs = client("sqs", first)
        queue = sqs.create_queue(QueueName=bucket)["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="waiting")
        # SSM builds its tag store with a local lambda, which pickle cannot name.
        client("ssm", first).put_parameter(
            Name=f"/{bucket}",
            Value="secret",
            Type="SecureString",
            Tags=[{"Key": "k", "Value": "v"}],
        )
        vpc = client("ec2", first).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        assert snapshots.call(first.endpoint, "save", key) >= 4
        with pytest.raises(snapshots.SnapshotError, match="400 name must be"):
            snapshots.call(first.endpoint, "save", "../escape")
    assert [path.name for path in tmp_path.iterdir()] == [f"{key}{snapshots.SUFFIX}"]

    with emulator_lib.running(state_dir=tmp_path) as second:
        with pytest.raises(snapshots.SnapshotError, match="404 no snapshot"):
            snapshots.call(second.endpoint, "load", "0" * 64)
        assert snapshots.call(second.endpoint, "load", key) >= 4
        s3 = client("s3", second)
        got = s3.get_object(Bucket=bucket, Key="k")
        assert got["Body"].read() == b"kept"
        assert got["Metadata"] == {"request-id": "r-1"}
        sqs = client("sqs", second)
        queue = sqs.get_queue_url(QueueName=bucket)["QueueUrl"]
        (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
        assert message["Body"] == "waiting"
        ssm = client("ssm", second)
        parameter = ssm.get_parameter(Name=f"/{bucket}", WithDecryption=True)["Parameter"]
        assert parameter["Value"] == "secret"
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"/{bucket}")
        assert tags["TagList"] == [{"Key": "k", "Value": "v"}]
        # The restored tag store (its lambda factory rebuilt) takes new entries.
        ssm.put_parameter(Name="/new", Value="x", Type="String", Tags=[{"Key": "a", "Value": "b"}])
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/new")
        assert tags["TagList"] == [{"Key": "a", "Value": "b"}]
        vpcs = {item["VpcId"] for item in client("ec2", second).describe_vpcs()["Vpcs"]}
        assert vpc in vpcs
        # The restored emulator keeps working: new writes next to the restored ones.
        s3.put_object(Bucket=bucket, Key="new", Body=b"after")
        assert s3.get_object(Bucket=bucket, Key="new")["Body"].read() == b"after"
