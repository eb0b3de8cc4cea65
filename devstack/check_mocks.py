"""Check that every dependency's `mock_outputs` match the outputs of the dependency's module.

    python -m devstack.check_mocks [--root DIR]        # `make check-mocks`; exit 1 on a mismatch

Mocks stand in for a dependency's outputs while it has no state (plans of a fresh
environment): a key that is not an output of the dependency's module, or a value of another
type, plans fine and fails on the first real apply. For every unit of every environment
(`live/<env>/<unit>/terragrunt.hcl` and the files it includes), each `dependency` block is
resolved to the unit it points at and that unit's `terraform.source` module; each mock key must
be an `output` of the module, and the mock's type (string, number, bool, list, map) must match
the output's type, inferred from its `value` expression (Terraform outputs declare none):
literals, `[...]`/`{...}` and `for` expressions, splats (`x[*].id`), type-revealing functions,
`local.<name>` resolved in the module, and resource attributes that are strings (`id`, `arn`,
`name`, `url`, `*_id`, ...). What cannot be inferred matches anything.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

ANY = "any"
_LIST_FUNCTIONS = ("tolist", "toset", "concat", "values", "keys", "compact", "flatten", "distinct")
_LIST_FUNCTIONS += ("sort", "slice", "setunion", "setintersection", "split", "range", "reverse")
_MAP_FUNCTIONS = ("tomap", "merge", "zipmap", "transpose")
_STRING_FUNCTIONS = ("tostring", "format", "join", "lower", "upper", "replace", "jsonencode")
_STRING_FUNCTIONS += ("trimspace", "substr", "base64encode", "md5", "sha256", "formatdate")
_NUMBER_FUNCTIONS = ("tonumber", "length", "max", "min", "ceil", "floor", "parseint")
_STRING_ATTRIBUTE = re.compile(
    r"(^|_)(id|arn|name|url|arn_suffix|dns_name|zone_id|cidr_block|repository_url|key)$"
)
_REFERENCE = re.compile(r"^[a-z][\w-]*\.[\w-]+(\[[^\]]*\])?\.([\w-]+)$")
_SPLAT = re.compile(r"^[a-z][\w-]*\.[\w-]+\[\*\]\.[\w-]+$")


@dataclass(frozen=True)
class Problem:
    unit: str
    dependency: str
    message: str

    def __str__(self) -> str:
        return f"{self.unit}: dependency {self.dependency!r}: {self.message}"


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _expression(value: str) -> str | None:
    """The expression inside `${...}` when the whole value is one, else None."""
    if value.startswith("${") and value.endswith("}") and value.count("${") == 1:
        return value[2:-1].strip()
    return None


def value_type(value: Any) -> str:
    """The type of a parsed HCL value (python-hcl2 keeps strings quoted, expressions as ${})."""
    if isinstance(value, str):
        if value.startswith('"'):
            return "string"
        expression = _expression(value)
        return ANY if expression is None else expression_type(expression, {})
    # bool before number: a bool is an int in Python.
    for kinds, name in ((bool, "bool"), ((int, float), "number"), (list, "list"), (dict, "map")):
        if isinstance(value, kinds):
            return name
    return ANY


_LITERALS = (
    (re.compile(r"^\{"), "map"),
    (re.compile(r"^\["), "list"),
    (re.compile(r'^"'), "string"),
    (re.compile(r"^(true|false)$"), "bool"),
    (re.compile(r"^-?\d+(\.\d+)?$"), "number"),
    (_SPLAT, "list"),
)
_FUNCTIONS = {
    **dict.fromkeys(_LIST_FUNCTIONS, "list"),
    **dict.fromkeys(_MAP_FUNCTIONS, "map"),
    **dict.fromkeys(_STRING_FUNCTIONS, "string"),
    **dict.fromkeys(_NUMBER_FUNCTIONS, "number"),
}


def _call_type(expression: str) -> str:
    name, inner = expression.split("(", 1)
    name, inner = name.strip(), inner[:-1].strip()
    if name == "one" and _SPLAT.match(inner):
        return _attribute_type(inner.rsplit(".", 1)[1])
    return _FUNCTIONS.get(name, ANY)


def _local_type(name: str, module_locals: dict[str, Any], depth: int) -> str:
    value = module_locals.get(name)
    expression = _expression(value) if isinstance(value, str) else None
    if expression is not None:
        return expression_type(expression, module_locals, depth + 1)
    return ANY if value is None else value_type(value)


def expression_type(expression: str, module_locals: dict[str, Any], depth: int = 0) -> str:
    """The type an output expression evaluates to, or ANY when it cannot be told."""
    expression = expression.strip()
    for pattern, kind in _LITERALS:
        if pattern.match(expression):
            return kind
    if depth > 5:
        return ANY
    if "(" in expression and expression.endswith(")"):
        return _call_type(expression)
    local = re.fullmatch(r"local\.([\w-]+)", expression)
    if local:
        return _local_type(local.group(1), module_locals, depth)
    reference = _REFERENCE.match(expression)
    if reference and not expression.startswith(("var.", "module.", "data.")):
        return _attribute_type(reference.group(2))
    return ANY


def _attribute_type(attribute: str) -> str:
    return "string" if _STRING_ATTRIBUTE.search(attribute) else ANY


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def _blocks(document: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for entry in document.get(kind, []):
        for label, body in entry.items():
            yield _unquote(label), body


def _resolve(value: str, repo_root: Path, unit_dir: Path) -> Path:
    text = _unquote(value)
    text = text.replace("${get_repo_root()}", str(repo_root))
    text = text.replace("${get_terragrunt_dir()}", str(unit_dir))
    if "${" in text:
        raise ValueError(f"cannot resolve {value} without Terragrunt")
    return Path(text).resolve()


def unit_config(unit_dir: Path, repo_root: Path) -> list[dict[str, Any]]:
    """The unit's terragrunt.hcl and the files it includes (except the root configuration)."""
    unit = _load(unit_dir / "terragrunt.hcl")
    documents = [unit]
    for _, include in _blocks(unit, "include"):
        path = _resolve(include["path"], repo_root, unit_dir)
        if path != (repo_root / "terragrunt.hcl").resolve():
            documents.append(_load(path))
    return documents


