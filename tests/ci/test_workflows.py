"""Invariants of the workflow files that the linters do not check on their own.

actionlint checks syntax and expressions, zizmor security patterns, yamllint style (all in
`make test-ci`); these tests pin down this project's own rules: which triggers, which
permissions where, SHA-pinned actions, the OIDC `sub` claims the roles trust, the deploy
order and the image-tag hand-over to the live units.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack import stackdef
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
    assert {path.name for path in WORKFLOWS} == {
        "ci.yml",
        "plan.yml",
        "deploy.yml",
        "apply.yml",
        "drift.yml",
    }


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
                ("plan.yml", "plan"): {"id-token", "pull-requests", "security-events"},
                ("apply.yml", "apply"): {"id-token"},
                ("deploy.yml", "build"): {"id-token", "attestations"},
                ("deploy.yml", "dev"): {"id-token"},
                ("deploy.yml", "staging"): {"id-token"},
                ("deploy.yml", "prod"): {"id-token"},
                ("drift.yml", "drift"): {"id-token", "issues"},
            }.get((path.name, name), set())
            assert writes == expected, f"{path.name}:{name} writes {writes}"


def test_ci_runs_make_test_on_pull_requests_merge_groups_and_pushes() -> None:
    ci = workflow("ci.yml")
    assert {"pull_request", "merge_group", "push"} <= set(triggers(ci))
    runs = [step.get("run") for step in steps_of(ci)]
    assert "make test" in runs


def test_plan_covers_every_environment_from_pull_requests_and_merge_groups() -> None:
    plan = workflow("plan.yml")
    on = triggers(plan)
    assert set(on) == {"pull_request", "merge_group"}
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


def test_live_units_read_the_image_tags_every_plan_and_apply_sets() -> None:
    # live/_common/ecs.hcl reads <KEY>_IMAGE_TAG for every service key of stack.json.
    ecs = (REPO_ROOT / "live" / "_common" / "ecs.hcl").read_text()
    assert 'get_env("${upper(key)}_IMAGE_TAG")' in ecs
    read = {f"{key.upper()}_IMAGE_TAG" for key in stackdef.SERVICES}
    assert read == {"FRONTEND_IMAGE_TAG", "WORKER_IMAGE_TAG"}, f"live/ reads {read}"
    script = (REPO_ROOT / "scripts" / "image-tags.sh").read_text()
    for name in read:
        assert f"export {name}=$(git rev-parse HEAD:services/" in script
    # Every step that runs Terragrunt on an environment first sets the content tags.
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        for step in steps_of(workflow(name)):
            run = step.get("run", "")
            if "terragrunt run" in run or "plan-environment.sh" in run:
                assert 'eval "$(scripts/image-tags.sh)"' in run, f"{name}: {step['name']}"


def test_deploy_pushes_to_the_repositories_the_ecr_units_create() -> None:
    apply = (GITHUB / "workflows" / "apply.yml").read_text()
    assert '"frontend-service:$FRONTEND_IMAGE_TAG" "sqs-puller-service:$WORKER_IMAGE_TAG"' in apply
    for env in ("dev", "staging", "prod"):
        assert (REPO_ROOT / "live" / env / "ecr" / "terragrunt.hcl").is_file()
        assert (REPO_ROOT / "live" / env / "github-oidc" / "terragrunt.hcl").is_file()
    assert "--only ecr" in apply
    assert "--exclude ecr --exclude github-oidc" in apply


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


def test_required_checks_never_wait_on_a_path_filter() -> None:
    for path in WORKFLOWS:
        for event, settings in triggers(load(path)).items():
            if isinstance(settings, dict):
                assert "paths" not in settings, f"{path.name}: {event} has a path filter"
    # The one plan check to require: it runs always and passes when the plans were skipped.
    result = workflow("plan.yml")["jobs"]["result"]
    assert result["name"] == "plan result"
    assert result["if"] == "always()"
    assert set(result["needs"]) == {"changes", "plan"}
    assert '[ "$PLAN" = skipped ]' in result["steps"][0]["run"]
    plan = workflow("plan.yml")["jobs"]["plan"]
    assert "needs.changes.outputs.plan == 'true'" in plan["if"]
    readme = (GITHUB / "README.md").read_text()
    for check in (
        "`make test`",
        "`image frontend-service`",
        "`image sqs-puller-service`",
        "`plan result`",
    ):
        assert check in readme, f"the README names {check} as a required check"


def test_images_are_built_and_scanned_on_every_pull_request_without_push() -> None:
    ci = workflow("ci.yml")
    job = ci["jobs"]["image"]
    assert [entry["image"] for entry in job["strategy"]["matrix"]["include"]] == [
        "frontend-service",
        "sqs-puller-service",
    ]
    steps = {step.get("uses", "").split("@")[0]: step for step in job["steps"]}
    build = steps["docker/build-push-action"]["with"]
    assert build["push"] is False
    assert build["load"] is True
    scan = steps["aquasecurity/trivy-action"]["with"]
    assert scan["image-ref"] == build["tags"]
    assert scan["severity"] == "CRITICAL"
    assert scan["ignore-unfixed"] is True
    assert scan["exit-code"] == "1"
    assert set(job["permissions"]) == {"contents"}


def test_the_reviewed_plans_flow_from_plan_to_apply() -> None:
    plan_steps = {step["name"]: step for step in workflow("plan.yml")["jobs"]["plan"]["steps"]}
    upload = plan_steps["Keep the binary plans for the deploy"]
    assert upload["uses"].startswith("actions/upload-artifact@")
    name = upload["with"]["name"]
    assert name == "tfplan-${{ matrix.environment }}-${{ env.HEAD_SHA }}"
    assert upload["with"]["path"] == "${{ runner.temp }}/plans/bin/"
    assert upload["with"]["retention-days"] <= 7
    assert (
        "python -m devstack.ci.saved_plans manifest"
        in plan_steps["terragrunt run --all plan"]["run"]
    )
    head = workflow("plan.yml")["jobs"]["plan"]["env"]["HEAD_SHA"]
    assert "github.event.merge_group.head_sha" in head
    assert "pull_request.head.sha" in head

    apply_job = workflow("apply.yml")["jobs"]["apply"]
    assert apply_job["permissions"]["actions"] == "read"
    apply_steps = {step["name"]: step for step in apply_job["steps"]}
    find = apply_steps["Find the reviewed plans of this commit"]["run"]
    assert 'name="tfplan-$ENVIRONMENT-$key"' in find
    assert 'keys="$GITHUB_SHA ' in find
    assert "/pulls" in find
    download = apply_steps["Download the reviewed plans"]["with"]
    assert download["name"] == "${{ steps.reviewed.outputs.name }}"
    assert download["run-id"] == "${{ steps.reviewed.outputs.run }}"
    names = list(apply_steps)
    assert names.index("Refuse stale plans (another tree than the one reviewed)") < names.index(
        "AWS credentials (deploy role of this environment)"
    ), "plans are verified before any credentials exist"
    for step in ("Apply the reviewed ECR plan", "Apply the reviewed plans"):
        run = apply_steps[step]["run"]
        assert "python -m devstack.ci.saved_plans apply -- terragrunt run --all" in run
        assert '--out-dir "$REVIEWED" -- apply' in run
    for job in ("dev", "staging", "prod"):
        assert workflow("deploy.yml")["jobs"][job]["permissions"]["actions"] == "read"


def test_policy_results_go_to_code_scanning() -> None:
    steps = workflow("plan.yml")["jobs"]["plan"]["steps"]
    uploads = [
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")
    ]
    assert len(uploads) == 1
    assert uploads[0]["with"]["sarif_file"] == "${{ runner.temp }}/policy"
    assert uploads[0]["with"]["category"] == "policy-${{ matrix.environment }}"


def test_drift_runs_on_a_schedule_and_keeps_one_issue_per_environment() -> None:
    drift = workflow("drift.yml")
    on = triggers(drift)
    assert on["schedule"]
    assert "workflow_dispatch" in on
    job = drift["jobs"]["drift"]
    environments = [entry["environment"] for entry in job["strategy"]["matrix"]["include"]]
    assert environments == ["dev", "staging", "prod"]
    assert job["concurrency"]["group"] == "deploy-${{ matrix.environment }}"
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "-detailed-exitcode" in runs
    assert "python -m devstack.ci.drift_issue" in runs
    assert '--exit-code "$EXIT_CODE"' in runs


def test_renovate_covers_actions_tools_go_python_and_base_images() -> None:
    config = json.loads((GITHUB / "renovate.json").read_text())
    assert {"github-actions", "custom.regex", "gomod", "pip_requirements", "dockerfile"} <= set(
        config["enabledManagers"]
    )
    rules = config["packageRules"]
    assert any(r.get("matchManagers") == ["github-actions"] and r.get("pinDigests") for r in rules)
    assert any(r.get("matchManagers") == ["dockerfile"] and r.get("pinDigests") for r in rules)
    (manager,) = config["customManagers"]
    pattern = re.compile(manager["matchStrings"][0].replace("(?<", "(?P<"))
    versions = (REPO_ROOT / "tools" / "versions.env").read_text()
    pins = re.findall(r"^([A-Z][A-Z0-9_]*)=", versions, re.MULTILINE)
    found = {m.group("currentValue") for m in pattern.finditer(versions)}
    assert len(found) == len(pins), "every pin in tools/versions.env has a `# renovate:` comment"
    for dockerfile in (REPO_ROOT / "services").glob("*/Dockerfile"):
        assert re.search(
            r"^ARG PYTHON_IMAGE=python:[\w.-]+@sha256:[0-9a-f]{64}$",
            dockerfile.read_text(),
            re.MULTILINE,
        ), dockerfile


def test_images_are_signed_keyless_attested_and_verified_before_they_are_pushed() -> None:
    build = workflow("deploy.yml")["jobs"]["build"]
    steps = {step["name"]: step for step in build["steps"]}
    names = list(steps)
    assert steps["Install cosign"]["uses"].startswith("sigstore/cosign-installer@")
    sign = steps["Sign the images"]["run"]
    # Keyless: no key argument, a bundle (certificate + signature + transparency log entry).
    assert "cosign sign-blob --yes --bundle" in sign
    assert "--key" not in sign
    attest = steps["Attest the images' build provenance"]
    assert attest["uses"].startswith("actions/attest-build-provenance@")
    assert attest["with"]["subject-path"].endswith("/images/*.tar")
    keep = names.index("Keep the images for the environments")
    built = max(i for i, name in enumerate(names) if name.startswith("Build "))
    assert built < names.index("Sign the images") < keep
    assert built < names.index("Attest the images' build provenance") < keep
    # OIDC only where it signs; the environments' jobs get theirs for the deploy role.
    assert build["permissions"]["id-token"] == "write"

    apply_steps = [step["name"] for step in steps_of(workflow("apply.yml"))]
    verify = next(
        step["run"]
        for step in steps_of(workflow("apply.yml"))
        if step["name"] == "Verify the images' signatures"
    )
    assert "cosign verify-blob" in verify
    assert ".github/workflows/deploy.yml@refs/heads/main" in verify
    assert "--certificate-oidc-issuer https://token.actions.githubusercontent.com" in verify
    verified = apply_steps.index("Verify the images' signatures")
    assert apply_steps.index("Fetch the images") < verified
    assert verified < apply_steps.index("Push the images with their content tags")
