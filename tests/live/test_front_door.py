"""The twin's ALB (devstack.front_door): routing and health logic, then a real backend on
loopback behind it, with the ELBv2 state in moto's in-process mock."""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from devstack import front_door, processes, stack
from devstack.front_door import HealthCheck, Request, TargetHealth

CHECK = HealthCheck(
    path="/", matcher="200", interval=1, timeout=1, healthy_threshold=2, unhealthy_threshold=3
)


def test_matcher_accepts_codes_lists_and_ranges() -> None:
    assert front_door.matches_code("200", 200)
    assert not front_door.matches_code("200", 204)
    assert front_door.matches_code("200,202", 202)
    assert front_door.matches_code("200-299", 204)
    assert not front_door.matches_code("200-299", 301)


def test_target_turns_healthy_and_unhealthy_by_thresholds() -> None:
    health = TargetHealth(CHECK)
    assert health.state == "initial"
    assert not health.record(ok=True, reason="")
    assert health.record(ok=True, reason="")
    assert health.state == "healthy"
    health.record(ok=False, reason="Target.Timeout")
    health.record(ok=False, reason="Target.Timeout")
    assert health.state == "healthy"
    assert health.record(ok=False, reason="Target.Timeout")
    assert (health.state, health.reason) == ("unhealthy", "Target.Timeout")
    # A pass between failures resets the count, as on an ALB.
    health.record(ok=True, reason="")
    health.record(ok=False, reason="x")
    assert health.state == "unhealthy"


def request(path: str = "/", method: str = "GET", host: str = "example.test") -> Request:
    return Request(method=method, host=host, path=path, query="a=1", headers={"x-env": "blue"})


RULES: list[dict[str, Any]] = [
    {"Priority": "default", "IsDefault": True, "Conditions": [], "Actions": [{"Type": "forward"}]},
    {
        "Priority": "20",
        "Conditions": [{"Field": "path-pattern", "Values": ["/api/*"]}],
        "Actions": [{"Type": "fixed-response", "Order": 1}],
    },
    {
        "Priority": "10",
        "Conditions": [
            {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/old*"]}},
            {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}},
        ],
        "Actions": [{"Type": "redirect"}],
    },
    {
        "Priority": "30",
        "Conditions": [
            {
                "Field": "http-header",
                "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["b*"]},
            }
        ],
        "Actions": [{"Type": "fixed-response", "Order": 2}],
    },
]


def test_rules_match_by_priority_then_default() -> None:
    assert front_door.choose_action(RULES, request("/api/old/x"))["Type"] == "redirect"
    assert front_door.choose_action(RULES, request("/api/old/x", "POST"))["Order"] == 1
    assert front_door.choose_action(RULES, request("/other"))["Order"] == 2
    plain = Request(method="GET", host="h", path="/", query="", headers={})
    assert front_door.choose_action(RULES, plain)["Type"] == "forward"


def test_redirect_fills_the_alb_placeholders() -> None:
    config = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    location = front_door.redirect_location(config, request("/a/b"), 80)
    assert location == "https://example.test:443/a/b?a=1"


def test_forwarded_headers_are_added_and_invalid_names_dropped() -> None:
    incoming = [
        ("Host", "example.test"),
        ("X-Forwarded-For", "10.0.0.9"),
        ("X_Bad_Name", "1"),
        ("Accept", "*/*"),
        ("Connection", "close"),
    ]
    sent = dict(front_door.forwarded_headers(incoming, "127.0.0.1", 80, "Root=1-x-y", True))
    assert sent["X-Forwarded-For"] == "10.0.0.9, 127.0.0.1"
    assert sent["X-Forwarded-Proto"] == "http"
    assert sent["X-Forwarded-Port"] == "80"
    assert sent["X-Amzn-Trace-Id"] == "Root=1-x-y"
    assert "X_Bad_Name" not in sent
    assert "Connection" not in sent
    assert sent["Accept"] == "*/*"
    kept = dict(front_door.forwarded_headers(incoming, "127.0.0.1", 80, "t", False))
    assert kept["X_Bad_Name"] == "1"


def test_listener_port_mapping() -> None:
    assert front_door.listener_ports("") == {80: 8080}
    mapping = front_door.listener_ports("80=9080, 8081=9000")
    assert mapping == {80: 9080, 8081: 9000}
    assert front_door.local_port(443, mapping) == 8443
    assert front_door.local_port(8081, mapping) == 9000
    with pytest.raises(ValueError, match="ALB_LISTENER_PORTS"):
        front_door.listener_ports("80:8080")


