"""Each organisation check passes and fails the fixtures it should, in HCL and in a real plan."""

from __future__ import annotations

import shutil

import pytest

from devstack import terraform
from devstack.checkov import CHECKS_DIR, CUSTOM_IDS, FIXTURES, Results, scan

P, F = "PASSED", "FAILED"
ALL_CHECK_DIRS = ["--external-checks-dir", str(CHECKS_DIR)]

# (check id, resource address as checkov reports it, verdict). In a plan the IAM data
# sources are already evaluated into the policies that use them, so they are HCL-only.
EXPECTED_BOTH: list[tuple[str, str, str]] = [
    ("CKV_ORG_2", "aws_security_group.pass_alb", P),
    ("CKV_ORG_2", "aws_security_group.fail_ssh_world", F),
    ("CKV_ORG_2", "aws_vpc_security_group_ingress_rule.pass_https", P),
    ("CKV_ORG_2", "aws_vpc_security_group_ingress_rule.fail_all_ipv6", F),
    ("CKV_ORG_2", "aws_security_group_rule.pass_from_vpc", P),
    ("CKV_ORG_2", "aws_security_group_rule.fail_port_range", F),
    ("CKV_ORG_3", "aws_ecs_task_definition.pass_hardened", P),
    ("CKV_ORG_3", "aws_ecs_task_definition.fail_privileged", F),
    ("CKV_ORG_4", "aws_ecs_task_definition.pass_hardened", P),
    ("CKV_ORG_4", "aws_ecs_task_definition.fail_writable_root", F),
    ("CKV_ORG_5", "aws_ecs_task_definition.pass_hardened", P),
    ("CKV_ORG_5", "aws_ecs_task_definition.fail_root_user", F),
    ("CKV_ORG_5", "aws_ecs_task_definition.fail_default_user", F),
    ("CKV_ORG_6", "aws_ecs_task_definition.pass_hardened", P),
    ("CKV_ORG_6", "aws_ecs_task_definition.fail_plaintext_secret", F),
    ("CKV_ORG_7", "aws_iam_policy.pass_scoped", P),
    ("CKV_ORG_7", "aws_iam_policy.fail_star_resource", P),
    ("CKV_ORG_7", "aws_iam_policy.fail_star_action", F),
    ("CKV_ORG_7", "aws_iam_role_policy.fail_wildcards", F),
    ("CKV_ORG_8", "aws_iam_policy.pass_scoped", P),
    ("CKV_ORG_8", "aws_iam_policy.fail_star_action", P),
    ("CKV_ORG_8", "aws_iam_policy.fail_star_resource", F),
    ("CKV_ORG_8", "aws_iam_role_policy.fail_wildcards", F),
    ("CKV_ORG_9", "aws_sqs_queue.pass_dlq", P),
    ("CKV_ORG_9", "aws_sqs_queue.pass_with_redrive", P),
    ("CKV_ORG_9", "aws_sqs_queue.fail_no_redrive", F),
    ("CKV_ORG_10", "aws_cloudwatch_log_group.pass_retention", P),
    ("CKV_ORG_10", "aws_cloudwatch_log_group.fail_forever", F),
    ("CKV_ORG_10", "aws_cloudwatch_log_group.fail_zero", F),
    ("CKV_ORG_11", "aws_ecr_repository.pass_immutable_scanned", P),
    ("CKV_ORG_11", "aws_ecr_repository.fail_mutable", F),
    ("CKV_ORG_11", "aws_ecr_repository.fail_no_scan", F),
    ("CKV_ORG_12", "aws_iam_role.pass_task", P),
    ("CKV_ORG_12", "aws_iam_role.fail_admin_role", F),
    ("CKV_ORG_12", "aws_iam_role_policy_attachment.pass_customer_managed", P),
    ("CKV_ORG_12", "aws_iam_role_policy_attachment.fail_admin", F),
    ("CKV_ORG_12", "aws_iam_policy_attachment.fail_power_user", F),
    ("CKV2_ORG_1", "aws_lb.pass_tls_redirect", P),
    ("CKV2_ORG_1", "aws_lb.pass_no_tls_forwards", P),
    ("CKV2_ORG_1", "aws_lb.fail_tls_but_http_forwards", F),
    ("CKV2_ORG_2", "aws_security_group.pass_alb", P),
    ("CKV2_ORG_2", "aws_security_group.pass_lb_public", P),
    ("CKV2_ORG_2", "aws_security_group.pass_tasks_from_lb", P),
    ("CKV2_ORG_2", "aws_security_group.fail_ssh_world", F),
    ("CKV2_ORG_2", "aws_security_group.fail_tasks_public_rule", F),
    ("CKV2_ORG_2", "aws_security_group.fail_tasks_public_legacy_rule", F),
    ("CKV2_ORG_2", "aws_security_group.fail_tasks_public_inline", F),
]
EXPECTED_HCL_ONLY = [
    ("CKV_ORG_7", "aws_iam_policy_document.pass_scoped", P),
    ("CKV_ORG_7", "aws_iam_policy_document.fail_wildcards", F),
    ("CKV_ORG_8", "aws_iam_policy_document.pass_scoped", P),
    ("CKV_ORG_8", "aws_iam_policy_document.fail_wildcards", F),
]
# Required tags are only visible in a plan (provider default_tags merged into tags_all).
EXPECTED_PLAN_ONLY = [
    ("CKV_ORG_1", "aws_sqs_queue.pass_with_redrive", P),
    ("CKV_ORG_1", "aws_ecs_task_definition.pass_hardened", P),
    ("CKV_ORG_1", "aws_sqs_queue.fail_untagged_dlq", F),
    ("CKV_ORG_1", "aws_sqs_queue.fail_empty_tag_dlq", F),
    # The environment is the Environment tag in tags_all, which only a plan has.
    ("CKV2_ORG_3", "aws_lb.pass_dev_plain_http", P),
    ("CKV2_ORG_3", "aws_lb.pass_internal_plain_http", P),
    ("CKV2_ORG_3", "aws_lb.pass_prod_https", P),
    ("CKV2_ORG_3", "aws_lb.fail_prod_plain_http", F),
]


