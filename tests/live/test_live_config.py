"""The Terragrunt configuration of every environment: format, layout, validation, graph."""

from __future__ import annotations

import json
import os
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from devstack import terragrunt as tg
from devstack.live import (
    ENVIRONMENTS,
    LIVE,
    MOCK_NOTICE,
    REPO_ROOT,
    REQUIRED_EDGES,
    units,
    warnings_in,
)

UNIT_TEMPLATE = """\
include "root" {{
  path = "${{get_repo_root()}}/terragrunt.hcl"
}}

include "component" {{
  path = "${{get_repo_root()}}/live/_common/{component}.hcl"
}}
"""


def unexpected_warnings(text: str) -> list[str]:
    return [line for line in warnings_in(text) if not MOCK_NOTICE.search(line)]


def test_hcl_fmt_check_catches_misformatted_files(tmp_path: Path) -> None:
    # The terragrunt-hcl-fmt lint hook runs this command on the tree; here: it can fail.
    (tmp_path / "terragrunt.hcl").write_text('inputs = {\nname="x"\n}\n', encoding="utf-8")
    result = tg.run("hcl", "fmt", "--check", cwd=tmp_path)
    assert result.returncode != 0


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_environment_has_its_units_and_settings(environment: str) -> None:
    env_dir = LIVE / environment
    found = {p.parent.name for p in env_dir.glob("*/terragrunt.hcl")}
    assert found == units(environment)
    assert (env_dir / "env.hcl").is_file()
    assert (env_dir / "account.hcl").is_file()


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_units_are_the_shared_component_and_nothing_else(environment: str) -> None:
    # Whatever differs between environments lives in env.hcl/account.hcl, never in a unit.
    for component in units(environment):
        unit = LIVE / environment / component / "terragrunt.hcl"
        assert unit.read_text(encoding="utf-8") == UNIT_TEMPLATE.format(component=component)
        assert (LIVE / "_common" / f"{component}.hcl").is_file()


def test_no_configuration_uses_find_in_parent_folders_for_the_root() -> None:
    # find_in_parent_folders() resolving to the root terragrunt.hcl makes Terragrunt warn.
    for path in [REPO_ROOT / "terragrunt.hcl", *LIVE.rglob("*.hcl")]:
        if ".terragrunt-cache" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
        assert 'find_in_parent_folders("terragrunt.hcl")' not in text, path
        assert "find_in_parent_folders()" not in text, path


@pytest.mark.parametrize(
    ("environment", "component"),
    [(e, c) for e in ENVIRONMENTS for c in sorted(units(e))],
)
def test_unit_validates_with_strict_inputs(
    environment: str, component: str, live_copy: Path
) -> None:
    result = tg.run(
        "hcl", "validate", "--inputs", "--strict", cwd=live_copy / environment / component
    )
    assert result.returncode == 0, result.output
    assert "All variables passed in by terragrunt are in use" in result.output, result.output
    assert "All required inputs are passed in by terragrunt" in result.output, result.output
    assert not unexpected_warnings(result.output), result.output


def test_strict_validation_rejects_an_input_the_module_does_not_take(
    fresh_live_copy: Path,
) -> None:
    # The check above can fail: a unit passing an unknown input is refused.
    unit = fresh_live_copy / "dev" / "sqs" / "terragrunt.hcl"
    unit.write_text(
        unit.read_text(encoding="utf-8") + '\ninputs = {\n  not_a_variable = "x"\n}\n',
        encoding="utf-8",
    )
    result = tg.run("hcl", "validate", "--inputs", "--strict", cwd=unit.parent)
    assert result.returncode != 0
    assert "not_a_variable" in result.output


def dot_edges(dot: str) -> set[tuple[str, str]]:
    return set(re.findall(r'"([^"]+)"\s*->\s*"([^"]+)"', dot))


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_dependency_graph_has_the_required_edges_and_no_cycle(environment: str) -> None:
    result = tg.run("dag", "graph", cwd=LIVE / environment)
    assert result.returncode == 0, result.output
    assert not warnings_in(result.output), result.output
    edges = dot_edges(result.stdout)
    assert edges >= REQUIRED_EDGES, f"missing: {REQUIRED_EDGES - edges}"
    nodes = set(re.findall(r'^\s*"([^"]+)"\s*;', result.stdout, re.MULTILINE))
    assert nodes == units(environment)
    graph: dict[str, set[str]] = {node: set() for node in nodes}
    for unit, dependency in edges:
        graph[unit].add(dependency)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        pytest.fail(f"dependency cycle in live/{environment}: {error}")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_run_order_puts_dependencies_first(environment: str) -> None:
    result = tg.run("find", "--dag", "--json", "--dependencies", cwd=LIVE / environment)
    assert result.returncode == 0, result.output
    order = [entry["path"] for entry in json.loads(result.stdout)]
    assert set(order) == units(environment)
    for unit, dependency in REQUIRED_EDGES:
        assert order.index(dependency) < order.index(unit), order


def test_dot_edges_parser_reads_terragrunt_dot() -> None:
    dot = 'digraph {\n\t"alb" ;\n\t"alb" -> "vpc";\n\t"ecs" -> "alb";\n}\n'
    assert dot_edges(dot) == {("alb", "vpc"), ("ecs", "alb")}


@pytest.mark.parametrize(
    ("environment", "encrypted"), [("prod", True), ("dev", True), ("local", False)]
)
def test_state_objects_are_written_with_the_accounts_state_key(
    environment: str, encrypted: bool
) -> None:
    """Outside the emulator every unit's state is encrypted with the key account.hcl names (it
    must exist before the first state is written); the twin keeps its state in the emulator."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_EMULATOR_ENDPOINT"}
    result = tg.run("render", "--json", cwd=LIVE / environment / "sqs", env=env)
    assert result.returncode == 0, result.output
    config = json.loads(result.stdout)["remote_state"]["config"]
    account = (LIVE / environment / "account.hcl").read_text(encoding="utf-8")
    key_id = re.search(r'state_kms_key_id\s*=\s*"([0-9a-f-]+)"', account)
    if encrypted:
        assert key_id, f"live/{environment}/account.hcl names no state key"
        assert config["kms_key_id"].endswith(f":key/{key_id.group(1)}"), config
        assert config["encrypt"] is True
    else:
        assert key_id is None
        assert "kms_key_id" not in config, config
