"""Open, update or close the one drift issue per environment.

    GITHUB_TOKEN=... python -m devstack.ci.drift_issue --repo owner/name --env prod \
        --plans DIR --exit-code N --run-url URL

`--exit-code` is `terraform plan -detailed-exitcode`'s: 0 clean, 2 drifted, anything else an
error. Drifted: the open issue of the environment (found by its marker line, written by
`--author`) gets the new per-unit summary, or one is opened. Clean: that issue is closed with a
comment. An error leaves the issue as it is and fails, so a broken drift run is never read as
"no drift". Uses the REST API at `GITHUB_API_URL`, which Actions sets.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from devstack.ci import github_api, plan_comment, plan_summary
from devstack.ci.markdown import code

LABEL = "drift"
MAX_PAGES = 10
_ENV = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def marker(env: str) -> str:
    if not _ENV.match(env):
        raise ValueError(f"invalid environment name {env!r}")
    return f"<!-- drift-issue:env={env} -->"


@dataclass(frozen=True)
class Issue:
    number: int
    author: str
    body: str


class GitHubIssues(github_api.Repository):
    """The issue endpoints of one repository."""

    def open_issues(self) -> Iterator[Issue]:
        for page in range(1, MAX_PAGES + 1):
            params = {
                "state": "open",
                "labels": LABEL,
                "per_page": github_api.PAGE_SIZE,
                "page": page,
            }
            entries = self._request("GET", "/issues", params=params).json()
            for entry in entries:
                if "pull_request" not in entry:
                    yield Issue(entry["number"], entry["user"]["login"], entry["body"] or "")
            if len(entries) < github_api.PAGE_SIZE:
                return

    def create(self, title: str, body: str) -> int:
        payload = {"title": title, "body": body, "labels": [LABEL]}
        return self._request("POST", "/issues", json=payload).json()["number"]

    def update(self, number: int, body: str) -> int:
        return self._request("PATCH", f"/issues/{number}", json={"body": body}).json()["number"]

    def comment(self, number: int, body: str) -> None:
        self._request("POST", f"/issues/{number}/comments", json={"body": body})

    def close(self, number: int) -> None:
        self._request("PATCH", f"/issues/{number}", json={"state": "closed"})


def find(client: GitHubIssues, env: str, author: str) -> Issue | None:
    """The open drift issue of `env` written by `author` (never anyone else's look-alike)."""
    line = marker(env)
    for issue in client.open_issues():
        if issue.author == author and issue.body.split("\n", 1)[0] == line:
            return issue
    return None


def render(env: str, plans: Sequence[plan_summary.UnitPlan], run_url: str) -> str:
    """The issue body: the marker, what drifted, and the plan comment's per-unit summary."""
    drifted = [plan for plan in plans if plan.has_changes]
    summary = plan_comment.render(
        env,
        drifted,
        None,
        commit="0" * 40,
        artifact_url=run_url,
        limit=60_000,
    )
    # The plan comment's own marker and commit line do not apply to a drift report.
    details = summary.split("\n", 5)[5]
    units = ", ".join(code(plan.unit) for plan in drifted) or "outputs only"
    return "\n".join(
        [
            marker(env),
            f"### Drift in {code(env)}",
            "",
            f"The scheduled plan found changes made outside this repository in: {units}. "
            "Either apply the repository's configuration (a deploy of main) or change the "
            "configuration to match, then this issue closes itself on the next clean run.",
            "",
            details,
        ]
    )


def reconcile(
    client: GitHubIssues,
    env: str,
    exit_code: int,
    plans: Sequence[plan_summary.UnitPlan],
    *,
    run_url: str,
    author: str = github_api.DEFAULT_AUTHOR,
) -> str:
    """Bring the environment's issue in line with the plan's exit code; say what was done."""
    if exit_code not in (0, 2):
        raise RuntimeError(f"the drift plan of {env} failed (exit {exit_code}): issue unchanged")
    existing = find(client, env, author)
    if exit_code == 0:
        if existing is None:
            return "clean"
        client.comment(existing.number, f"No drift in {code(env)} any more ([run]({run_url})).")
        client.close(existing.number)
        return f"closed #{existing.number}"
    body = render(env, plans, run_url)
    if existing is not None:
        return f"updated #{client.update(existing.number, body)}"
    return f"opened #{client.create(f'Drift in {env}', body)}"


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repo", required=True, help="owner/name")
    parser.add_argument("--env", required=True)
    parser.add_argument("--plans", type=Path, required=True, help="the JSON plans directory")
    parser.add_argument("--exit-code", type=int, required=True, help="plan -detailed-exitcode")
    parser.add_argument("--run-url", required=True, help="https link to the workflow run")
    parser.add_argument("--author", default=github_api.DEFAULT_AUTHOR)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        print("GITHUB_TOKEN is not set", file=sys.stderr)
        return 2
    plans = plan_summary.load_unit_plans(args.plans) if args.plans.is_dir() else []
    api_url = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    with requests.Session() as session:
        client = GitHubIssues(session, api_url, args.repo, token)
        try:
            outcome = reconcile(
                client, args.env, args.exit_code, plans, run_url=args.run_url, author=args.author
            )
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1
    print(f"{args.env}: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
