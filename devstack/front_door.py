"""The twin's load balancer: an ALB on loopback, built from the emulator's ELBv2 state.

    python -m devstack.front_door --load-balancer devops-local-alb

Reads the load balancer, its listeners, rules and target groups from the emulator and serves
them on 127.0.0.1 the way an ALB does:

* HTTP listeners only, on 127.0.0.1; listener port 80 is served on 8080 (ALB_LISTENER_PORTS,
  e.g. `80=8080,8081=9000`, overrides; other ports below 1024 get 8000 added). HTTPS listeners
  are not served locally (no certificate), only logged.
* Rules by priority, then the default action: forward (round robin over the healthy targets of
  the target group), redirect (#{protocol}/#{host}/#{port}/#{path}/#{query}), fixed-response.
* Health checks exactly as each target group declares them: path, matcher, interval, timeout,
  healthy and unhealthy thresholds. A new target is `initial` until it passes the healthy
  threshold. Targets are re-read from the emulator every second (the tasks register there).
* 503 when no target is healthy (a real ALB fails open when every registered target is
  unhealthy; the twin does not, so a broken health check shows), 502 when a target refuses
  the connection, 504 when it does not answer within the load balancer's idle timeout; the
  bodies are the ALB's.
* Request bodies with Content-Length or `Transfer-Encoding: chunked` (decoded, sent on with a
  Content-Length, as an ALB may); a malformed chunked body is a 400 that reaches no target.
* X-Forwarded-For/-Proto/-Port and X-Amzn-Trace-Id added; with
  routing.http.drop_invalid_header_fields.enabled, headers whose names are not [-A-Za-z0-9]+
  are dropped.
* Every request is logged in the ALB access-log format to .local/alb-access.log; target
  health changes go to stdout and to the state file (--state, read by `make up`).
"""

from __future__ import annotations

import argparse
import fnmatch
import http.client
import itertools
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

