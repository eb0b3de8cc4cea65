"""The original design's shape, as baselines: per-request clients and one message at a time."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
from flask import Flask, jsonify, request

from devstack.stackdef import REGION


def naive_frontend(queue_url: str, token_parameter: str, endpoint: str) -> Flask:
    """A Flask app that creates clients and reads SSM on every request."""
    app = Flask("naive-frontend")

    @app.post("/")
    def submit() -> Any:
        body = request.get_json()
        ssm = boto3.client("ssm", region_name=REGION, endpoint_url=endpoint)
        token = ssm.get_parameter(Name=token_parameter, WithDecryption=True)["Parameter"]["Value"]
        if body.get("token") != token:
            return jsonify(error="unauthorized"), 401
        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
        response = sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body["data"]))
        return jsonify(message_id=response["MessageId"]), 202

    return app


def naive_worker_loop(
    sqs: Any, s3: Any, queue_url: str, bucket: str, stop: threading.Event
) -> None:
    """Receive one message, upload it, delete it; repeat."""
    while not stop.is_set():
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            key = f"naive/{message['MessageId']}.json"
            s3.put_object(Bucket=bucket, Key=key, Body=message["Body"].encode())
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