@pytest.fixture(scope="module")
def hcl_results() -> Results:
    results, _ = scan("terraform", [*ALL_CHECK_DIRS, "--directory", str(FIXTURES / "hcl")])
    return results


@pytest.fixture(scope="module")
def plan_results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    """A real `terraform plan` of the HCL fixtures (plus tagging providers), as JSON."""
    workdir = tmp_path_factory.mktemp("plan")
    for source in [*(FIXTURES / "hcl").glob("*.tf"), *(FIXTURES / "plan").glob("*.tf")]:
        shutil.copy(source, workdir)
    terraform.run(workdir, "init", "-input=false", "-no-color")
    terraform.run(workdir, "plan", "-input=false", "-no-color", "-out=tfplan")
    shown = terraform.run(workdir, "show", "-json", "tfplan", timeout=120)
    plan_json = workdir / "tfplan.json"
    plan_json.write_text(shown, encoding="utf-8")
    results, _ = scan("terraform_plan", [*ALL_CHECK_DIRS, "--file", str(plan_json)])
    return results


@pytest.mark.parametrize(("check_id", "address", "verdict"), EXPECTED_BOTH + EXPECTED_HCL_ONLY)
def test_hcl_fixture(hcl_results: Results, check_id: str, address: str, verdict: str) -> None:
    assert hcl_results.get((check_id, address)) == verdict


@pytest.mark.integration
@pytest.mark.parametrize(("check_id", "address", "verdict"), EXPECTED_BOTH + EXPECTED_PLAN_ONLY)
def test_plan_fixture(plan_results: Results, check_id: str, address: str, verdict: str) -> None:
    assert plan_results.get((check_id, address)) == verdict


def test_required_tags_not_judged_from_hcl(hcl_results: Results) -> None:
    # Module HCL cannot see the provider's default tags: no verdict there, only in plans.
    assert not [key for key in hcl_results if key[0] == "CKV_ORG_1"]


def test_every_custom_check_has_a_passing_and_a_failing_fixture() -> None:
    expectations = EXPECTED_BOTH + EXPECTED_HCL_ONLY + EXPECTED_PLAN_ONLY
    for check_id in CUSTOM_IDS:
        verdicts = {verdict for cid, _, verdict in expectations if cid == check_id}
        assert verdicts == {P, F}, check_id


def test_custom_checks_are_all_loaded(hcl_results: Results) -> None:
    loaded = {check_id for check_id, _ in hcl_results}
    assert loaded >= set(CUSTOM_IDS) - {"CKV_ORG_1"}