HOST = "127.0.0.1"
DEFAULT_PORT_MAP = {80: 8080}
REFRESH_INTERVAL_S = 1.0
# The connection-level headers a proxy must not forward (RFC 9110 section 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "host", "content-length"}
)  # fmt: skip
VALID_HEADER_NAME = re.compile(r"^[-A-Za-z0-9]+$")
REASONS = {
    400: "Bad Request",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def error_body(status: int) -> bytes:
    """The body an ALB sends with its own 400 and 5xx answers."""
    title = f"{status} {REASONS[status]}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()


# An ALB takes request bodies of any size; the twin keeps them in memory, so it caps them.
MAX_BODY_BYTES = 64 * 1024 * 1024


class BadRequestError(ValueError):
    """A request the ALB answers 400 itself (a malformed body framing)."""


def read_chunked(stream: BinaryIO, limit: int = MAX_BODY_BYTES) -> bytes:
    """The decoded body of a `Transfer-Encoding: chunked` request (RFC 9112 7.1): chunk
    extensions ignored, trailer fields read and dropped."""
    body = bytearray()
    while True:
        size_line = stream.readline(1024)
        if not size_line.endswith(b"\n"):
            raise BadRequestError("chunk size line missing or too long")
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequestError(f"bad chunk size {size_text[:20]!r}") from None
        if size < 0 or len(body) + size > limit:
            raise BadRequestError("chunk size out of range")
        if size == 0:
            break
        chunk = stream.read(size)
        if len(chunk) != size or stream.read(2) != b"\r\n":
            raise BadRequestError("chunk shorter than its size or not ended by CRLF")
        body += chunk
    for _ in range(100):  # the trailer section ends with an empty line
        line = stream.readline(8192)
        if line in (b"\r\n", b"\n"):
            return bytes(body)
        if not line:
            break
    raise BadRequestError("chunked body not ended by an empty line")


def read_body(headers: Mapping[str, str], stream: BinaryIO) -> bytes:
    """The request body, framed by Transfer-Encoding: chunked or Content-Length."""
    encoding = str(headers.get("Transfer-Encoding") or "").strip().lower()
    if encoding:
        if encoding != "chunked":
            raise BadRequestError(f"unsupported Transfer-Encoding {encoding!r}")
        return read_chunked(stream)
    text = str(headers.get("Content-Length") or "0").strip()
    if not text.isdigit() or int(text) > MAX_BODY_BYTES:
        raise BadRequestError(f"bad Content-Length {text[:20]!r}")
    length = int(text)
    return stream.read(length) if length else b""


def listener_ports(setting: str) -> dict[int, int]:
    """ALB_LISTENER_PORTS (`80=8080,443=8443`) over the default 80 -> 8080."""
    mapping = dict(DEFAULT_PORT_MAP)
    for item in filter(None, (part.strip() for part in setting.split(","))):
        listener, sep, local = item.partition("=")
        if not sep or not listener.isdigit() or not local.isdigit():
            raise ValueError(f"ALB_LISTENER_PORTS: {item!r} is not <listener port>=<local port>")
        mapping[int(listener)] = int(local)
    return mapping


def local_port(listener_port: int, mapping: Mapping[int, int]) -> int:
    if listener_port in mapping:
        return mapping[listener_port]
    return listener_port + 8000 if listener_port < 1024 else listener_port


# --- health checks ---------------------------------------------------------------------------


def matches_code(matcher: str, status: int) -> bool:
    """The target group matcher: `200`, `200,202` or `200-299`."""
    for part in matcher.split(","):
        low, _, high = part.strip().partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


@dataclass(frozen=True)
class HealthCheck:
    path: str
    matcher: str
    interval: float
    timeout: float
    healthy_threshold: int
    unhealthy_threshold: int
    port: str = "traffic-port"

    @classmethod
    def from_target_group(cls, group: Mapping[str, Any]) -> HealthCheck:
        return cls(
            path=str(group.get("HealthCheckPath", "/")),
            matcher=str(group.get("Matcher", {}).get("HttpCode", "200")),
            interval=float(group["HealthCheckIntervalSeconds"]),
            timeout=float(group["HealthCheckTimeoutSeconds"]),
            healthy_threshold=int(group["HealthyThresholdCount"]),
            unhealthy_threshold=int(group["UnhealthyThresholdCount"]),
            port=str(group.get("HealthCheckPort", "traffic-port")),
        )


@dataclass
class TargetHealth:
    """An ALB target's health: initial -> healthy/unhealthy by consecutive results."""

    check: HealthCheck
    state: str = "initial"
    reason: str = "Elb.RegistrationInProgress"
    passes: int = 0
    failures: int = 0

    def record(self, ok: bool, reason: str) -> bool:
        """Count one result; True when the state changed."""
        before = self.state
        if ok:
            self.passes, self.failures = self.passes + 1, 0
            if self.passes >= self.check.healthy_threshold:
                self.state, self.reason = "healthy", ""
        else:
            self.passes, self.failures = 0, self.failures + 1
            self.reason = reason
            if self.failures >= self.check.unhealthy_threshold:
                self.state = "unhealthy"
        return self.state != before


def probe(host: str, port: int, check: HealthCheck) -> tuple[bool, str]:
    """One health check request; (passed, reason when not)."""
    if check.port != "traffic-port":
        port = int(check.port)
    connection = http.client.HTTPConnection(host, port, timeout=check.timeout)
    try:
        connection.request("GET", check.path, headers={"User-Agent": "ELB-HealthChecker/2.0"})
        status = connection.getresponse().status
    except TimeoutError:
        return False, "Target.Timeout"
    except OSError:
        return False, "Target.FailedHealthChecks"
    finally:
        connection.close()
    if matches_code(check.matcher, status):
        return True, ""
    return False, f"Target.ResponseCodeMismatch: GET {check.path} answered {status}"


# --- routing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    host: str
    path: str
    query: str
    headers: Mapping[str, str]


def _glob(pattern: str, value: str, case_sensitive: bool) -> bool:
    if case_sensitive:
        return fnmatch.fnmatchcase(value, pattern)
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def condition_matches(condition: Mapping[str, Any], request: Request) -> bool:
    """One rule condition (path-pattern, host-header, http-header, http-request-method)."""
    kind = condition["Field"]

    def values(config_key: str) -> list[str]:
        return list(condition.get(config_key, {}).get("Values") or condition.get("Values", []))

    if kind == "path-pattern":
        return any(_glob(p, request.path, True) for p in values("PathPatternConfig"))
    if kind == "host-header":
        host = request.host.split(":")[0]
        return any(_glob(p, host, False) for p in values("HostHeaderConfig"))
    if kind == "http-request-method":
        return request.method in values("HttpRequestMethodConfig")
    if kind == "http-header":
        config = condition["HttpHeaderConfig"]
        header = request.headers.get(config["HttpHeaderName"].lower())
        return header is not None and any(_glob(p, header, False) for p in config["Values"])
    raise ValueError(f"rule condition {kind!r} is not supported by the twin")


def _priority(rule: Mapping[str, Any]) -> float:
    return float("inf") if rule.get("IsDefault") else float(rule["Priority"])


def choose_action(rules: Iterable[Mapping[str, Any]], request: Request) -> Mapping[str, Any]:
    """The first action of the first matching rule by priority (the default rule last)."""
    for rule in sorted(rules, key=_priority):
        if all(condition_matches(c, request) for c in rule.get("Conditions", [])):
            actions = sorted(rule["Actions"], key=lambda a: a.get("Order", 0))
            return actions[-1]  # authenticate-* actions come first; the twin has none
    raise LookupError("no rule matched and the listener has no default rule")


def redirect_location(config: Mapping[str, Any], request: Request, listener_port: int) -> str:
    values = {
        "protocol": "http",
        "host": request.host.split(":")[0],
        "port": str(listener_port),
        "path": request.path.lstrip("/"),
        "query": request.query,
    }

    def fill(key: str) -> str:
        text = str(config.get(key, f"#{{{key.lower()}}}"))
        for name, value in values.items():
            text = text.replace(f"#{{{name}}}", value)
        return text

    protocol = fill("Protocol").lower()
    query = fill("Query")
    return f"{protocol}://{fill('Host')}:{fill('Port')}/{fill('Path').lstrip('/')}" + (
        f"?{query}" if query else ""
    )


def trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def forwarded_headers(
    headers: Iterable[tuple[str, str]],
    client_ip: str,
    listener_port: int,
    trace: str,
    drop_invalid: bool,
) -> list[tuple[str, str]]:
    """The request headers as the ALB sends them on to the target."""
    forwarded: list[tuple[str, str]] = []
    prior_for = ""
    for name, value in headers:
        lower = name.lower()
        if lower in HOP_BY_HOP or (drop_invalid and not VALID_HEADER_NAME.match(name)):
            continue
        if lower == "x-forwarded-for":
            prior_for = value
            continue
        if lower in {"x-forwarded-proto", "x-forwarded-port", "x-amzn-trace-id"}:
            continue
        forwarded.append((name, value))
    forwarded += [
        ("X-Forwarded-For", f"{prior_for}, {client_ip}" if prior_for else client_ip),
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Port", str(listener_port)),
        ("X-Amzn-Trace-Id", trace),
    ]
    return forwarded


# --- the load balancer's state ---------------------------------------------------------------


@dataclass
class TargetGroup:
    arn: str
    name: str
    check: HealthCheck
    targets: dict[tuple[str, int], TargetHealth] = field(default_factory=dict)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    def healthy(self) -> list[tuple[str, int]]:
        return sorted(key for key, health in self.targets.items() if health.state == "healthy")

    def next_target(self) -> tuple[str, int] | None:
        healthy = self.healthy()
        return healthy[next(self._turn) % len(healthy)] if healthy else None

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "health_check": f"GET {self.check.path} expecting {self.check.matcher}",
            "interval": self.check.interval,
            "healthy_threshold": self.check.healthy_threshold,
            "targets": {
                f"{ip}:{port}": {"state": h.state, "reason": h.reason}
                for (ip, port), h in sorted(self.targets.items())
            },
        }