def test_trace_id_has_the_alb_shape() -> None:
    trace = front_door.trace_id(0x5F000000)
    assert trace.startswith("Root=1-5f000000-")
    assert len(trace.rsplit("-", 1)[1]) == 24


def test_chunked_bodies_are_decoded_and_malformed_ones_refused() -> None:
    framed = b"4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\nNEXT"
    stream = io.BytesIO(framed)
    assert front_door.read_chunked(stream) == b"Wikipedia in \r\n\r\nchunks."
    assert stream.read() == b"NEXT"  # the next request on the connection is left intact
    headers = {"Transfer-Encoding": "chunked"}
    assert front_door.read_body(headers, io.BytesIO(b"0\r\n\r\n")) == b""
    for bad in (b"zz\r\nab\r\n0\r\n\r\n", b"5\r\nab\r\n", b"2\r\nabXY0\r\n\r\n", b"2\r\nab\r\n"):
        with pytest.raises(front_door.BadRequestError):
            front_door.read_chunked(io.BytesIO(bad))
    with pytest.raises(front_door.BadRequestError, match="chunk size out of range"):
        front_door.read_chunked(io.BytesIO(b"10\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n"), limit=8)
    with pytest.raises(front_door.BadRequestError, match="Transfer-Encoding"):
        front_door.read_body({"Transfer-Encoding": "gzip"}, io.BytesIO(b""))
    with pytest.raises(front_door.BadRequestError, match="Content-Length"):
        front_door.read_body({"Content-Length": "-1"}, io.BytesIO(b""))


# --- a real backend behind the front door ----------------------------------------------------


class Backend(BaseHTTPRequestHandler):
    """Echoes the request headers; /slow sleeps past the idle timeout; /missing is a 404."""

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        """The body it got and how it was framed."""
        length = int(self.headers.get("Content-Length") or 0)
        seen = {
            "body": self.rfile.read(length).decode(),
            "content-length": self.headers.get("Content-Length"),
            "transfer-encoding": self.headers.get("Transfer-Encoding"),
        }
        body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(3)
        status = 404 if self.path == "/missing" else 200
        body = json.dumps(dict(self.headers.items())).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def backend() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def make_balancer(elbv2: Any, health_path: str) -> tuple[str, str]:
    """A load balancer with an HTTP:80 listener: /fixed answers 418, the rest is forwarded."""
    ec2 = boto3.client("ec2", region_name="eu-central-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-central-1{z}"
        )["Subnet"]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    balancer = elbv2.create_load_balancer(Name="twin-alb", Subnets=subnets)["LoadBalancers"][0]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Attributes=[
            {"Key": "idle_timeout.timeout_seconds", "Value": "1"},
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        ],
    )
    group = elbv2.create_target_group(
        Name="twin-tg",
        Protocol="HTTP",
        Port=5000,
        VpcId=vpc,
        TargetType="ip",
        HealthCheckPath=health_path,
        HealthCheckIntervalSeconds=2,
        HealthCheckTimeoutSeconds=1,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
        Matcher={"HttpCode": "200"},
    )["TargetGroups"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )["Listeners"][0]
    elbv2.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=5,
        Conditions=[{"Field": "path-pattern", "Values": ["/fixed"]}],
        Actions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "418",
                    "ContentType": "text/plain",
                    "MessageBody": "teapot",
                },
            }
        ],
    )
    return balancer["LoadBalancerName"], group["TargetGroupArn"]


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture
def elbv2() -> Iterator[Any]:
    with mock_aws():
        # Validation off: the ALB's minimum interval is 5 s; the tests check every 2 s.
        yield boto3.client(
            "elbv2", region_name="eu-central-1", config=Config(parameter_validation=False)
        )


def start_door(elbv2: Any, name: str, tmp_path: Path) -> tuple[front_door.FrontDoor, int]:
    balancer, groups = front_door.read_load_balancer(elbv2, name)
    door = front_door.FrontDoor(
        elbv2,
        balancer,
        groups=groups,
        port_map={80: 0},
        access_log=tmp_path / "alb-access.log",
        state_file=tmp_path / "alb-targets.json",
        report=lambda _message: None,
    )
    (port,) = door.serve()
    return door, port


