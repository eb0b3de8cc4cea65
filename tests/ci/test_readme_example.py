"""The example comment in .github/README.md is exactly what the renderer produces."""

from __future__ import annotations

from devstack.ci import plan_fixtures


def test_readme_example_is_the_renderers_output() -> None:
    assert plan_fixtures.readme_example() == plan_fixtures.example_comment(), (
        "regenerate with `make ci-fixtures`"
    )


def test_readme_example_is_a_complete_comment() -> None:
    example = plan_fixtures.readme_example()
    assert example.startswith("<!-- plan-comment:env=dev -->\n")
    assert example.count("<details>") == example.count("</details>") == 3
