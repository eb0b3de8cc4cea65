"""Fuzz run: >= 1,000 seeded malformed requests over raw sockets against the real gunicorn.

Every case is malformed by construction (framing, encoding, JSON shape, size, headers,
method, path, HTTP version, random byte mutations). Where a case carries the right token
and valid `data`, the defect alone must stop it; otherwise `data` is invalid or the token
wrong. Asserted: no status >= 500 (but 501 for an unknown transfer coding), every error
a JSON `{"error": ...}` (gunicorn's own too), no hang (each connection bounded by a socket
timeout), nothing accepted or enqueued, the server still healthy.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.emulator import free_port
from devstack.testkit import raw_http
from devstack.testkit.aws import Resources
from devstack.testkit.pipeline import frontend_env, start_frontend

pytestmark = pytest.mark.integration

SEED = 20_261_202
MIN_CASES = 1000
TOTAL_CASES = 2000  # the families, then random mutations up to this
WALL_LIMIT_S = 60.0
SOCKET_TIMEOUT_S = 10.0
PARALLEL_CONNECTIONS = 8
MAX_REQUEST_BYTES = 256 * 1024 + 4096
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Case:
    family: str
    raw: bytes
    head: bool = False
    unknown_coding: bool = False  # a 501 is the right answer


def _compact(value: Any) -> bytes:
    # No whitespace anywhere: any proper prefix of the body is then invalid JSON.
    return json.dumps(value, separators=(",", ":")).encode()


class Generator:
    """Deterministic cases from `seed`; `valid_body` would be accepted if well framed."""

    def __init__(self, token: str, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible cases, not secrets
        self.token = token
        self.valid_data = {"email_timestream": "1693561101", "subject": "fuzz"}
        self.valid_body = _compact({"token": token, "data": self.valid_data})
        # The right token, `data` invalid: for cases whose defect a lenient parser may forgive.
        self.invalid_body = _compact({"token": token, "data": {"email_timestream": "soon"}})
        self.cases: list[Case] = []

    def add(self, family: str, raw: bytes, **kwargs: Any) -> None:
        self.cases.append(Case(family, raw, **kwargs))

    def chunked(self, chunks: list[bytes], head: str = "", body_tail: bytes = b"") -> bytes:
        headers = {**JSON, "Transfer-Encoding": "chunked"}
        start = raw_http.request("POST", "/", headers=headers, content_length=False)
        return (
            start.replace(b"\r\n\r\n", head.encode() + b"\r\n\r\n", 1)
            + b"".join(chunks)
            + body_tail
        )

    def all(self) -> list[Case]:
        for family in (
            self.framing,
            self.encodings,
            self.json_shapes,
            self.sizes,
            self.headers,
            self.methods,
            self.paths,
            self.versions,
        ):
            family()
        while len(self.cases) < TOTAL_CASES:
            self.mutation()
        return self.cases

    # Framing: the valid body, never delivered intact.
    def framing(self) -> None:
        body, size = self.valid_body, len(self.valid_body)
        for token in ["zz", "-1", "0x%x" % (size - 1), " %x" % (size - 1), "%x " % (size - 1)]:
            self.add(
                "chunk-size", self.chunked([token.encode() + b"\r\n" + body + b"\r\n0\r\n\r\n"])
            )
        for token in ["", "+%x" % (size - 1), "%x_0" % (size - 1), "ffffffffffffffffffffffff"]:
            self.add(
                "chunk-size", self.chunked([token.encode() + b"\r\n" + body + b"\r\n0\r\n\r\n"])
            )
        for _ in range(30):
            junk = bytes(
                self.rng.choice(b"ghijklmnopqrstuvwxyzGHIJ!@#$%^&*() \t") for _ in range(3)
            )
            self.add("chunk-size", self.chunked([junk + b"\r\n" + body + b"\r\n0\r\n\r\n"]))
        for extension in [b";a\rb", b";\x01", b";\x00", b"; a=\x7f", b';a="x', b";\xff"]:
            line = b"%x" % size + extension + b"\r\n"
            self.add("chunk-extension", self.chunked([line + self.invalid_body + b"\r\n0\r\n\r\n"]))
        for delta in (-3, -1, 1, 5, 200):
            chunk = b"%x\r\n" % (size + delta) + body + b"\r\n0\r\n\r\n"
            self.add("chunk-length", self.chunked([chunk]))
        self.add("chunk-no-crlf", self.chunked([b"%x\r\n" % size + body + b"XX0\r\n\r\n"]))
        self.add("chunk-no-last", self.chunked([b"%x\r\n" % size + body + b"\r\n"]))
        # A lenient parser might accept these two: the body is the invalid one.
        invalid, invalid_size = self.invalid_body, len(self.invalid_body)
        self.add("chunk-bare-lf", self.chunked([b"%x\n" % invalid_size + invalid + b"\n0\n\n"]))
        trailer = b"%x\r\n" % invalid_size + invalid + b"\r\n0\r\nX\r\n\r\n"
        self.add("chunk-trailer", self.chunked([trailer]))
        for _ in range(20):  # split into chunks, one of them wrongly sized
            cut = sorted(self.rng.sample(range(1, size), 3))
            parts = [body[a:b] for a, b in zip([0, *cut], [*cut, size], strict=True)]
            bad = self.rng.randrange(len(parts))
            chunks = [
                b"%x\r\n" % (len(part) + (2 if index == bad else 0)) + part + b"\r\n"
                for index, part in enumerate(parts)
            ]
            self.add("chunk-split", self.chunked([*chunks, b"0\r\n\r\n"]))
        for delta in [1, 2, 10, 100, 1000]:  # longer than sent: EOF mid-body
            raw = raw_http.request("POST", "/", body, {**JSON, "Content-Length": str(size + delta)})
            self.add("length-long", raw)
        for _ in range(30):  # shorter than sent: a truncated object, then garbage
            length = self.rng.randrange(0, size)
            self.add(
                "length-short",
                raw_http.request("POST", "/", body, {**JSON, "Content-Length": str(length)}),
            )
        for value in ["abc", "-1", f"+{size - 1}", f"{size - 1}.0", "1e3", f"0x{size - 1:x}", ""]:
            raw = raw_http.request("POST", "/", body, {**JSON, "Content-Length": value})
            self.add("length-syntax", raw)
        for first, second in [(size - 1, size - 2), (size - 2, 0), (size + 1, size - 1)]:
            raw = raw_http.request("POST", "/", body, {**JSON, "Content-Length": str(first)})
            raw = raw.replace(b"\r\n\r\n", b"\r\nContent-Length: %d\r\n\r\n" % second, 1)
            self.add("length-twice", raw)
        for coding in ["gzip", "gzip, chunked", "chunked, gzip", "deflate", "x-custom", "br"]:
            raw = raw_http.request(
                "POST", "/", self.invalid_body, {**JSON, "Transfer-Encoding": coding}
            )
            self.add("coding", raw, unknown_coding=True)
        for coding in ["chunked, chunked", "identity", "chunked;q=1", ",chunked", "Chunked"]:
            raw = self.chunked(
                [b"%x\r\n" % len(self.invalid_body), self.invalid_body, b"\r\n0\r\n\r\n"]
            )
            raw = raw.replace(
                b"Transfer-Encoding: chunked", b"Transfer-Encoding: " + coding.encode()
            )
            self.add("coding", raw, unknown_coding=True)
        raw = raw_http.request(
            "POST", "/", self.invalid_body, {**JSON, "Transfer-Encoding": "chunked"}
        )
        self.add("length-and-coding", raw)

    # Encodings: the valid request, its bytes no longer strict UTF-8 JSON.
    def encodings(self) -> None:
        text = self.valid_body.decode()
        for codec in ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]:
            self.add("encoding-utf16-32", raw_http.request("POST", "/", text.encode(codec), JSON))
        self.add(
            "encoding-bom", raw_http.request("POST", "/", b"\xef\xbb\xbf" + self.valid_body, JSON)
        )
        for _ in range(40):  # an encoded surrogate (CESU-8) in the subject or in a key
            surrogate = b"\xed" + bytes(
                [self.rng.randrange(0xA0, 0xC0), self.rng.randrange(0x80, 0xC0)]
            )
            target = self.rng.choice([b'"fuzz"', b'"subject"'])
            body = self.valid_body.replace(target, target[:-1] + surrogate + b'"', 1)
            self.add("encoding-surrogate", raw_http.request("POST", "/", body, JSON))
        invalid_sequences = [
            b"\x80",
            b"\xbf",
            b"\xc0\xaf",
            b"\xc1\xbf",
            b"\xe0\x80\xaf",
            b"\xf5\x80\x80\x80",
            b"\xff",
            b"\xfe",
            b"\xc3",
            b"\xe2\x82",
            b"\xf0\x9f\x98",
            b"caf\xe9",
        ]
        for _ in range(40):
            sequence = self.rng.choice(invalid_sequences)
            body = self.valid_body.replace(b'"fuzz"', b'"fu' + sequence + b'zz"', 1)
            self.add("encoding-invalid-utf8", raw_http.request("POST", "/", body, JSON))
        for escape in ["\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud83d", "x\\ude00"]:
            body = self.valid_body.replace(b'"fuzz"', b'"' + escape.encode() + b'"', 1)
            self.add("encoding-lone-surrogate", raw_http.request("POST", "/", body, JSON))
            body = self.valid_body.replace(b'"subject"', b'"' + escape.encode() + b'"', 1)
            self.add("encoding-lone-surrogate", raw_http.request("POST", "/", body, JSON))
        for charset in ["utf-16", "latin-1", "ascii", "utf-32", "cp1252", "utf-8x"]:
            headers = {"Content-Type": f"application/json; charset={charset}"}
            self.add("encoding-charset", raw_http.request("POST", "/", self.valid_body, headers))
        for control in [b"\x00", b"\x01", b"\x1f", b"\n", b"\t"]:  # raw controls inside a string
            body = self.valid_body.replace(b'"fuzz"', b'"fu' + control + b'zz"', 1)
            self.add("encoding-control", raw_http.request("POST", "/", body, JSON))

    # JSON shapes: the right token, the shape wrong.
    def json_shapes(self) -> None:
        token, data = self.token, self.valid_data
        bodies: list[bytes] = [
            b"[]",
            b'"x"',
            b"42",
            b"null",
            b"true",
            b"",
            b"{",
            b"}",
            b"{}}",
            b"{'token': 1}",
            _compact([{"token": token, "data": data}]),
            _compact({"token": token}),
            _compact({"token": token, "data": None}),
            _compact({"token": token, "data": [data]}),
            _compact({"token": token, "data": "x"}),
            _compact({"token": token, "data": {"subject": "no timestamp"}}),
            self.valid_body[:-1] + b",}",  # trailing comma
            self.valid_body + b"x",  # trailing garbage
            self.valid_body + b"{}",  # two documents
            b"/*c*/" + self.valid_body,  # a comment
            self.valid_body.replace(b'"fuzz"', b"NaN"),
            self.valid_body.replace(b'"fuzz"', b"Infinity"),
            self.valid_body.replace(b'"fuzz"', b"-Infinity"),
            self.valid_body.replace(b'"fuzz"', b"1e400"),  # parses to infinity
            self.valid_body.replace(b'"fuzz"', b"1" * 5000),  # over Python's int digit limit
            self.valid_body.replace(b'"fuzz"', b"[" * 50_000 + b"]" * 50_000),
            self.valid_body.replace(b'{"token"', b'{"token":"x","token"', 1),
            self.valid_body.replace(b'{"token"', b'{"data":{},"token"', 1),
            self.valid_body.replace(b'"subject"', b'"email_timestream":"1","subject"', 1),
        ]
        for body in bodies:
            self.add("json-shape", raw_http.request("POST", "/", body, JSON))
        invalid_timestamps: list[Any] = [
            None,
            True,
            1.5,
            -1,
            "",
            " 1",
            "1e3",
            "2023-01-01T00:00:00",
            "2023-02-30T00:00:00Z",
            "2023-01-01T24:00:00Z",
            "2016-12-31T23:59:60Z",
            [],
            {},
            "١٢٣",
            10**13,
            "soon",
        ]
        for _ in range(60):
            extra = {
                self.rng.choice(["a", "b", "ü", "k" * 50]): self.rng.choice([1, "x", [], {}, None])
                for _ in range(self.rng.randrange(3))
            }
            stamp = self.rng.choice(invalid_timestamps)
            body = _compact({"token": token, "data": {**extra, "email_timestream": stamp}})
            self.add("json-timestamp", raw_http.request("POST", "/", body, JSON))
        for _ in range(40):  # random JSON, no token or a wrong one
            value: Any = self.random_json(3)
            if isinstance(value, dict) and self.rng.random() < 0.5:
                value["token"] = self.random_text() + "-wrong"
            self.add("json-random", raw_http.request("POST", "/", _compact(value), JSON))

    def random_text(self) -> str:
        alphabet = 'abc "\\/\u00e9\u4e2d\U0001f600\n\t'
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randrange(8)))

    def random_json(self, depth: int) -> Any:
        kind = self.rng.randrange(7 if depth else 4)
        if kind == 0:
            return self.rng.choice([None, True, False])
        if kind == 1:
            return self.rng.choice([0, -1, 2**63, 1.5, -0.0])
        if kind in {2, 3}:
            return self.random_text()
        if kind == 4:
            return [self.random_json(depth - 1) for _ in range(self.rng.randrange(4))]
        return {
            self.random_text(): self.random_json(depth - 1) for _ in range(self.rng.randrange(4))
        }

    # Sizes: over the request limit, or a message over SQS's limit.
    def sizes(self) -> None:
        over = {**self.valid_data, "pad": "x" * (MAX_REQUEST_BYTES + 10)}
        big = _compact({"token": self.token, "data": over})
        self.add("size-body", raw_http.request("POST", "/", big, JSON))
        self.add("size-chunked", self.chunked([b"%x\r\n" % len(big), big, b"\r\n0\r\n\r\n"]))
        pieces = [
            b"%x\r\n" % 65536 + big[i : i + 65536] + b"\r\n" for i in range(0, 4 * 65536 + 1, 65536)
        ]
        self.add("size-chunked", self.chunked([*pieces]))  # no last chunk either
        escaped = {**self.valid_data, "pad": "\u00e9" * 50_000}  # 100 KB sent, 300 KB escaped
        body = json.dumps({"token": self.token, "data": escaped}, ensure_ascii=False).encode()
        self.add("size-message", raw_http.request("POST", "/", body, JSON))
        for length in ["1000000000000", str(MAX_REQUEST_BYTES + 1), "9" * 30]:
            raw = raw_http.request("POST", "/", self.valid_body, {**JSON, "Content-Length": length})
            self.add("size-length", raw)
        self.add("size-empty", raw_http.request("POST", "/", b"", {**JSON, "Content-Length": "0"}))

    # Headers around the valid (or the invalid) body.
    def headers(self) -> None:
        body = self.valid_body
        for content_type in [
            "text/plain",
            "application/jsonx",
            "application/json-patch+json",
            "application/ json",
            "multipart/form-data; boundary=x",
            "json",
            "",
            "application/x-www-form-urlencoded",
            "*/*",
            "application/",
        ]:
            self.add(
                "header-content-type",
                raw_http.request("POST", "/", body, {"Content-Type": content_type}),
            )
        self.add("header-content-type", raw_http.request("POST", "/", body, {}))
        for value in [
            "Bearer wrong",
            "Basic Zm9vOmJhcg==",
            "Bearer",
            "Bearer ",
            f"Bearer {self.token} x",
            f"Bearer {self.token}x",
            f"Token {self.token}",
            self.token,
            f"Bearer\t{self.token}",
        ]:
            self.add(
                "header-authorization",
                raw_http.request("POST", "/", body, {**JSON, "Authorization": value}),
            )
        start = raw_http.request("POST", "/", self.invalid_body, JSON)
        head, _, rest = start.partition(b"\r\n\r\n")
        lines: list[bytes] = [
            b"X-Request-Id: " + b"x" * 129,
            b"X-Request-Id: a b",
            b"X-Request-Id: abc\rdef",
            b"X-Request-Id: \x00",
            b"X-Request-Id: caf\xe9",
            b"X-Request-Id: a\r\n b",
            b"X-Request-Id: abc\r\nSet-Cookie: x=1",
            b"NoColon",
            b"Host : x",
            b"X(Y): 1",
            b": x",
            b"X-Long: " + b"v" * 9000,
            b"X-Nul: a\x00b",
            b"Bad Name: 1",
            b"X-Fold: a\r\n\tb",
            b"Expect: nonsense",
            b"Expect: 100-continue",
            b"Upgrade: h2c\r\nConnection: Upgrade",
            b"Upgrade: websocket\r\nConnection: Upgrade",
            b"Host: a\r\nHost: b",
            b"Content-Type: text/plain",
            b"\xff\xfe: x",
            b"".join(b"X-H%d: v\r\n" % i for i in range(150)).rstrip(b"\r\n"),
        ]
        for line in lines:
            self.add("header-line", head + b"\r\n" + line + b"\r\n\r\n" + rest)
        self.add("header-bare-lf", start.replace(b"\r\n", b"\n"))

    # Methods other than GET, HEAD and POST, or not methods at all.
    def methods(self) -> None:
        for method in [
            "PUT",
            "DELETE",
            "PATCH",
            "OPTIONS",
            "TRACE",
            "PROPFIND",
            "post",
            "POSTX",
            "P0ST",
            "PO ST",
            "GET",
            "M" * 100,
            "",
            "CONNECT",
            "\x00POST",
            "POST\t",
        ]:
            raw = raw_http.request("POST", "/", self.valid_body, JSON).replace(
                b"POST", method.encode(), 1
            )
            self.add("method", raw)
        self.add("method", raw_http.request("HEAD", "/", self.valid_body, JSON), head=True)

    # Targets that are not `/`, some of which normalise to it.
    def paths(self) -> None:
        targets = [
            "//",
            "///",
            "/%2F",
            "/%2f",
            "/./",
            "/../",
            "/..",
            "/a/..",
            "/%2e",
            "/%00",
            "/%",
            "/%zz",
            "//?x=1",
            "/index.html",
            "*",
            "/ /",
            "/\x7f",
            "/" + "a" * 5000,
            "http://127.0.0.1//",
            "http://127.0.0.1/%2F",
            "/;",
            "/#frag",
            "\\",
            "/\\",
            "//127.0.0.1/",
            "/%20",
        ]
        for target in targets:
            raw = raw_http.request("POST", "/", self.valid_body, JSON).replace(
                b"/", target.encode("latin-1"), 1
            )
            self.add("path", raw)

    # HTTP versions that are not HTTP/1.0 or HTTP/1.1.
    def versions(self) -> None:
        for version in [
            "HTTP/1.2",
            "HTTP/2.0",
            "HTTP/0.9",
            "HTTP/1",
            "HTTP/1.1x",
            "http/1.1",
            "HTTPS/1.1",
            "HTTP/ 1.1",
            "",
            "HTTP/1.1 extra",
            "HTTP/3",
            "HTTP/11",
        ]:
            raw = raw_http.request("POST", "/", self.invalid_body, JSON)
            raw = raw.replace(b"HTTP/1.1", version.encode(), 1)
            self.add("version", raw)

    # Random byte mutations of a request with a wrong token.
    def mutation(self) -> None:
        body = _compact({"token": "wrong-token", "data": self.valid_data})
        raw = bytearray(raw_http.request("POST", "/", body, JSON))
        for _ in range(self.rng.randrange(1, 6)):
            position = self.rng.randrange(len(raw))
            operation = self.rng.randrange(6)
            if operation == 0:
                raw[position] = self.rng.randrange(256)
            elif operation == 1:
                raw.insert(position, self.rng.choice(b'\r\n\x00\xff:; {}"\\'))
            elif operation == 2 and len(raw) > 1:
                del raw[position]
            elif operation == 3:
                raw[position:position] = raw[position : position + self.rng.randrange(1, 40)]
            elif operation == 4:
                del raw[position:]
                raw.extend(b"x")
            else:
                raw[position:position] = self.rng.choice(
                    [b"\r\n", b"\r\n\r\n", b"%", b"\xed\xa0\x80"]
                )
        self.add("mutation", bytes(raw))


def _is_json_error(headers: dict[str, str], body: bytes) -> bool:
    if not headers.get("content-type", "").startswith("application/json"):
        return False
    try:
        return isinstance(json.loads(body).get("error"), str)
    except ValueError:
        return False


def _header_block_complete(raw: bytes) -> bool:
    return any(end in raw for end in (b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n"))


def _run(port: int, cases: list[Case]) -> Iterator[tuple[Case, raw_http.Reply]]:
    def one(case: Case) -> tuple[Case, raw_http.Reply]:
        return case, raw_http.exchange(port, case.raw, head=case.head, timeout=SOCKET_TIMEOUT_S)

    with ThreadPoolExecutor(max_workers=PARALLEL_CONNECTIONS) as pool:
        yield from pool.map(one, cases)


def test_malformed_requests_never_5xx_never_hang_never_enqueue(
    resources: Callable[..., Resources], service: Callable[..., Any], tmp_path: Path
) -> None:
    res = resources()
    port = free_port()
    start_frontend(service, frontend_env(res, port))
    cases = Generator(res.token, SEED).all()
    assert len(cases) >= MIN_CASES

    started = time.monotonic()
    statuses: Counter[str] = Counter()
    families: Counter[str] = Counter()
    silent: Counter[str] = Counter()
    failures: list[str] = []
    for case, reply in _run(port, cases):
        families[case.family] += 1
        if reply.timed_out:
            failures.append(
                f"{case.family}: no answer within {SOCKET_TIMEOUT_S} s: {case.raw[:120]!r}"
            )
        if not reply.statuses:
            statuses["closed without response"] += 1
            silent[case.family] += 1
            # Fair only for a request cut off inside its header block (then EOF).
            if _header_block_complete(case.raw) and not reply.reset:
                failures.append(f"{case.family}: no response: {case.raw[:120]!r}")
        for status, headers, body in zip(reply.statuses, reply.headers, reply.bodies, strict=True):
            statuses[str(status)] += 1
            if status >= 400 and not _is_json_error(headers, body):
                failures.append(f"{case.family}: {status} without a JSON error: {body[:80]!r}")
            if status >= 500 and not (status == 501 and case.unknown_coding):
                failures.append(f"{case.family}: {status}: {case.raw[:120]!r}")
            if status == 202:  # a malformed request was accepted
                failures.append(f"{case.family}: 202: {case.raw[:300]!r}")
    duration = time.monotonic() - started

    print(f"\nfuzz: {len(cases)} requests (seed {SEED}) in {duration:.1f} s")
    print("fuzz: statuses " + ", ".join(f"{k}={v}" for k, v in sorted(statuses.items())))
    print("fuzz: families " + ", ".join(f"{k}={v}" for k, v in sorted(families.items())))
    print("fuzz: closed without response " + ", ".join(f"{k}={v}" for k, v in silent.items()))
    for failure in failures:
        print(f"fuzz: FAILED {failure}")
    assert failures == []
    assert duration <= WALL_LIMIT_S
    assert res.queue_counts() == (0, 0)
    assert "Messages" not in res.sqs().receive_message(QueueUrl=res.queue_url, WaitTimeSeconds=0)
    health = raw_http.exchange(port, raw_http.request("GET", "/"))
    assert health.statuses == [200]
    log = "".join(path.read_text(errors="replace") for path in tmp_path.glob("frontend-*.log"))
    assert "unhandled error" not in log
    assert "Traceback" not in log
