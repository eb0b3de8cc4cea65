"""Helpers shared by the organisation's checkov checks (loaded by checkov from this directory).

Checkov hands a check the resource's attributes wrapped in lists (HCL: ``{"name": ["q"]}``;
plan JSON is parsed the same way), so every check unwraps before it reads a value.
"""

from __future__ import annotations

import json
import re
from typing import Any

WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
# Key checkov adds to every resource parsed from a plan (absent when scanning HCL).
PLAN_CHANGE_ACTIONS = "__change_actions__"


def unwrap(value: Any) -> Any:
    """The value inside checkov's single-element list wrapping (repeatedly)."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def as_list(value: Any) -> list[Any]:
    """A possibly-wrapped scalar or list as a flat list (None -> [])."""
    value = unwrap(value)
    if value is None:
        return []
    if isinstance(value, list):
        flat: list[Any] = []
        for item in value:
            flat.extend(as_list(item) if isinstance(item, list) else [item])
        return flat
    return [value]


def blocks(value: Any) -> list[dict[str, Any]]:
    """Nested blocks (``ingress {}``, ``statement {}``) as a list of dicts."""
    return [item for item in as_list(value) if isinstance(item, dict)]


def is_unresolved(value: Any) -> bool:
    """True for an HCL expression checkov could not evaluate (``${var.x}``, ``var.y``)."""
    return isinstance(value, str) and ("${" in value or value.startswith(("var.", "local.")))


def as_int(value: Any) -> int | None:
    value = unwrap(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def parse_json(value: Any) -> Any:
    """A JSON document given as a string (plan JSON, heredoc) or already decoded (jsonencode)."""
    value = unwrap(value)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def ecs_containers(conf: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The container definitions of an ``aws_ecs_task_definition``; None when not resolvable."""
    raw = conf.get("container_definitions")
    if raw is None:
        return None
    decoded = parse_json(raw)
    if isinstance(decoded, dict):
        decoded = [decoded]
    if not isinstance(decoded, list) or not decoded:
        return None
    if isinstance(decoded[0], list):
        decoded = decoded[0]
    containers = [item for item in decoded if isinstance(item, dict)]
    return containers or None


def iam_statements(conf: dict[str, Any], *, data_source: bool) -> list[dict[str, Any]] | None:
    """Statements normalised to ``{"effect", "actions", "not_actions", "resources"}``.

    ``data_source`` selects ``data "aws_iam_policy_document"`` blocks; otherwise the ``policy``
    attribute of an IAM/resource policy is decoded. None when the document is not resolvable
    (an HCL reference the plan will resolve).
    """
    if data_source:
        return [
            {
                "effect": str(unwrap(block.get("effect")) or "Allow"),
                "actions": [str(a) for a in as_list(block.get("actions"))],
                "not_actions": [str(a) for a in as_list(block.get("not_actions"))],
                "resources": [str(r) for r in as_list(block.get("resources"))],
            }
            for block in blocks(conf.get("statement"))
        ]
    document = parse_json(conf.get("policy"))
    if not isinstance(document, dict):
        return None
    raw_statements = document.get("Statement", [])
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    statements = []
    for statement in raw_statements:
        if not isinstance(statement, dict):
            continue
        statements.append(
            {
                "effect": str(statement.get("Effect", "Allow")),
                "actions": [str(a) for a in as_list(statement.get("Action"))],
                "not_actions": [str(a) for a in as_list(statement.get("NotAction"))],
                "resources": [str(r) for r in as_list(statement.get("Resource"))],
            }
        )
    return statements


IAM_POLICY_RESOURCES = (
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
)
