"""Generate (or check) the Inputs/Outputs tables of each Terraform module README.

    python scripts/module-docs.py [--check] [module-dir ...]   (default: every modules/*/)

The tables are written between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` in
`<module>/README.md`, from the module's variables.tf and outputs.tf. With --check nothing is
written and the exit status is 1 when a README is stale (or, for a module named on the command
line, lacks the markers; without arguments such a README is only reported).

HCL is parsed with the python-hcl2 fork that the pinned checkov tool ships (run this script with
the checkov venv's interpreter, as `make docs` does), so the project venv needs no HCL parser.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2  # type: ignore[import-not-found]

REPO_ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
INTERPOLATION = re.compile(r"^\$\{(.*)\}$", re.DOTALL)


def _expr(value: Any) -> str:
    """An HCL value from the parser as Terraform source-like text."""
    if isinstance(value, str):
        match = INTERPOLATION.match(value)
        return match.group(1) if match else json.dumps(value)
    return json.dumps(value)


def _cell(text: str) -> str:
    return text.replace('\\"', '"').replace("|", "\\|").replace("\n", " ")


def _blocks(path: Path, kind: str, *, keyed: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """The `kind` blocks of a file, in file order, as (label, body)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        parsed = hcl2.load(handle)
    if not keyed:
        return [("", block) for block in parsed.get(kind, [])]
    return [(name, body) for block in parsed.get(kind, []) for name, body in block.items()]


def _spec(value: Any) -> dict[str, Any]:
    """A required_providers entry (the parser may wrap it in a list)."""
    return value[0] if isinstance(value, list) else value


def _requirements(module: Path) -> list[str]:
    blocks = [
        body
        for path in sorted(module.glob("*.tf"))
        if path.name != "emulator_provider.tf"
        for _, body in _blocks(path, "terraform", keyed=False)
    ]
    rows = []
    for body in blocks:
        if "required_version" in body:
            rows.append(f"| terraform | {body['required_version'][0]} |")
        for providers in body.get("required_providers", []):
            rows += [
                f"| {name} | {_spec(spec).get('version', 'any')} |"
                for name, spec in providers.items()
            ]
    if not rows:
        return []
    return ["## Requirements", "", "| Name | Version |", "|------|---------|", *rows, ""]


def render(module: Path) -> str:
    lines = [*_requirements(module), "## Inputs", ""]
    variables = _blocks(module / "variables.tf", "variable")
    if variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for name, body in variables:
            description = _cell(body.get("description", [""])[0])
            type_ = _cell(_expr(body.get("type", ["${any}"])[0]))
            required = "default" not in body
            default = "n/a" if required else f"`{_cell(_expr(body['default'][0]))}`"
            lines.append(
                f"| {name} | {description} | `{type_}` | {default} | "
                f"{'yes' if required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    outputs = _blocks(module / "outputs.tf", "output")
    if outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        lines += [
            f"| {name} | {_cell(body.get('description', [''])[0])} |" for name, body in outputs
        ]
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def updated_readme(readme: str, tables: str) -> str | None:
    """The README with fresh tables, or None when it has no markers."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        return None
    return f"{readme[: start + len(BEGIN)]}\n{tables}\n{readme[end:]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a README is stale")
    parser.add_argument("modules", nargs="*", type=Path)
    args = parser.parse_args(argv)
    modules = args.modules or sorted(
        p.parent
        for p in (REPO_ROOT / "modules").glob("*/main.tf")
        if (p.parent / "README.md").exists()
    )
    problems = []
    for module in modules:
        readme_path = module / "README.md"
        readme = readme_path.read_text(encoding="utf-8") if readme_path.exists() else ""
        fresh = updated_readme(readme, render(module))
        if fresh is None:
            problems.append(f"{readme_path}: no {BEGIN} ... {END} markers")
        elif fresh != readme:
            if args.check:
                problems.append(f"{readme_path}: Inputs/Outputs are stale, run `make docs`")
            else:
                readme_path.write_text(fresh, encoding="utf-8")
                print(f"updated {readme_path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
