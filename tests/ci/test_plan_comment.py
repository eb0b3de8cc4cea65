"""The plan-comment renderer: counts, marker, escaping and truncation."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.ci import cost, plan_comment, plan_summary, policy_results
from devstack.ci.plan_summary import ResourceChange, UnitPlan
from devstack.ci.policy_results import PolicyCheck

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLANS = FIXTURES / "plans" / "dev"
COMMIT = "c0ffee" * 6 + "c0ff"
ARTIFACT = "https://github.com/acme/ingest-pipeline/actions/runs/42"
HOSTILE_KEY = "evil`key</code></summary></details><details>|@octocat"


class CommentStructure(HTMLParser):
    """The HTML skeleton of a rendered comment: tags in order and the text of each <code>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.code_texts: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "code":
            self._in_code = True
            self.code_texts.append("")

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"/{tag}")
        if tag == "code":
            self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.code_texts[-1] += data


def structure(comment: str) -> CommentStructure:
    parser = CommentStructure()
    parser.feed(comment)
    parser.close()
    return parser


def assert_well_formed(comment: str) -> None:
    """Every <details> holds one <summary> and closes; nothing else nests in between."""
    tags = structure(comment).tags
    depth = 0
    for tag in tags:
        if tag == "details":
            assert depth == 0, "a <details> opened inside another"
            depth = 1
        elif tag == "/details":
            assert depth == 1, "a </details> without its <details>"
            depth = 0
    assert depth == 0
    assert tags.count("details") == tags.count("summary") == tags.count("/summary")


def fixture_comment(**kwargs: object) -> str:
    plans = plan_summary.load_unit_plans(PLANS)
    checks = policy_results.parse((FIXTURES / "checkov-dev.json").read_text())
    return plan_comment.render("dev", plans, checks, commit=COMMIT, artifact_url=ARTIFACT, **kwargs)


def test_fixture_counts_match_terraform() -> None:
    plans = {plan.unit: plan for plan in plan_summary.load_unit_plans(PLANS)}
    assert sorted(plans) == ["app/queue", "data", "network"]
    queue = plans["app/queue"]
    assert (queue.to_add, queue.to_change, queue.to_destroy, queue.to_replace) == (3, 1, 2, 1)
    assert sorted(change.action for change in queue.listed_changes) == [
        "create",
        "create",
        "delete",
        "replace",
        "update",
    ]
    assert (plans["network"].to_add, plans["network"].to_destroy) == (3, 0)
    assert (plans["data"].to_add, plans["data"].to_change) == (2, 0)


def checkov_summary() -> dict[str, int]:
    """Checkov's own totals for the fixture report."""
    return json.loads((FIXTURES / "checkov-dev.json").read_text())["summary"]


def test_fixture_comment_counts_and_policy_results() -> None:
    comment = fixture_comment()
    failed, passed = checkov_summary()["failed"], checkov_summary()["passed"]
    assert "**8** to add, **1** to change, **2** to destroy (1 replaced)" in comment
    assert "| <code>app/queue</code> | 3 | 1 | 2 | 1 | no checks |" in comment
    assert f"| <code>data</code> | 2 | 0 | 0 | 0 | ❌ {failed} failed, {passed} passed |" in comment
    assert f"Policies: **{failed} failed**, {passed} passed, 0 skipped." in comment
    assert "❌ policy check failed" in comment
    assert "CKV&#95;AWS&#95;27 Ensure all data stored in the SQS queue is encrypted" in comment
    assert f'<a href="{ARTIFACT}">plan artifact</a>' in comment
    assert "truncated" not in comment


def test_marker_is_the_first_line_and_names_the_environment() -> None:
    comment = fixture_comment()
    assert comment.splitlines()[0] == "<!-- plan-comment:env=dev -->"
    assert plan_comment.marker("prod") == "<!-- plan-comment:env=prod -->"


@pytest.mark.parametrize("env", ["", "Dev", "dev -->", "a" * 40, "../x"])
def test_marker_rejects_environment_names_that_could_break_it(env: str) -> None:
    with pytest.raises(ValueError, match="invalid environment"):
        plan_comment.marker(env)


def test_hostile_resource_key_renders_literally_and_cannot_break_the_layout() -> None:
    comment = fixture_comment()
    parsed = structure(comment)
    assert f'terraform_data.added["{HOSTILE_KEY}"]' in parsed.code_texts
    assert_well_formed(comment)
    assert "@octocat" not in comment
    # The only backticks are the ones around the commit.
    assert comment.count("`") == 2


def test_hostile_unit_and_check_names_are_escaped() -> None:
    plans = [UnitPlan(unit="a`b</summary>*x*", changes=(ResourceChange("x.y", "create"),))]
    checks = [
        PolicyCheck(
            unit="a`b</summary>*x*",
            check_id="CKV_X_1",
            check_name="<details>name | with `code`",
            resource="x.y",
            result="FAILED",
        )
    ]
    comment = plan_comment.render("dev", plans, checks, commit=COMMIT, artifact_url=ARTIFACT)
    assert_well_formed(comment)
    assert "a`b</summary>*x*" in structure(comment).code_texts
    assert "<details>name" not in comment
    assert html.unescape("&#60;details&#62;name &#124; with &#96;code&#96;") == (
        "<details>name | with `code`"
    )
    assert "&#60;details&#62;name &#124; with &#96;code&#96;" in comment


