"""Create or update the one comment per environment on a pull request.

    GITHUB_TOKEN=... python -m devstack.ci.sticky_comment --repo owner/name --pr 12 --body-file c.md

The body's first line is its marker (`<!-- plan-comment:env=dev -->`). The first comment on
the pull request that starts with that marker and was written by `--author` (the workflow's
own bot account, so nobody else's comment is ever taken over) is updated in place; if there
is none, a new comment is created. Uses the REST API at `GITHUB_API_URL`, which Actions sets.
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

from devstack.ci import github_api

_MARKER = re.compile(r"^<!-- plan-comment:env=[a-z0-9][a-z0-9_-]{0,31} -->$")
# A pull request with more comments than this is not worth paging through further.
MAX_PAGES = 30


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str


class GitHubComments(github_api.Repository):
    """The issue-comment endpoints of one repository (pull requests are issues here)."""

    def list(self, issue: int) -> Iterator[Comment]:
        for page in range(1, MAX_PAGES + 1):
            response = self._request(
                "GET",
                f"/issues/{issue}/comments",
                params={"per_page": github_api.PAGE_SIZE, "page": page},
            )
            entries = response.json()
            for entry in entries:
                yield Comment(id=entry["id"], author=entry["user"]["login"], body=entry["body"])
            if len(entries) < github_api.PAGE_SIZE:
                return

    def create(self, issue: int, body: str) -> int:
        return self._request("POST", f"/issues/{issue}/comments", json={"body": body}).json()["id"]

    def update(self, comment_id: int, body: str) -> int:
        return self._request("PATCH", f"/issues/comments/{comment_id}", json={"body": body}).json()[
            "id"
        ]


def marker_of(body: str) -> str:
    """The marker line a comment body starts with."""
    first_line = body.split("\n", 1)[0]
    if not _MARKER.match(first_line):
        raise ValueError("the comment body must start with a plan-comment marker line")
    return first_line


def upsert(client: GitHubComments, issue: int, body: str, author: str) -> tuple[str, int]:
    """Update this environment's comment by `author`, or create it. Returns (action, id)."""
    marker = marker_of(body)
    for comment in client.list(issue):
        if comment.author == author and comment.body.split("\n", 1)[0] == marker:
            return "updated", client.update(comment.id, body)
    return "created", client.create(issue, body)


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, help="owner/name")
    parser.add_argument("--pr", type=int, required=True, help="pull request number")
    parser.add_argument("--body-file", type=Path, required=True, help="the rendered comment")
    parser.add_argument(
        "--author", default=github_api.DEFAULT_AUTHOR, help="login that owns the comment"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        print("GITHUB_TOKEN is not set", file=sys.stderr)
        return 2
    api_url = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    with requests.Session() as session:
        client = GitHubComments(session, api_url, args.repo, token)
        action, comment_id = upsert(
            client, args.pr, args.body_file.read_text(encoding="utf-8"), args.author
        )
    print(f"{action} comment {comment_id} on #{args.pr}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
