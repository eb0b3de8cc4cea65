"""Invariants of the workflow files that the linters do not check on their own.

actionlint checks syntax and expressions, zizmor security patterns, yamllint style (all in
`make test-ci`); these tests pin down this project's own rules: which triggers, which
permissions where, SHA-pinned actions, the OIDC `sub` claims the roles trust, the deploy
order and the image-tag hand-over to the live units.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.stackdef import REPO_ROOT

GITHUB = REPO_ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as the boolean True.
    return workflow.get("on", workflow.get(True)) or {}


def steps_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        return document["runs"]["steps"]
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def workflow(name: str) -> dict[str, Any]:
    return load(GITHUB / "workflows" / name)


def test_the_expected_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "plan.yml", "deploy.yml", "apply.yml"}


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_remote_action_is_pinned_to_a_commit_with_its_version_noted(path: Path) -> None:
    document = load(path)
    text = path.read_text()
    uses = [step["uses"] for step in steps_of(document) if "uses" in step]
    uses += [job["uses"] for job in document.get("jobs", {}).values() if "uses" in job]
    assert uses, "no action used: the test would check nothing"
    for ref in uses:
        if ref.startswith("./"):
            assert (REPO_ROOT / ref).exists(), ref
            continue
        assert PINNED.match(ref), f"{ref} is not pinned to a full commit SHA"
        assert re.search(rf"{re.escape(ref)} # v\d+\.\d+\.\d+$", text, re.MULTILINE), (
            f"{ref} needs a `# vX.Y.Z` comment naming the version"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_defaults(path: Path) -> None:
    document = load(path)
    text = path.read_text()
    assert document["permissions"] == {}, "workflow-level permissions must be empty"
    assert "pull_request_target" not in triggers(document)
    assert "pull_request_target" not in text
    assert "secrets." not in text, "the workflows use OIDC and github.token, no stored secrets"
    for name, job in document["jobs"].items():
        assert "permissions" in job, f"job {name} must declare its permissions"
        granted = job["permissions"]
        assert granted.get("contents") == "read", f"job {name} reads the repository only"
        assert set(granted.values()) <= {"read", "write"}
        assert "write-all" not in str(granted)


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.parent.name + "/" + p.name)
def test_checkouts_keep_no_credentials_and_scripts_take_no_expressions(path: Path) -> None:
    for step in steps_of(load(path)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        # Values reach scripts through `env:`, never by expanding ${{ }} inside the script.
        assert "${{" not in step.get("run", ""), step.get("name")


def test_write_permissions_only_where_needed() -> None:
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            writes = {scope for scope, level in job["permissions"].items() if level == "write"}
            expected = {
                ("plan.yml", "plan"): {"id-token", "pull-requests"},
                ("apply.yml", "apply"): {"id-token"},
                ("deploy.yml", "dev"): {"id-token"},
                ("deploy.yml", "staging"): {"id-token"},
                ("deploy.yml", "prod"): {"id-token"},
            }.get((path.name, name), set())
            assert writes == expected, f"{path.name}:{name} writes {writes}"


def test_ci_runs_make_test_on_pull_requests_and_pushes() -> None:
    ci = workflow("ci.yml")
    assert {"pull_request", "push"} <= set(triggers(ci))
    runs = [step.get("run") for step in steps_of(ci)]
    assert "make test" in runs


def test_plan_covers_every_environment_from_pull_requests_only() -> None:
    plan = workflow("plan.yml")
    on = triggers(plan)
    assert set(on) == {"pull_request"}
    for path in ("live/**", "modules/**", "policies/**", "terragrunt.hcl"):
        assert path in on["pull_request"]["paths"]
    job = plan["jobs"]["plan"]
    environments = [entry["environment"] for entry in job["strategy"]["matrix"]["include"]]
    assert environments == ["dev", "staging", "prod"]
    # The job runs in the GitHub environment plan-<env>: its sub claim
    # `...:environment:plan-<env>` is what the plan roles trust (modules/github-oidc), and
    # staging/prod's plan environments require a reviewer before the job gets a token.
    assert job["environment"] == "plan-${{ matrix.environment }}"
    text = (GITHUB / "workflows" / "plan.yml").read_text()
    # The plan role may not write state or lock files, nor decrypt the token a refresh reads.
    plan_step = next(step for step in job["steps"] if step.get("id") == "plan")
    assert plan_step["env"]["PLAN_ARGS"] == "-lock=false -refresh=false"
    assert 'scripts/plan-environment.sh "$ENVIRONMENT" "$RUNNER_TEMP/plans" "$BASE_SHA"' in text
    assert '--plans "$RUNNER_TEMP/plans/json/live/$ENVIRONMENT"' in text
    # The same gate as `make policy` (module skip reasons honoured), not a bare checkov run.
    assert 'python -m policies.gate --plan-json "live/$ENVIRONMENT=$json"' in text
    assert '--checkov "$RUNNER_TEMP/policy/plans/checkov.json"' in text
    assert "python -m devstack.ci.plan_comment" in text
    assert "python -m devstack.ci.sticky_comment" in text


def test_deploy_applies_dev_then_staging_then_prod_from_main() -> None:
    deploy = workflow("deploy.yml")
    on = triggers(deploy)
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    jobs = deploy["jobs"]
    assert jobs["build"]["if"] == "github.ref == 'refs/heads/main'"
    assert jobs["dev"]["needs"] == "build"
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod"]["needs"] == "staging"
    for env in ("dev", "staging", "prod"):
        assert jobs[env]["uses"] == "./.github/workflows/apply.yml"
        assert jobs[env]["with"] == {"environment": env}


def test_each_apply_is_guarded_by_its_environment_and_never_cancelled() -> None:
    apply = workflow("apply.yml")
    job = apply["jobs"]["apply"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["concurrency"] == {
        "group": "deploy-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    assert job["env"]["FRONTEND_IMAGE_TAG"] == "${{ github.sha }}"
    assert job["env"]["WORKER_IMAGE_TAG"] == "${{ github.sha }}"


def test_live_units_read_the_image_tags_the_deploy_sets() -> None:
    apply_env = set(workflow("apply.yml")["jobs"]["apply"]["env"])
    read = set()
    for path in (REPO_ROOT / "live").rglob("*.hcl"):
        read |= set(re.findall(r'get_env\(\s*"([A-Z_]*IMAGE_TAG)"', path.read_text()))
    assert read == {"FRONTEND_IMAGE_TAG", "WORKER_IMAGE_TAG"}, f"live/ reads {read}"
    assert read <= apply_env, f"live/ reads {read - apply_env}, which the deploy never sets"
    plan_env = workflow("plan.yml")["jobs"]["plan"]["env"]
    assert {name: plan_env[name] for name in read} == dict.fromkeys(
        read, "${{ github.event.pull_request.base.sha }}"
    ), "plans use the tags main deployed, so they show no image swap"


def test_deploy_pushes_to_the_repositories_the_ecr_units_create() -> None:
    apply = (GITHUB / "workflows" / "apply.yml").read_text()
    assert "for repository in frontend-service sqs-puller-service; do" in apply
    for env in ("dev", "staging", "prod"):
        assert (REPO_ROOT / "live" / env / "ecr" / "terragrunt.hcl").is_file()
        assert (REPO_ROOT / "live" / env / "github-oidc" / "terragrunt.hcl").is_file()
    assert "working-directory: live/${{ inputs.environment }}/ecr" in apply
    assert "--filter '!./github-oidc'" in apply


def test_setup_tools_takes_every_version_from_versions_env() -> None:
    action = (GITHUB / "actions" / "setup-tools" / "action.yml").read_text()
    pins = dict(
        line.split("=", 1)
        for line in (REPO_ROOT / "tools" / "versions.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for version in pins.values():
        assert version not in action, f"{version} is hard-coded; read tools/versions.env"
    assert "tools/versions.env" in action
    assert "terraform_version: ${{ steps.versions.outputs.TERRAFORM_VERSION }}" in action