def test_artifact_url_must_be_https_and_is_attribute_escaped() -> None:
    with pytest.raises(ValueError, match="https"):
        plan_comment.render("dev", [], [], commit=COMMIT, artifact_url="javascript:alert(1)")
    comment = plan_comment.render(
        "dev", [], [], commit=COMMIT, artifact_url='https://x.test/"><details>'
    )
    assert 'href="https://x.test/&quot;&gt;&lt;details&gt;"' in comment


def test_no_affected_units_says_so() -> None:
    comment = plan_comment.render("staging", [], [], commit=COMMIT, artifact_url=ARTIFACT)
    assert comment.startswith("<!-- plan-comment:env=staging -->\n")
    assert "No units are affected" in comment
    assert "✅" in comment


def test_units_without_changes_get_a_row_but_no_section() -> None:
    plans = [UnitPlan(unit="quiet", changes=(ResourceChange("a.b", "no-op"),))]
    comment = plan_comment.render("dev", plans, [], commit=COMMIT, artifact_url=ARTIFACT)
    assert "| <code>quiet</code> | 0 | 0 | 0 | 0 | no checks |" in comment
    assert "<details>" not in comment


def big_plans(units: int, resources: int) -> list[UnitPlan]:
    return [
        UnitPlan(
            unit=f"unit-{u:03d}",
            changes=tuple(
                ResourceChange(f'aws_s3_object.file["{u}/{r}/{"x" * 40}"]', "create")
                for r in range(resources)
            ),
        )
        for u in range(units)
    ]


def test_large_plans_are_truncated_below_githubs_limit_with_a_pointer() -> None:
    plans = big_plans(units=40, resources=600)
    comment = plan_comment.render("prod", plans, [], commit=COMMIT, artifact_url=ARTIFACT)
    assert len(comment) <= plan_comment.DEFAULT_LIMIT < plan_comment.GITHUB_COMMENT_LIMIT
    assert comment.startswith("<!-- plan-comment:env=prod -->\n")
    assert "This comment is truncated" in comment
    assert comment.rstrip().endswith(f'<a href="{ARTIFACT}">plan artifact</a>.')
    assert_well_formed(comment)
    # The summary table still lists every unit: it is the part reviewers read first.
    assert all(f"<code>unit-{u:03d}</code> | 600 |" in comment for u in range(40))


def test_one_huge_unit_is_cut_inside_its_section() -> None:
    plans = big_plans(units=1, resources=5000)
    comment = plan_comment.render("dev", plans, [], commit=COMMIT, artifact_url=ARTIFACT)
    assert f"| … | {5000 - plan_comment.MAX_ROWS_PER_UNIT} more in the plan artifact |" in comment
    assert len(comment) <= plan_comment.DEFAULT_LIMIT
    assert_well_formed(comment)


@settings(max_examples=40, deadline=None)
@given(
    units=st.integers(min_value=0, max_value=60),
    resources=st.integers(min_value=0, max_value=400),
    limit=st.integers(min_value=3_000, max_value=plan_comment.GITHUB_COMMENT_LIMIT),
)
def test_any_plan_fits_any_limit_and_stays_well_formed(
    units: int, resources: int, limit: int
) -> None:
    plans = big_plans(units, resources)
    comment = plan_comment.render(
        "dev", plans, [], commit=COMMIT, artifact_url=ARTIFACT, limit=limit
    )
    assert len(comment) <= limit
    assert comment.startswith("<!-- plan-comment:env=dev -->\n")
    assert_well_formed(comment)
    assert ARTIFACT in comment


def test_limit_above_githubs_is_refused() -> None:
    with pytest.raises(ValueError, match="above GitHub"):
        plan_comment.render("dev", [], [], commit=COMMIT, artifact_url=ARTIFACT, limit=70_000)


def test_cli_writes_the_comment(tmp_path: Path) -> None:
    output = tmp_path / "comment.md"
    code = plan_comment.main(
        [
            "--env=dev",
            f"--plans={PLANS}",
            f"--checkov={FIXTURES / 'checkov-dev.json'}",
            f"--commit={COMMIT}",
            f"--artifact-url={ARTIFACT}",
            f"--output={output}",
        ]
    )
    assert code == 0
    # The CLI adds the cost estimate of the same plans (devstack.ci.cost, tests/ci/test_cost.py).
    assert output.read_text() == fixture_comment(
        cost_section=cost.render_section(cost.estimate(PLANS))
    )


