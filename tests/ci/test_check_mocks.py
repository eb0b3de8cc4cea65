"""`make check-mocks` on copies of the tree with a bogus mock key, a wrong type, a removed
output. The real tree is checked once, by the `check-mocks` lint hook."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devstack import check_mocks
from devstack.stackdef import REPO_ROOT

CACHES = shutil.ignore_patterns(".terragrunt-cache", ".terraform", "*.tfstate*")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "live", tmp_path / "live", ignore=CACHES)
    shutil.copytree(REPO_ROOT / "modules", tmp_path / "modules", ignore=CACHES)
    return tmp_path


def test_a_bogus_key_and_a_wrong_type_are_named(tree: Path, capsys) -> None:
    ecs = tree / "live" / "_common" / "ecs.hcl"
    text = ecs.read_text(encoding="utf-8")
    wrong_type = text.replace(
        'private_subnet_ids = ["subnet-00000000000000003", "subnet-00000000000000004"]',
        'private_subnet_ids = "subnet-00000000000000003"',
    )
    bogus = wrong_type.replace(
        '    bucket_name = "mock-bucket"\n',
        '    bucket_name = "mock-bucket"\n    bucket_domain = "mock-bucket.s3.amazonaws.com"\n',
    )
    assert bogus != wrong_type != text, "the fixture edits must apply"
    ecs.write_text(bogus, encoding="utf-8")

    assert check_mocks.main(["--root", str(tree)]) == 1
    errors = capsys.readouterr().err
    for env in ("dev", "staging", "prod", "local"):
        assert (
            f"live/{env}/ecs: dependency 's3': mock_outputs key 'bucket_domain' is not an output "
            "of modules/s3 (its outputs: bucket_arn, bucket_name, bucket_policy, "
            "configured_bucket_name)"
        ) in errors
        assert (
            f"live/{env}/ecs: dependency 'vpc': mock_outputs.private_subnet_ids is a string, "
            "but output 'private_subnet_ids' of modules/vpc is a list"
        ) in errors
    assert "8 mock output problem(s)" in errors


def test_a_mock_for_a_removed_output_fails(tree: Path) -> None:
    outputs = tree / "modules" / "sqs" / "outputs.tf"
    text = outputs.read_text(encoding="utf-8")
    start = text.index('output "queue_name"')
    end = text.index("}\n", start) + 2
    outputs.write_text(text[:start] + text[end:], encoding="utf-8")
    _, problems = check_mocks.check(tree)
    # Both units that read queue_name from the sqs unit: ecs and monitoring.
    assert {(p.unit, p.dependency) for p in problems} == {
        (f"live/{env}/{unit}", "sqs")
        for env in ("dev", "staging", "prod", "local")
        for unit in ("ecs", "monitoring")
    }
    assert all("'queue_name' is not an output of modules/sqs" in p.message for p in problems)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("aws_subnet.private[*].id", "list"),
        ("{for k, r in aws_ecr_repository.this : k => r.repository_url}", "map"),
        ("one(aws_lb_listener.https[*].arn)", "string"),
        ("aws_sqs_queue.this.url", "string"),
        ("length(var.x)", "number"),
        ("var.anything", "any"),
    ],
)
def test_output_types_are_inferred_from_the_value(expression: str, expected: str) -> None:
    assert check_mocks.expression_type(expression, {}) == expected
