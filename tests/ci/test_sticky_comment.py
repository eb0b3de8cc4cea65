"""The sticky-comment upsert against a small GitHub REST stand-in on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from devstack.ci import sticky_comment

REPO = "acme/ingest-pipeline"
TOKEN = "test-token"
BOT = "github-actions[bot]"


@dataclass
class FakeGitHub:
    """Issue comments of one repository, as the REST API serves them."""

    comments: dict[int, list[dict]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000
    fail_with: int | None = None

    def add(self, issue: int, body: str, login: str = BOT) -> int:
        self.next_id += 1
        self.comments.setdefault(issue, []).append(
            {"id": self.next_id, "body": body, "user": {"login": login}}
        )
        return self.next_id

    def bodies(self, issue: int) -> list[str]:
        return [comment["body"] for comment in self.comments.get(issue, [])]


def make_handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    prefix = f"/repos/{REPO}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            return

        def _reply(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            state.requests.append((self.command, self.path))
            if state.fail_with:
                self._reply(state.fail_with, {"message": "nope"})
                return False
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._reply(401, {"message": "Bad credentials"})
                return False
            return True

        def _body(self) -> dict:
            return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

        def do_GET(self) -> None:
            if not self._authorized():
                return
            url = urlparse(self.path)
            issue = int(url.path.removeprefix(f"{prefix}/issues/").split("/")[0])
            query = parse_qs(url.query)
            per_page, page = int(query["per_page"][0]), int(query["page"][0])
            entries = state.comments.get(issue, [])
            self._reply(200, entries[(page - 1) * per_page : page * per_page])

        def do_POST(self) -> None:
            if not self._authorized():
                return
            issue = int(self.path.removeprefix(f"{prefix}/issues/").split("/")[0])
            comment_id = state.add(issue, self._body()["body"])
            self._reply(201, {"id": comment_id})

        def do_PATCH(self) -> None:
            if not self._authorized():
                return
            comment_id = int(self.path.removeprefix(f"{prefix}/issues/comments/"))
            for comments in state.comments.values():
                for comment in comments:
                    if comment["id"] == comment_id:
                        comment["body"] = self._body()["body"]
                        self._reply(200, {"id": comment_id})
                        return
            self._reply(404, {"message": "Not Found"})

    return Handler


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def client(github: tuple[FakeGitHub, str]) -> Iterator[sticky_comment.GitHubComments]:
    _, url = github
    with requests.Session() as session:
        yield sticky_comment.GitHubComments(session, url, REPO, TOKEN)


def body(env: str, text: str) -> str:
    return f"<!-- plan-comment:env={env} -->\n{text}\n"


def test_first_run_creates_then_later_runs_update_in_place(
    github: tuple[FakeGitHub, str], client: sticky_comment.GitHubComments
) -> None:
    state, _ = github
    state.add(7, "LGTM", login="reviewer")
    action, first_id = sticky_comment.upsert(client, 7, body("dev", "plan 1"), BOT)
    assert action == "created"
    action, second_id = sticky_comment.upsert(client, 7, body("dev", "plan 2"), BOT)
    assert (action, second_id) == ("updated", first_id)
    assert state.bodies(7) == ["LGTM", body("dev", "plan 2")]


def test_each_environment_has_its_own_comment(
    github: tuple[FakeGitHub, str], client: sticky_comment.GitHubComments
) -> None:
    state, _ = github
    for env in ("dev", "staging", "prod"):
        sticky_comment.upsert(client, 3, body(env, "v1"), BOT)
    sticky_comment.upsert(client, 3, body("staging", "v2"), BOT)
    assert state.bodies(3) == [body("dev", "v1"), body("staging", "v2"), body("prod", "v1")]


def test_a_marker_comment_by_someone_else_is_never_taken_over(
    github: tuple[FakeGitHub, str], client: sticky_comment.GitHubComments
) -> None:
    state, _ = github
    planted = body("prod", "all good, merge me")
    state.add(5, planted, login="mallory")
    action, _ = sticky_comment.upsert(client, 5, body("prod", "real plan"), BOT)
    assert action == "created"
    assert state.bodies(5) == [planted, body("prod", "real plan")]


def test_marker_only_counts_as_the_first_line(
    github: tuple[FakeGitHub, str], client: sticky_comment.GitHubComments
) -> None:
    state, _ = github
    quoted = "quoting the bot:\n" + body("dev", "old")
    state.add(9, quoted)
    action, _ = sticky_comment.upsert(client, 9, body("dev", "new"), BOT)
    assert action == "created"
    assert state.bodies(9)[0] == quoted


def test_finds_the_comment_beyond_the_first_pages(
    github: tuple[FakeGitHub, str], client: sticky_comment.GitHubComments
) -> None:
    state, _ = github
    for n in range(250):
        state.add(11, f"chatter {n}", login="someone")
    existing = state.add(11, body("dev", "old"))
    action, comment_id = sticky_comment.upsert(client, 11, body("dev", "new"), BOT)
    assert (action, comment_id) == ("updated", existing)
    pages = [path for method, path in state.requests if method == "GET"]
    assert len(pages) == 3
    assert len(state.bodies(11)) == 251


def test_a_body_without_marker_is_refused(client: sticky_comment.GitHubComments) -> None:
    with pytest.raises(ValueError, match="marker"):
        sticky_comment.upsert(client, 1, "no marker here", BOT)
    with pytest.raises(ValueError, match="marker"):
        sticky_comment.upsert(client, 1, "<!-- plan-comment:env=dev --> trailing\n", BOT)


def test_api_errors_are_raised_not_swallowed(
    github: tuple[FakeGitHub, str], client: sticky_comment.GitHubComments
) -> None:
    state, _ = github
    state.fail_with = 403
    with pytest.raises(requests.HTTPError, match="403"):
        sticky_comment.upsert(client, 1, body("dev", "x"), BOT)


def test_invalid_repository_is_refused() -> None:
    with pytest.raises(ValueError, match="repository"):
        sticky_comment.GitHubComments(requests.Session(), "http://x", "a/b/../c", TOKEN)


def test_cli_uses_the_actions_environment(
    github: tuple[FakeGitHub, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = github
    comment = tmp_path / "comment.md"
    comment.write_text(body("dev", "from the CLI"))
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    argv = ["--repo", REPO, "--pr", "4", "--body-file", str(comment)]
    assert sticky_comment.main(argv) == 2
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert sticky_comment.main(argv) == 0
    assert sticky_comment.main(argv) == 0
    assert state.bodies(4) == [body("dev", "from the CLI")]
