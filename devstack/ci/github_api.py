"""The GitHub REST API of one repository: authenticated requests with a timeout."""

from __future__ import annotations

import re

import requests

TIMEOUT_SECONDS = 30
PAGE_SIZE = 100
DEFAULT_AUTHOR = "github-actions[bot]"
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class Repository:
    """Requests to `<api_url>/repos/<owner>/<name>`; every non-2xx answer raises."""

    def __init__(self, session: requests.Session, api_url: str, repo: str, token: str) -> None:
        if not _REPO.match(repo):
            raise ValueError(f"invalid repository {repo!r}")
        self._session = session
        self._base = f"{api_url.rstrip('/')}/repos/{repo}"
        self._headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }

    def _request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        response = self._session.request(
            method, self._base + path, headers=self._headers, timeout=TIMEOUT_SECONDS, **kwargs
        )
        response.raise_for_status()
        return response