def module_of(unit_dir: Path, repo_root: Path) -> Path:
    for document in unit_config(unit_dir, repo_root):
        for terraform in document.get("terraform", []):
            if "source" in terraform:
                return _resolve(terraform["source"], repo_root, unit_dir)
    raise ValueError(f"{unit_dir}: no terraform.source")


@dataclass(frozen=True)
class ModuleOutputs:
    path: Path
    types: dict[str, str]


@functools.cache
def module_outputs(module: Path) -> ModuleOutputs:
    module_locals: dict[str, Any] = {}
    outputs: dict[str, str] = {}
    documents = [_load(path) for path in sorted(module.glob("*.tf"))]
    for document in documents:
        for block in document.get("locals", []):
            module_locals.update({k: v for k, v in block.items() if not k.startswith("__")})
    for document in documents:
        for name, body in _blocks(document, "output"):
            value = body.get("value", "")
            expression = _expression(value) if isinstance(value, str) else None
            outputs[name] = (
                expression_type(expression, module_locals)
                if expression is not None
                else value_type(value)
            )
    return ModuleOutputs(module, outputs)


def check_unit(unit_dir: Path, repo_root: Path) -> list[Problem]:
    unit = unit_dir.relative_to(repo_root).as_posix()
    problems = []
    for document in unit_config(unit_dir, repo_root):
        for name, dependency in _blocks(document, "dependency"):
            mocks = dependency.get("mock_outputs")
            if not isinstance(mocks, dict):
                continue
            target = _resolve(dependency["config_path"], repo_root, unit_dir)
            outputs = module_outputs(module_of(target, repo_root))
            module = outputs.path.relative_to(repo_root.resolve()).as_posix()
            listed = ", ".join(sorted(outputs.types))
            for label, mock in mocks.items():
                if label.startswith("__"):
                    continue
                key = _unquote(label)
                if key not in outputs.types:
                    problems.append(
                        Problem(
                            unit,
                            name,
                            f"mock_outputs key {key!r} is not an output of {module} "
                            f"(its outputs: {listed})",
                        )
                    )
                    continue
                mock_type, output_type = value_type(mock), outputs.types[key]
                if ANY not in (mock_type, output_type) and mock_type != output_type:
                    problems.append(
                        Problem(
                            unit,
                            name,
                            f"mock_outputs.{key} is a {mock_type}, but output {key!r} of "
                            f"{module} is a {output_type}",
                        )
                    )
    return problems


def units(repo_root: Path) -> list[Path]:
    live = repo_root / "live"
    return sorted(
        path.parent
        for path in live.glob("*/*/terragrunt.hcl")
        if not path.parent.parent.name.startswith("_") and ".terragrunt-cache" not in path.parts
    )


def check(repo_root: Path) -> tuple[int, list[Problem]]:
    """(units checked, problems) for every unit of every environment below repo_root/live."""
    found = units(repo_root)
    problems = [problem for unit in found for problem in check_unit(unit, repo_root)]
    return len(found), problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    checked, problems = check(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} mock output problem(s) in {checked} units", file=sys.stderr)
        return 1
    print(f"mock outputs of {checked} units match their dependencies' module outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