@pytest.mark.integration
def test_alb_forwards_to_healthy_targets_and_answers_like_an_alb(
    elbv2: Any, backend: ThreadingHTTPServer, tmp_path: Path
) -> None:
    name, group_arn = make_balancer(elbv2, "/")
    door, port = start_door(elbv2, name, tmp_path)
    try:
        assert door.balancer.idle_timeout == 1
        assert door.balancer.drop_invalid_header_fields
        # No target registered yet: 503 with the ALB's body.
        door.refresh_targets()
        status, body = get(port, "/")
        assert status == 503
        assert b"503 Service Temporarily Unavailable" in body

        elbv2.register_targets(
            TargetGroupArn=group_arn, Targets=[{"Id": "127.0.0.1", "Port": backend.server_port}]
        )
        door.refresh_targets()
        assert get(port, "/")[0] == 503  # initial until two checks pass
        started = time.monotonic()
        assert processes.wait_until(lambda: get(port, "/")[0] == 200, 10, interval=0.1)
        assert time.monotonic() - started >= 1.5  # the second check is an interval later

        status, body = get(port, "/?x=1", {"X-Forwarded-For": "10.1.1.1", "Bad_Name": "1"})
        seen = {k.lower(): v for k, v in json.loads(body).items()}
        assert status == 200
        assert seen["x-forwarded-for"] == "10.1.1.1, 127.0.0.1"
        assert seen["x-forwarded-proto"] == "http"
        assert seen["x-forwarded-port"] == "80"
        assert seen["x-amzn-trace-id"].startswith("Root=1-")
        assert "bad_name" not in seen

        # A chunked request body reaches the target whole, with its length.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            parts = [b'{"data": ', b'"chunked"', b"}"]
            connection.request("POST", "/", body=iter(parts), encode_chunked=True)
            response = connection.getresponse()
            seen = json.loads(response.read())
        finally:
            connection.close()
        assert response.status == 200
        assert seen == {
            "body": '{"data": "chunked"}',
            "content-length": "19",
            "transfer-encoding": None,
        }
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            answer = raw.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400 "), answer
        assert b"400 Bad Request" in answer

        # A forwarded answer carries the target's Server and Date once, not the ALB's too.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        servers = [v for k, v in response.getheaders() if k.lower() == "server"]
        assert servers == [f"{Backend.server_version} {Backend.sys_version}"], servers
        assert len([k for k, _ in response.getheaders() if k.lower() == "date"]) == 1

        assert get(port, "/fixed") == (418, b"teapot")
        assert get(port, "/missing")[0] == 404  # the target's own answer is passed on
        status, body = get(port, "/slow")
        assert status == 504
        assert b"504 Gateway Time-out" in body

        log = (tmp_path / "alb-access.log").read_text(encoding="utf-8").splitlines()
        forwarded = next(
            line for line in log if '"GET http://127.0.0.1' in line and " 200 " in line
        )
        fields = forwarded.split(" ")
        assert fields[0] == "http"
        assert fields[2] == f"app/{name}"
        assert fields[4] == f"127.0.0.1:{backend.server_port}"
        assert group_arn in forwarded
        # The access log line may be written just after the response has gone out.
        access_log = tmp_path / "alb-access.log"
        assert processes.wait_until(
            lambda: '"TargetTimeout"' in access_log.read_text(encoding="utf-8"), 5, interval=0.1
        ), "no access log line for the 504"

        # The target goes away: 502 (refused) until it is marked unhealthy, then 503.
        backend.shutdown()
        backend.server_close()
        assert get(port, "/")[0] in {502, 503}
        assert processes.wait_until(lambda: get(port, "/")[0] == 503, 10, interval=0.2)
        state = json.loads((tmp_path / "alb-targets.json").read_text(encoding="utf-8"))
        target = state[group_arn]["targets"][f"127.0.0.1:{backend.server_port}"]
        assert target["state"] == "unhealthy"
    finally:
        door.stop()


@pytest.mark.integration
def test_wrong_health_check_path_never_turns_healthy_and_is_named(
    elbv2: Any, backend: ThreadingHTTPServer, tmp_path: Path
) -> None:
    name, group_arn = make_balancer(elbv2, "/missing")
    door, port = start_door(elbv2, name, tmp_path)
    try:
        elbv2.register_targets(
            TargetGroupArn=group_arn, Targets=[{"Id": "127.0.0.1", "Port": backend.server_port}]
        )
        door.refresh_targets()
        state_file = tmp_path / "alb-targets.json"
        assert processes.wait_until(
            lambda: "unhealthy" in state_file.read_text(encoding="utf-8"), 10, interval=0.2
        )
        assert get(port, "/")[0] == 503
        problems = stack.unhealthy_groups(json.loads(state_file.read_text(encoding="utf-8")))
        assert len(problems) == 1
        assert "target group twin-tg" in problems[0]
        assert "GET /missing expecting 200" in problems[0]
        assert "answered 404" in problems[0]
    finally:
        door.stop()