@dataclass(frozen=True)
class Listener:
    arn: str
    port: int
    protocol: str
    rules: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    name: str
    idle_timeout: float
    drop_invalid_header_fields: bool
    listeners: tuple[Listener, ...]


def read_load_balancer(elbv2: Any, name: str) -> tuple[LoadBalancer, dict[str, TargetGroup]]:
    """The load balancer `name`, its listeners with rules, and its target groups."""
    balancer = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    arn = balancer["LoadBalancerArn"]
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    }
    listeners = tuple(
        Listener(
            arn=item["ListenerArn"],
            port=int(item["Port"]),
            protocol=item["Protocol"],
            rules=tuple(elbv2.describe_rules(ListenerArn=item["ListenerArn"])["Rules"]),
        )
        for item in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    )
    groups = {
        group["TargetGroupArn"]: TargetGroup(
            arn=group["TargetGroupArn"],
            name=group["TargetGroupName"],
            check=HealthCheck.from_target_group(group),
        )
        for group in elbv2.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]
    }
    return (
        LoadBalancer(
            arn=arn,
            name=name,
            idle_timeout=float(attributes.get("idle_timeout.timeout_seconds", "60")),
            drop_invalid_header_fields=attributes.get(
                "routing.http.drop_invalid_header_fields.enabled", "false"
            )
            == "true",
            listeners=listeners,
        ),
        groups,
    )


