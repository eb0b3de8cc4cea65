"""The drift issue upsert against a small GitHub REST stand-in on loopback."""

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

from devstack.ci import drift_issue, plan_summary

REPO = "acme/ingest-pipeline"
TOKEN = "test-token"
BOT = "github-actions[bot]"
RUN_URL = "https://github.com/acme/ingest-pipeline/actions/runs/99"
FIXTURES = Path(__file__).parent / "fixtures" / "plans" / "dev"


@dataclass
class FakeIssues:
    """Issues (and their comments) of one repository, as the REST API serves them."""

    issues: dict[int, dict] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    next_number: int = 1

    def add(self, body: str, login: str = BOT, labels: tuple[str, ...] = ("drift",)) -> int:
        number = self.next_number
        self.next_number += 1
        self.issues[number] = {
            "number": number,
            "title": "x",
            "body": body,
            "state": "open",
            "user": {"login": login},
            "labels": [{"name": label} for label in labels],
        }
        return number


def make_handler(state: FakeIssues) -> type[BaseHTTPRequestHandler]:
    prefix = f"/repos/{REPO}/issues"

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
            query = parse_qs(url.query)
            wanted = query["labels"][0]
            per_page, page = int(query["per_page"][0]), int(query["page"][0])
            entries = [
                issue
                for issue in state.issues.values()
                if issue["state"] == query["state"][0]
                and wanted in {label["name"] for label in issue["labels"]}
            ]
            self._reply(200, entries[(page - 1) * per_page : page * per_page])

        def do_POST(self) -> None:
            if not self._authorized():
                return
            payload = self._body()
            rest = self.path.removeprefix(prefix)
            if rest == "":
                number = state.add(payload["body"], labels=tuple(payload["labels"]))
                state.issues[number]["title"] = payload["title"]
                self._reply(201, {"number": number})
                return
            number = int(rest.strip("/").split("/")[0])
            state.comments.setdefault(number, []).append(payload["body"])
            self._reply(201, {"id": 1})

        def do_PATCH(self) -> None:
            if not self._authorized():
                return
            number = int(self.path.removeprefix(prefix + "/"))
            state.issues[number].update(self._body())
            self._reply(200, {"number": number})

    return Handler


@pytest.fixture
def github() -> Iterator[tuple[FakeIssues, drift_issue.GitHubIssues]]:
    state = FakeIssues()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with requests.Session() as session:
            url = f"http://127.0.0.1:{server.server_port}"
            yield state, drift_issue.GitHubIssues(session, url, REPO, TOKEN)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def drifted() -> list[plan_summary.UnitPlan]:
    return plan_summary.load_unit_plans(FIXTURES)


def test_drift_opens_one_issue_then_updates_it(github, drifted) -> None:
    state, client = github
    assert drift_issue.reconcile(client, "prod", 2, drifted, run_url=RUN_URL) == "opened #1"
    assert drift_issue.reconcile(client, "prod", 2, drifted[:1], run_url=RUN_URL) == "updated #1"
    assert len(state.issues) == 1
    issue = state.issues[1]
    assert issue["title"] == "Drift in prod"
    assert issue["body"].startswith("<!-- drift-issue:env=prod -->\n### Drift in <code>prod</code>")
    # The per-unit summary of the plan renderer, for the drifted units of the last run.
    assert "| <code>app/queue</code> | 3 | 1 | 2 | 1 |" in issue["body"]
    assert "<code>network</code>" not in issue["body"]


def test_each_environment_has_its_own_issue(github, drifted) -> None:
    state, client = github
    drift_issue.reconcile(client, "dev", 2, drifted, run_url=RUN_URL)
    drift_issue.reconcile(client, "prod", 2, drifted, run_url=RUN_URL)
    assert [issue["title"] for issue in state.issues.values()] == ["Drift in dev", "Drift in prod"]


def test_a_clean_run_closes_the_issue_with_a_comment(github, drifted) -> None:
    state, client = github
    drift_issue.reconcile(client, "staging", 2, drifted, run_url=RUN_URL)
    assert drift_issue.reconcile(client, "staging", 0, [], run_url=RUN_URL) == "closed #1"
    assert state.issues[1]["state"] == "closed"
    assert state.comments[1] == [f"No drift in <code>staging</code> any more ([run]({RUN_URL}))."]
    assert drift_issue.reconcile(client, "staging", 0, [], run_url=RUN_URL) == "clean"


def test_a_failed_plan_leaves_the_issue_alone(github, drifted) -> None:
    state, client = github
    drift_issue.reconcile(client, "dev", 2, drifted, run_url=RUN_URL)
    before = dict(state.issues[1])
    with pytest.raises(RuntimeError, match="failed \\(exit 1\\): issue unchanged"):
        drift_issue.reconcile(client, "dev", 1, [], run_url=RUN_URL)
    assert state.issues[1] == before


def test_a_look_alike_by_someone_else_is_never_taken_over(github, drifted) -> None:
    state, client = github
    planted = state.add(drift_issue.marker("prod") + "\nall fine, close me", login="mallory")
    assert drift_issue.reconcile(client, "prod", 0, [], run_url=RUN_URL) == "clean"
    assert (
        drift_issue.reconcile(client, "prod", 2, drifted, run_url=RUN_URL)
        == f"opened #{planted + 1}"
    )
    assert state.issues[planted]["body"].endswith("all fine, close me")


def test_the_cli_needs_a_token(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    args = ["--repo", REPO, "--env", "dev", "--plans", str(tmp_path), "--exit-code", "0"]
    assert drift_issue.main([*args, "--run-url", RUN_URL]) == 2
