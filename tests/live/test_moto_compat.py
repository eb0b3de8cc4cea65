"""The emulator's compatibility fixes (devstack/moto_server.py), against a real server."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devstack import emulator as emulator_lib


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        region_name="eu-central-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.integration
def test_sqs_redrive_allow_policy_reads_back(emulator: emulator_lib.Emulator) -> None:
    sqs = client("sqs", emulator.endpoint)
    dlq = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    assert (
        "RedriveAllowPolicy"
        not in sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    )
    policy = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:x"]})
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": policy})
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["RedriveAllowPolicy"])
    assert attributes["Attributes"]["RedriveAllowPolicy"] == policy


@pytest.mark.integration
def test_scalable_target_tags_round_trip(emulator: emulator_lib.Emulator) -> None:
    ecs, scaling = (
        client("ecs", emulator.endpoint),
        client("application-autoscaling", emulator.endpoint),
    )
    name = f"c-{uuid.uuid4().hex[:8]}"
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "x", "image": "x", "memory": 128}]
    )
    ecs.create_service(cluster=name, serviceName="s", taskDefinition=name, desiredCount=1)
    arn = scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{name}/s",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"Environment": "local"},
    )["ScalableTargetARN"]
    scaling.tag_resource(ResourceARN=arn, Tags={"Component": "ecs"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Component": "ecs"}


@pytest.mark.integration
def test_tls_only_bucket_policy_lets_requests_through_but_other_denies_hold(
    emulator: emulator_lib.Emulator,
) -> None:
    s3 = client("s3", emulator.endpoint)
    bucket = f"tls-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutsidePrefix",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/forbidden/*",
        },
    ]
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    s3.put_object(Bucket=bucket, Key="messages/a.json", Body=b"{}")
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="forbidden/a.json", Body=b"{}")