def registered_targets(elbv2: Any, group_arn: str) -> set[tuple[str, int]]:
    descriptions = elbv2.describe_target_health(TargetGroupArn=group_arn)
    return {
        (d["Target"]["Id"], int(d["Target"]["Port"]))
        for d in descriptions["TargetHealthDescriptions"]
    }


class FrontDoor:
    """The running load balancer: target refresh, health checks, listeners, access log."""

    def __init__(
        self,
        elbv2: Any,
        balancer: LoadBalancer,
        *,
        groups: dict[str, TargetGroup],
        port_map: Mapping[int, int],
        access_log: Path,
        state_file: Path | None = None,
        report: Callable[[str], None] = print,
    ) -> None:
        self.elbv2 = elbv2
        self.balancer = balancer
        self.groups = groups
        self.port_map = port_map
        self.access_log = access_log
        self.state_file = state_file
        self.report = report
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.servers: list[ThreadingHTTPServer] = []
        self._checking: set[tuple[str, tuple[str, int]]] = set()

    # targets and health
    def refresh_targets(self) -> None:
        for group in self.groups.values():
            current = registered_targets(self.elbv2, group.arn)
            with self.lock:
                for key in set(group.targets) - current:
                    del group.targets[key]
                    self.report(f"{group.name}: {key[0]}:{key[1]} deregistered")
                for key in current - set(group.targets):
                    group.targets[key] = TargetHealth(group.check)
                    self.report(f"{group.name}: {key[0]}:{key[1]} registered (initial)")
                    threading.Thread(
                        target=self._check_loop, args=(group, key), daemon=True
                    ).start()
        self.write_state()

    def _check_loop(self, group: TargetGroup, key: tuple[str, int]) -> None:
        while not self.stopping.is_set():
            with self.lock:
                health = group.targets.get(key)
            if health is None:
                return
            ok, reason = probe(key[0], key[1], group.check)
            with self.lock:
                if group.targets.get(key) is not health:
                    return
                changed = health.record(ok, reason)
            if changed:
                self.report(f"{group.name}: {key[0]}:{key[1]} {health.state} {health.reason}")
                self.write_state()
            self.stopping.wait(group.check.interval)

    def write_state(self) -> None:
        if self.state_file is None:
            return
        with self.lock:
            state = {group.arn: group.summary() for group in self.groups.values()}
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
        temporary.replace(self.state_file)

    def pick(self, group_arn: str) -> tuple[str, int] | None:
        with self.lock:
            return self.groups[group_arn].next_target()

    # serving
    def serve(self) -> list[int]:
        """Open every HTTP listener; return the local ports."""
        ports = []
        for listener in self.balancer.listeners:
            if listener.protocol != "HTTP":
                self.report(f"listener {listener.protocol}:{listener.port}: not served locally")
                continue
            port = local_port(listener.port, self.port_map)
            server = ThreadingHTTPServer((HOST, port), _handler(self, listener))
            server.daemon_threads = True
            self.servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.report(f"listener HTTP:{listener.port}: http://{HOST}:{server.server_port}")
            ports.append(server.server_port)
        return ports

    def run_refresh(self) -> None:
        while not self.stopping.wait(REFRESH_INTERVAL_S):
            try:
                self.refresh_targets()
            except Exception as error:  # the emulator may be restarting: retry next time
                self.report(f"target refresh failed: {error}")

    def stop(self) -> None:
        self.stopping.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def log_access(self, fields: Mapping[str, Any]) -> None:
        line = (
            "http {time} app/{lb} {client} {target} {req_t:.3f} {target_t} 0.000 {status} "
            '{target_status} {received} {sent} "{request}" "{agent}" - - {tg} "{trace}" "-" "-" '
            '{priority} {time} "{actions}" "{redirect}" "{error}" "{target}" "{target_status}" '
            '"-" "-" -'
        ).format(lb=self.balancer.name, **fields)
        with self.lock, open(self.access_log, "a", encoding="utf-8") as log:
            log.write(line + "\n")


