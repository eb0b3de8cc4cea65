"""Fresh, uniquely named emulator resources for one test or benchmark case."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from devstack.stackdef import EMULATOR, REGION

_CLIENT_CONFIG = Config(
    region_name=REGION, retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=50
)


def client(service: str, endpoint: str, pool: int | None = None) -> Any:
    """A client for the emulator's credentials; `pool`: connections for that many threads."""
    config = (
        _CLIENT_CONFIG if pool is None else _CLIENT_CONFIG.merge(Config(max_pool_connections=pool))
    )
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=EMULATOR.credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=EMULATOR.credentials["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class Resources:
    endpoint: str
    queue_url: str
    dlq_url: str | None
    bucket: str
    token_parameter: str
    token: str
    kms_key_arn: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def sqs(self) -> Any:
        return self._client("sqs")

    def s3(self) -> Any:
        return self._client("s3")

    def ssm(self) -> Any:
        return self._client("ssm")

    def _client(self, service: str) -> Any:
        # Created once: building a boto3 client costs tens of milliseconds of CPU,
        # which would distort tight polling loops (and the benchmark).
        if service not in self._clients:
            self._clients[service] = client(service, self.endpoint)
        return self._clients[service]

    def object_keys(self) -> list[str]:
        keys: list[str] = []
        for page in self.s3().get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    def queue_counts(self, url: str | None = None) -> tuple[int, int]:
        attributes = self.sqs().get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )


def create(
    endpoint: str,
    *,
    visibility_timeout: int = 30,
    max_receive_count: int | None = None,
    create_bucket: bool = True,
    token: str | None = None,
    kms: bool = False,
) -> Resources:
    """A new queue (with a DLQ when max_receive_count is set), bucket and token parameter.

    kms: as the stack builds them with their customer-managed keys: a key, the queues
    encrypted with it, the bucket encrypted with it by default (bucket key on) and its policy
    refusing uploads that ask for other encryption (kms_only_statements).
    """
    sqs = client("sqs", endpoint)
    name = unique("q")
    dlq_url = None
    key_arn = client("kms", endpoint).create_key()["KeyMetadata"]["Arn"] if kms else None
    encryption = {"KmsMasterKeyId": key_arn} if key_arn else {}
    attributes = {"VisibilityTimeout": str(visibility_timeout), **encryption}
    if max_receive_count is not None:
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq", Attributes=encryption)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
        )
    queue_url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    bucket = unique("bucket")
    if create_bucket:
        s3 = client("s3", endpoint)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        if key_arn:
            s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": key_arn,
                            },
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
            )
            policy = {"Version": "2012-10-17", "Statement": kms_only_statements(bucket, key_arn)}
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    parameter = f"/test/{uuid.uuid4().hex[:12]}/token"
    secret = token or uuid.uuid4().hex
    client("ssm", endpoint).put_parameter(Name=parameter, Value=secret, Type="SecureString")
    return Resources(endpoint, queue_url, dlq_url, bucket, parameter, secret, key_arn)


def kms_only_statements(bucket: str, key_arn: str) -> list[dict[str, Any]]:
    """The data bucket's encryption statements as modules/s3 renders them with a key (its
    test asserts the same conditions): PutObject asking for other encryption, or another key,
    is denied; a PutObject without encryption headers gets the bucket default."""

    def deny_unless(header: str, allowed: str) -> dict[str, Any]:
        return {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"Null": {header: "false"}, "StringNotEquals": {header: allowed}},
        }

    return [
        {"Sid": "DenyUploadsWithOtherEncryption"}
        | deny_unless("s3:x-amz-server-side-encryption", "aws:kms"),
        {"Sid": "DenyUploadsWithAnotherKey"}
        | deny_unless("s3:x-amz-server-side-encryption-aws-kms-key-id", key_arn),
    ]


def wait_until(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
