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


ADAPTERS = BOT.parent / "adapters"


def test_adapters_import_no_sqlalchemy():
    """Adapters change what is stored only through the core's units of work
    (`Storage.turn`, `Storage.agent_action`): never a session or a statement of their own."""
    offenders = [
        f"{path.relative_to(ADAPTERS.parent)}:{line}"
        for path in ADAPTERS.rglob("*.py")
        for line, name in _imports(path)
        if name == "sqlalchemy"
    ]
    assert offenders == []


def _vocabularies() -> dict[str, set[str]]:
    """Each status or event word -> the modules that define it (a StrEnum's values)."""
    from bot.channel import OutboxEvent
    from bot.knowledge.customers import AccountStatus
    from bot.knowledge.invoices import InvoiceStatus
    from bot.tickets.status import Status
    from bot.tickets.values import HistoryKind, OutboxStatus

    homes: dict[str, set[str]] = {}
    for enum in (Status, HistoryKind, OutboxStatus, OutboxEvent, InvoiceStatus, AccountStatus):
        module = enum.__module__.replace(".", "/") + ".py"
        for member in enum:
            homes.setdefault(member.value, set()).add(module)
    return homes


# Words that are also JSON field names (`"status": ...` in every `to_json`), where a
# literal is the field, not the status or event.
FIELD_NAMES = {"status", "category", "reply"}
# A literal that is not the status it spells, with why (keep this short).
NOT_A_STATUS = {
    ("bot/collections/digest.py", "overdue"): "the digest body's field of customers to chase",
    ("bot/evaluation/conversations.py", "ticket_opened"): "a result's field: was one opened?",
}


def _string_constants(node: ast.AST) -> list[ast.Constant]:
    """The string constants compared (`x == "open"`, `x in ("open", ...)`) or used as dict
    keys (`{"open": ...}`) in `node`."""
    found: list[ast.AST] = []
    if isinstance(node, ast.Compare):
        for side in (node.left, *node.comparators):
            found += side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
    elif isinstance(node, ast.Dict):
        found += [key for key in node.keys if key is not None]
    elif isinstance(node, ast.MatchValue):
        found.append(node.value)
    return [n for n in found if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_a_status_or_event_literal_lives_only_in_its_own_module():
    """Code names a status or an outbox event by its enum member; the string appears only
    where the enum is defined. (SQL text, e.g. in migrations, is not Python comparisons or
    dict keys, and is not scanned.)"""
    homes = _vocabularies()
    offenders = []
    for path in [*BOT.rglob("*.py"), *ADAPTERS.rglob("*.py")]:
        name = path.relative_to(BOT.parent).as_posix()
        if name.startswith("bot/storage/migrations/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for constant in _string_constants(node):
                word = constant.value
                if word not in homes or word in FIELD_NAMES or name in homes[word]:
                    continue
                if (name, word) not in NOT_A_STATUS:
                    offenders.append(f"{name}:{constant.lineno}: {word!r}")
    assert offenders == []


BENCHMARKS = BOT.parent / "benchmarks"
# Intent spellings that are also a JSON field name (a card button's `"solved": true`).
INTENT_FIELD_NAMES = {"solved"}


def _intent_literals(tree: ast.AST) -> list[ast.Constant]:
    """The intent spellings `tree` compares, keys a dict with or matches (`x == "policy"`),
    and every string that starts with the escalation prefix (`"escalate."`, in a comparison,
    a `startswith`, an f-string): only bot/understanding/intents.py spells either."""
    from bot.understanding import intents as I

    prefix = I.escalate_intent("")
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        found += [c for c in _string_constants(node) if c.value in I.NAMED]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [node] if node.value.startswith(prefix) else []
    return [c for c in found if c.value not in INTENT_FIELD_NAMES]


def _intent_offenders(paths: list[Path]) -> list[str]:
    offenders = []
    for path in paths:
        name = path.relative_to(BOT.parent).as_posix()
        if name == "bot/understanding/intents.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{name}:{c.lineno}: {c.value!r}" for c in _intent_literals(tree)]
    return sorted(set(offenders))


def test_an_intent_is_named_by_its_constant_outside_its_module():
    """Code compares intents with the constants of bot/understanding/intents.py (and reads an
    escalation's category with `escalation_category`), never with their spelling: renaming
    an intent then breaks no comparison silently."""
    paths = [*BOT.rglob("*.py"), *ADAPTERS.rglob("*.py"), *BENCHMARKS.rglob("*.py")]
    assert _intent_offenders(paths) == []
