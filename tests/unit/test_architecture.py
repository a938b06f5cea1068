"""Coding rules that a reviewer should not have to remember."""

import ast
from pathlib import Path

CHANNEL_PACKAGES = {"slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp", "adapters"}
HEAVY = {"torch", "sentence_transformers"}
BOT = Path(__file__).resolve().parents[2] / "bot"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def test_the_core_imports_no_channel_sdk_and_no_adapter():
    offenders = [
        f"{path.relative_to(BOT.parent)}:{line}: imports {name}"
        for path in BOT.rglob("*.py")
        for line, name in _imports(path)
        if name in CHANNEL_PACKAGES
    ]
    assert offenders == []


def test_torch_is_imported_only_inside_functions():
    """Module-level imports of torch would make `check` and `--help` slow."""
    offenders = []
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                offenders += [
                    f"{path.name}:{node.lineno}" for n in names if n.split(".")[0] in HEAVY
                ]
    assert offenders == []