@pytest.mark.parametrize("report", ["missing", "empty"])
def test_cli_without_a_checkov_report_says_not_evaluated(tmp_path: Path, report: str) -> None:
    checkov = tmp_path / "checkov.json"
    if report == "empty":
        checkov.write_text("")
    output = tmp_path / "c.md"
    plan_comment.main(
        [
            "--env=dev",
            f"--plans={PLANS}",
            f"--checkov={checkov}",
            f"--commit={COMMIT}",
            f"--artifact-url={ARTIFACT}",
            "--plan-outcome=failure",
            f"--output={output}",
        ]
    )
    comment = output.read_text()
    assert "❌ plan failed (see the job log)" in comment
    assert "Policies: not evaluated." in comment
    assert "| <code>data</code> | 2 | 0 | 0 | 0 | not evaluated |" in comment
    assert "0 failed" not in comment


def test_policies_not_evaluated_is_never_shown_as_passing() -> None:
    plans = plan_summary.load_unit_plans(PLANS)
    comment = plan_comment.render("dev", plans, None, commit=COMMIT, artifact_url=ARTIFACT)
    assert "⚠️ policies not evaluated" in comment
    assert "✅" not in comment
    assert_well_formed(comment)


def test_checkov_list_and_summary_only_outputs() -> None:
    report = json.loads((FIXTURES / "checkov-dev.json").read_text())
    empty = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
    checks = policy_results.parse(json.dumps([report, empty]))
    summary = checkov_summary()
    assert policy_results.count(checks) == policy_results.PolicyCounts(
        summary["passed"], summary["failed"], summary["skipped"]
    )
    assert {check.unit for check in checks} == {"data"}
    assert policy_results.parse(json.dumps(empty)) == []
    with pytest.raises(policy_results.CheckovFormatError):
        policy_results.parse("not json")
    with pytest.raises(policy_results.CheckovFormatError):
        policy_results.parse(json.dumps({"unexpected": 1}))


def test_non_plan_json_is_refused(tmp_path: Path) -> None:
    (tmp_path / "unit").mkdir()
    (tmp_path / "unit" / "tfplan.json").write_text('{"resource_changes": []}')
    with pytest.raises(plan_summary.PlanFormatError, match="format_version"):
        plan_summary.load_unit_plans(tmp_path)


def test_imports_forgets_reads_and_outputs_are_summarized() -> None:
    plan = plan_summary.summarize(
        "unit",
        {
            "format_version": "1.2",
            "resource_changes": [
                {
                    "address": "a.imported",
                    "change": {"actions": ["no-op"], "importing": {"id": "x"}},
                },
                {"address": "a.forgotten", "change": {"actions": ["forget"]}},
                {"address": "data.a.read", "change": {"actions": ["read"]}},
                {"address": "a.same", "change": {"actions": ["no-op"]}},
                {"address": "a.swap", "change": {"actions": ["create", "delete"]}},
            ],
            "output_changes": {
                "changed": {"actions": ["update"]},
                "same": {"actions": ["no-op"]},
            },
        },
    )
    assert (plan.to_add, plan.to_change, plan.to_destroy) == (1, 0, 1)
    assert (plan.to_replace, plan.to_import, plan.to_forget) == (1, 1, 1)
    assert [change.address for change in plan.listed_changes] == [
        "a.imported",
        "a.forgotten",
        "a.swap",
    ]
    assert plan.output_changes == 1
    comment = plan_comment.render("dev", [plan], [], commit=COMMIT, artifact_url=ARTIFACT)
    assert "1 to add, 0 to change, 1 to destroy (1 replaced), 1 to import, 1 to forget" in comment
    assert "no-op (import)" in comment
    assert "1 output value(s) change." in comment


def test_unknown_actions_are_refused() -> None:
    with pytest.raises(plan_summary.PlanFormatError, match="unknown action"):
        plan_summary.summarize(
            "unit",
            {
                "format_version": "1.2",
                "resource_changes": [{"address": "a.b", "change": {"actions": ["explode"]}}],
            },
        )


def test_gate_reports_name_the_unit_by_the_plan_path() -> None:
    """The policy gate's enriched results name the module's file; the plan path names the unit."""

    def result(file_path: str, plan: str) -> dict[str, object]:
        return {
            "check_id": "CKV_AWS_1",
            "check_name": "n",
            "resource": "aws_sqs_queue.this",
            "file_path": file_path,
            "file_abs_path": plan,
        }

    gate = "/runner/policy/plans/sqs/input/dev"
    report = {
        "check_type": "terraform_plan",
        "results": {
            "failed_checks": [result("main.tf", f"{gate}/sqs/tfplan.json")],
            "passed_checks": [result("/b/tfplan.json", f"{gate}/a/b/tfplan.json")],
            "skipped_checks": [result("main.tf", f"{gate}/b/tfplan.json")],
        },
    }
    checks = policy_results.parse(json.dumps([report]), ["sqs", "b", "a/b"])
    assert [(check.unit, check.result) for check in checks] == [
        ("a/b", "PASSED"),
        ("sqs", "FAILED"),
        ("b", "SKIPPED"),
    ]