def _handler(door: FrontDoor, listener: Listener) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "awselb/2.0"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            """The access log replaces the stdlib's stderr lines."""

        def handle_one(self) -> None:
            started = time.time()
            path, _, query = self.path.partition("?")
            request = Request(
                method=self.command,
                host=self.headers.get("Host", f"{HOST}:{listener.port}"),
                path=path,
                query=query,
                headers={k.lower(): v for k, v in self.headers.items()},
            )
            try:
                body, framing_error = read_body(self.headers, self.rfile), ""
            except BadRequestError as error:
                body, framing_error = b"", str(error)
                self.close_connection = True  # the rest of the stream cannot be framed
            trace = trace_id(started)
            action = choose_action(listener.rules, request)
            fields: dict[str, Any] = {
                "client": f"{self.client_address[0]}:{self.client_address[1]}",
                "target": "-",
                "req_t": 0.0,
                "target_t": "-1",
                "target_status": "-",
                "received": len(body),
                "request": f"{self.command} http://{request.host}{self.path} "
                f"{self.request_version}",
                "agent": self.headers.get("User-Agent", "-"),
                "tg": "-",
                "trace": trace,
                "priority": "-",
                "actions": action["Type"],
                "redirect": "-",
                "error": "-",
            }
            if framing_error:
                fields["actions"] = "-"
                status, headers, payload = self._error(400, fields, "-")
            else:
                status, headers, payload = self._act(action, request, body, trace, fields)
            # A forwarded answer keeps the target's Server and Date; the ALB's own have its.
            self.send_response_only(status)
            names = {name.lower() for name, _ in headers}
            if "server" not in names:
                self.send_header("Server", self.version_string())
            if "date" not in names:
                self.send_header("Date", self.date_time_string())
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            fields.update(
                time=datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                status=status,
                sent=len(payload),
            )
            door.log_access(fields)

        def _act(
            self,
            action: Mapping[str, Any],
            request: Request,
            body: bytes,
            trace: str,
            fields: dict[str, Any],
        ) -> tuple[int, list[tuple[str, str]], bytes]:
            kind = action["Type"]
            if kind == "fixed-response":
                config = action["FixedResponseConfig"]
                content_type = config.get("ContentType", "text/plain")
                message = str(config.get("MessageBody", "")).encode()
                return int(config["StatusCode"]), [("Content-Type", content_type)], message
            if kind == "redirect":
                config = action["RedirectConfig"]
                location = redirect_location(config, request, listener.port)
                fields["redirect"] = location
                status = 301 if config["StatusCode"] == "HTTP_301" else 302
                return status, [("Location", location)], b""
            if kind != "forward":
                raise ValueError(f"action {kind!r} is not supported by the twin")
            group_arn = (
                action.get("TargetGroupArn")
                or (action["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"])
            )
            fields["tg"] = group_arn
            target = door.pick(group_arn)
            if target is None:
                return self._error(503, fields, "-")
            fields["target"] = f"{target[0]}:{target[1]}"
            headers = forwarded_headers(
                self.headers.items(),
                self.client_address[0],
                listener.port,
                trace,
                door.balancer.drop_invalid_header_fields,
            )
            connection = http.client.HTTPConnection(
                target[0], target[1], timeout=door.balancer.idle_timeout
            )
            sent_at = time.monotonic()
            try:
                connection.putrequest(self.command, self.path, skip_host=True)
                connection.putheader("Host", request.host)
                for name, value in headers:
                    connection.putheader(name, value)
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                response = connection.getresponse()
                payload = response.read()
            except TimeoutError:
                return self._error(504, fields, "TargetTimeout")
            except OSError:
                return self._error(502, fields, "TargetConnectionError")
            finally:
                connection.close()
            fields["target_t"] = f"{time.monotonic() - sent_at:.3f}"
            fields["target_status"] = response.status
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            return response.status, kept, payload

        def _error(
            self, status: int, fields: dict[str, Any], reason: str
        ) -> tuple[int, list[tuple[str, str]], bytes]:
            fields["error"] = reason
            return status, [("Content-Type", "text/html")], error_body(status)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_one  # noqa: N815 - http.server's names

    return Handler


# --- the process ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import boto3  # noqa: PLC0415 - only the process needs it, not the routing logic's tests

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--load-balancer", required=True)
    parser.add_argument("--access-log", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        port_map = listener_ports(os.environ.get("ALB_LISTENER_PORTS", ""))
    except ValueError as error:
        print(f"front door: {error}", file=sys.stderr)
        return 2

    def report(message: str) -> None:
        print(f"{datetime.now(UTC):%H:%M:%S} {message}", flush=True)

    elbv2 = boto3.client("elbv2", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    balancer, groups = read_load_balancer(elbv2, args.load_balancer)
    door = FrontDoor(
        elbv2,
        balancer,
        groups=groups,
        port_map=port_map,
        access_log=args.access_log,
        state_file=args.state,
        report=report,
    )
    try:
        door.serve()
    except OSError as error:
        print(f"front door: cannot listen: {error}", file=sys.stderr)
        return 2
    door.refresh_targets()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=door.run_refresh, daemon=True).start()
    while not stop.wait(1.0):
        pass
    door.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
