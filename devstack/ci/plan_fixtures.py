"""Fixture plans made by real Terraform runs, and the checkov results on them.

`python -m devstack.ci.plan_fixtures` (with the toolchain environment of the Makefile, e.g.
`make ci-fixtures`) regenerates `tests/ci/fixtures/`: the plans of one environment
with three units, laid out as Terragrunt's `--json-out-dir` lays them out, and checkov's
JSON output for that directory. The tests regenerate them in a temporary directory too and
check that the committed copies still match what Terraform produces.

Units (all offline: the built-in `terraform_data` resource, and hashicorp/aws from the
mirror with no API calls during plan):
- `app/queue`: state applied first, then a plan with 2 creates, 1 update, 1 replace,
  1 delete and 2 no-ops; one new resource key carries backticks, `<details>` and a mention.
- `network`: 3 creates.
- `data`: an S3 bucket and an SQS queue without encryption, for checkov to fail.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devstack import checkov, terraform
from devstack.ci import cost, plan_comment, plan_summary, policy_results
from devstack.stackdef import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "ci" / "fixtures"
README = REPO_ROOT / ".github" / "README.md"
EXAMPLE_START = "<!-- example-comment:start -->\n"
EXAMPLE_END = "<!-- example-comment:end -->\n"
EXAMPLE_COMMIT = "c0ffee" * 6 + "c0ff"
EXAMPLE_ARTIFACT_URL = "https://github.com/acme/ingest-pipeline/actions/runs/42/artifacts/7"
HOSTILE_KEY = "evil`key</code></summary></details><details>|@octocat"

_QUEUE_BEFORE = """
resource "terraform_data" "kept" {
  for_each = toset(["a", "b"])
  input    = each.key
}

resource "terraform_data" "changed" {
  input = "v1"
}

resource "terraform_data" "replaced" {
  triggers_replace = "v1"
}

resource "terraform_data" "removed" {
  input = "gone soon"
}
"""

_QUEUE_AFTER = """
resource "terraform_data" "kept" {
  for_each = toset(["a", "b"])
  input    = each.key
}

resource "terraform_data" "changed" {
  input = "v2"
}

resource "terraform_data" "replaced" {
  triggers_replace = "v2"
}

resource "terraform_data" "added" {
  for_each = toset(["plain", var.hostile_key])
  input    = each.key
}

variable "hostile_key" {
  type = string
}
"""

_NETWORK = """
resource "terraform_data" "subnet" {
  for_each = toset(["private-a", "private-b", "public-a"])
  input    = each.key
}
"""

_DATA = """
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region                      = "eu-central-1"
  access_key                  = "fixture"
  secret_key                  = "fixture" # pragma: allowlist secret
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_s3_bucket" "data" {
  bucket = "plan-comment-fixture-data"
}

resource "aws_sqs_queue" "jobs" {
  name = "plan-comment-fixture-jobs"
}
"""

_PLAN_LINE = re.compile(
    r"Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy"
)


@dataclass(frozen=True)
class TerraformSummary:
    """Terraform's own summary line of a plan, parsed."""

    to_add: int
    to_change: int
    to_destroy: int


def _plan(workdir: Path, out_file: Path, *plan_args: str) -> TerraformSummary:
    """Plan `workdir` into `out_file` (terraform show -json); return Terraform's summary."""
    terraform.run(workdir, "init", "-input=false", "-no-color")
    terraform.run(workdir, "plan", "-input=false", "-no-color", "-out=tfplan", *plan_args)
    human = terraform.run(workdir, "show", "-no-color", "tfplan")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    plan = json.loads(terraform.run(workdir, "show", "-json", "tfplan"))
    # The timestamp changes on every run; a fixed one keeps regenerated fixtures diffable.
    plan["timestamp"] = "2026-01-01T00:00:00Z"
    out_file.write_text(json.dumps(plan, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    match = _PLAN_LINE.search(human)
    if match is None:
        return TerraformSummary(0, 0, 0)
    return TerraformSummary(int(match[2]), int(match[3]), int(match[4]))


def generate(work: Path, plans_dir: Path) -> dict[str, TerraformSummary]:
    """Write the fixture plans into `plans_dir`; return Terraform's summary per unit."""
    summaries = {}

    queue = work / "app-queue"
    queue.mkdir(parents=True)
    (queue / "main.tf").write_text(_QUEUE_BEFORE, encoding="utf-8")
    terraform.run(queue, "init", "-input=false", "-no-color")
    terraform.run(queue, "apply", "-input=false", "-no-color", "-auto-approve")
    (queue / "main.tf").write_text(_QUEUE_AFTER, encoding="utf-8")
    summaries["app/queue"] = _plan(
        queue, plans_dir / "app" / "queue" / "tfplan.json", f"-var=hostile_key={HOSTILE_KEY}"
    )

    network = work / "network"
    network.mkdir()
    (network / "main.tf").write_text(_NETWORK, encoding="utf-8")
    summaries["network"] = _plan(network, plans_dir / "network" / "tfplan.json")

    data = work / "data"
    data.mkdir()
    (data / "main.tf").write_text(_DATA, encoding="utf-8")
    summaries["data"] = _plan(data, plans_dir / "data" / "tfplan.json")
    return summaries


def run_checkov(plans_dir: Path, output: Path) -> None:
    """Checkov on the plans as the plan workflow runs it (from the repository root, with
    .checkov.yaml and so the organisation's checks); failing checks are expected."""
    result = checkov.run(
        "terraform_plan", ["--directory", str(plans_dir), "--output", "json"], timeout=300
    )
    report = json.loads(result.stdout)
    # Absolute paths differ per machine; the renderer reads only file_path.
    for reports in report if isinstance(report, list) else [report]:
        for checks in reports.get("results", {}).values():
            for check in checks if isinstance(checks, list) else []:
                check["file_abs_path"] = check["file_path"]
                check["repo_file_path"] = check["file_path"]
                result = check.get("check_result") or {}
                result["evaluated_keys"] = sorted(result.get("evaluated_keys") or [])
            # checkov's order varies between runs; a fixed one keeps the fixture diffable.
            if isinstance(checks, list):
                checks.sort(key=lambda check: (check["check_id"], check["resource"]))
    output.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def example_comment() -> str:
    """The README's example: the comment for the committed fixtures."""
    return plan_comment.render(
        "dev",
        plan_summary.load_unit_plans(FIXTURES / "plans" / "dev"),
        policy_results.parse((FIXTURES / "checkov-dev.json").read_text(encoding="utf-8")),
        commit=EXAMPLE_COMMIT,
        artifact_url=EXAMPLE_ARTIFACT_URL,
        cost_section=cost.render_section(cost.estimate(FIXTURES / "plans" / "dev")),
    )


def readme_example() -> str:
    """The example comment as the README has it."""
    text = README.read_text(encoding="utf-8")
    return text[text.index(EXAMPLE_START) + len(EXAMPLE_START) : text.index(EXAMPLE_END)]


def update_readme() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index(EXAMPLE_START) + len(EXAMPLE_START)
    README.write_text(text[:start] + example_comment() + text[text.index(EXAMPLE_END) :])


def main() -> int:
    plans_dir = FIXTURES / "plans" / "dev"
    shutil.rmtree(plans_dir, ignore_errors=True)
    with tempfile.TemporaryDirectory() as work:
        summaries = generate(Path(work), plans_dir)
    run_checkov(plans_dir, FIXTURES / "checkov-dev.json")
    update_readme()
    for unit, summary in sorted(summaries.items()):
        print(f"{unit}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
