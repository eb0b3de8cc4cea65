"""Fixtures of the live/ tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from devstack.live import LIVE
from devstack.stackdef import REPO_ROOT


def copy_of_the_live_tree(destination: Path) -> Path:
    """live/, the root configuration and stack.json in `destination` (a git repository, for
    get_repo_root()), modules/ linked: `hcl validate --inputs` writes .terragrunt-cache into
    the unit whatever TG_DOWNLOAD_DIR says, and the real tree must stay untouched while the
    twin runs beside these tests."""
    shutil.copytree(LIVE, destination / "live", ignore=shutil.ignore_patterns(".terragrunt-cache"))
    for name in ("terragrunt.hcl", "stack.json", ".terraform.lock.hcl"):
        shutil.copy(REPO_ROOT / name, destination / name)
    (destination / "modules").symlink_to(REPO_ROOT / "modules")
    subprocess.run(["git", "init", "-q", str(destination)], check=True)
    return destination / "live"


@pytest.fixture(scope="module")
def live_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of_the_live_tree(tmp_path_factory.mktemp("repo"))


@pytest.fixture
def fresh_live_copy(tmp_path: Path) -> Path:
    """A copy of the live tree of this test only (for tests that edit it)."""
    return copy_of_the_live_tree(tmp_path)
