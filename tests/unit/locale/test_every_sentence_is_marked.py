"""No user-facing sentence in `bot/` or `adapters/` escapes the catalogs.

An AST scan reads every string literal (f-strings' text parts too) of every module that writes
to customers or agents, and fails on one that holds a word and is not marked for the
catalog (`_()`, `N_()`, `ngettext()`). What is not a sentence for a person is left out by its
position, never by its wording: docstrings, log calls, exception messages (for the operator and the
logs), dict keys and subscripts, comparisons (`status == "paid"`), the values of technical
keys and keywords (`"type": "TextBlock"`, `weight="Bolder"`), regular expressions. What is
left is either marked or named in `ALLOWED` below, module by module, with its reason: a
reviewer reads that list, and a new English sentence cannot pass unseen.

Modules that talk to the operator only (the command line's reports, the knowledge check,
settings, storage) are listed in `OPERATOR_MODULES`; every other module is scanned, so a new
module is covered by default.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from bot.locale.extract import template

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("bot", "adapters")
MARKERS = {"_", "N_", "ngettext"}
LETTERS = re.compile(r"[^\W\d_]{2,}")  # a word of two letters or more
EMOJI = re.compile(r":[a-z_]+:")  # Slack's `:warning:` is a picture, not a word
REGEX = re.compile(r"\\[bdswBDSW]")  # `\b(due|deadline)\b` is read by `re`, not a person
# Methods whose first argument is matched against text or names a key, never shown.
READING_METHODS = {
    "get",
    "pop",
    "setdefault",
    "startswith",
    "endswith",
    "removeprefix",
    "removesuffix",
    "split",
    "partition",
    "getenv",
}

# Output read by the partner's operators (terminal, logs, HTTP status bodies, the database),
# never by a customer in Teams or an agent in Slack.
OPERATOR_MODULES = {
    "adapters/cli.py": "the server and Teams package commands' terminal output",
    "adapters/server.py": "health and metrics endpoints, start-up messages",
    "adapters/http_limits.py": "HTTP refusals to platforms",
    "adapters/exposure.py": "start-up refusals and warnings about local mode",
    "adapters/ops.py": "HTTP refusals on the operator's endpoints",
    "adapters/wire.py": "HTTP plumbing",
    "adapters/slack/gate.py": "HTTP refusals of Slack requests (read by Slack, not agents)",
    "adapters/slack/mount.py": "configuration errors at start-up",
    "adapters/teams/auth.py": "token validation",
    "adapters/teams/endpoint.py": "HTTP refusals to the Bot Connector",
    "adapters/teams/connectors.py": "SDK plumbing",
    "adapters/teams/mount.py": "configuration at start-up",
    "adapters/teams/package.py": "the Teams app manifest (its own en-US localization file)",
    "adapters/teams/icons.py": "the app's icons",
    "bot/cli.py": "admin commands' terminal output (`_print_reply` shows a reply in its language)",
    "bot/collections/cli.py": "the collections preview's terminal output",
    "bot/collections/disputes.py": "an escalation category id",
    "bot/collections/facts.py": "a channel name in the database",
    "bot/collections/plan.py": "the plan's notes for the admin's preview (agents' words: desk.py)",
    "bot/collections/models.py": "the collections tables",
    "bot/collections/store.py": "the collections tables; `collections history` rows (terminal)",
    "bot/collections/run.py": "outbox keys, an article's file name, body keys (cards.py renders)",
    "bot/collections/daily.py": "the daily run's schedule, logged",
    "bot/collections/digest.py": "the digest's body: values and keys (the Slack adapter words it)",
    "bot/config.py": "settings and their errors",
    "bot/reload.py": "knowledge reloading, logged",
    "bot/pii.py": "masking patterns",
    "bot/errors.py": "exception types",
    "adapters/teams/activities.py": "reads activities; its problems are HTTP 400 refusals",
    "adapters/teams/direct.py": "Bot Connector plumbing: URLs, headers, activity fields",
    "adapters/teams/channel.py": "proactive delivery: errors for the outbox (cards.py renders)",
    "adapters/slack/channel.py": "delivery: Slack API error codes, errors for the outbox",
    "bot/channel.py": "the outbox's vocabulary: event names and body keys",
    "bot/intake.py": "normalising what comes in: ids, keys, encodings",
    "bot/logsafe.py": "log records",
    "bot/conversation/turns.py": "the turns table: intent and topic keys",
    "bot/answering/facts_check.py": "words read in questions and articles (it writes nothing)",
    "bot/answering/gate.py": "the answer gate's file and signal names (it writes nothing)",
}
OPERATOR_PACKAGES = {
    "bot/evaluation/": "evaluation reports (`billing-bot eval`, the model tests, benchmarks)",
    "bot/knowledge/": "the knowledge check's problems (`billing-bot check`), file formats",
    "bot/invoices/": "invoice files' problems (as `check`'s), their storage, `import invoices`",
    "bot/retrieval/": "search internals: tokens, model names, cache keys",
    "bot/tickets/": "ticket storage and the ticket admin commands",
    "bot/storage/": "database plumbing, migrations, the turn's transaction: keys and results",
    "bot/delivery/": "the outbox and its dispatcher: keys, states and errors for the log",
    "bot/understanding/": "intents, slots and language detection: words read, not written",
    # Its SQL, HTML markup, element ids and terminal output; the sentences agents read on the
    # page are marked (outcomes.py, page.py) and tests/unit/report checks the Spanish page.
    "bot/report/": "the resolution report's queries, markup and terminal output",
}

# Keywords of a call whose value a person reads (any other keyword configures the call).
TEXT_KEYS = {"text", "title", "placeholder", "value", "message", "fallback"}
# Keys of a dict whose value is read by a program: card and block schema, payload fields.
# A dict value under any other key (a table of sentences by code) is scanned.
TECHNICAL_KEYS = {
    "type",
    "$schema",
    "version",
    "width",
    "contentType",
    "action",
    "action_id",
    "block_id",
    "style",
    "verb",
    "code",
    "size",
    "weight",
    "spacing",
}

# Literals left as they are, by module: each one is read by a program, or is data.
ALLOWED: dict[str, set[str]] = {
    "adapters/teams/cards.py": {  # card schema
        "application/vnd.microsoft.card.adaptive",
        "http://adaptivecards.io/schemas/adaptive-card.json",
        "Full",
        "Bolder",
        "Small",
        "Medium",
        "None",
        "text",  # the keys a card's texts are under (`shown_texts`)
        "title",
        "value",
    },
    "adapters/teams/turns.py": {
        "deliveryKey",  # channelData field carrying the outbox row's key
    },
    "adapters/slack/blocks.py": {  # Block Kit action ids and styles
        "ticket_claim",
        "ticket_resolve",
        "ticket_category",
        "ticket_release",
        "ticket_wait",
        "primary",
        "agent:",  # how the ticket stores an agent's name
    },
    "adapters/slack/app.py": {
        "/billing",
        "billing-desk",
        "message",
        "app_home_opened",
        "action:{}",  # the inbound-event id of a button click
    },
    "adapters/slack/desk.py": {"slack", "ask", "customer", "ticket"},  # source, /billing verbs
    "adapters/slack/collections.py": {  # Block Kit action ids and styles
        "collections_resume",
        "collections_confirm",
        "collections_pause_{}",
        "primary",
    },
    "adapters/slack/collections_desk.py": {"slack", "action:{}"},  # source, interaction mark
    "adapters/slack/channel.py": {"slack", "billing_ticket"},  # message metadata's event type
    "bot/app.py": {
        "en",
        "customer",  # transcript speakers, shown through `blocks.SPEAKERS`
        "bot",
        "button",  # why a ticket was opened (`CategoryMatch.reason`), for the logs
        "How do I pay my invoice?",  # warm-up questions, answered and thrown away
        "¿Cómo pago mi factura?",
        "ticket:{}",  # a turn's topic for the resolution report
    },
    "bot/answering/decide.py": {
        "en",
        "yes",  # `CategoryMatch.reason`s
        "intent",
        "accepted offer",
        "thank",  # words read in a message (thanks and goodbyes)
        "cheers",
        "gracias",
        "bye",
        "adiós",
        "adios",
        "collections policy: suspension for non-payment",  # a search query
        ".{}.md",  # a file name
    },
    "bot/answering/invoices/lines.py": {  # words read in a question about a line
        "purchas",
        "bought",
        "buy",
        "compra",
        "compr",
        "prorat",
        "pro rata",
        "pro-rata",
        "prorrat",
        "credit",
        "crédit",
        "abono",
        "credited",
        "cancel",
        "usage",
        "consumption",
        "consumo",
        "negative",
        "minus",
        "negativ",
        "refund",
    },
    "bot/answering/scope.py": {"human_request"},  # a category id
    # Evidence for the agents beside a ticket: `path:line: problem`, as `billing-bot check`
    # prints it (the problem itself is the check's, in the operator's words).
    "bot/answering/withheld.py": {"{}:{}: {} withheld from the customer: {}"},
    "bot/locale/__init__.py": {"en", "LC_MESSAGES", "messages.po", "rb"},
    "bot/locale/extract.py": {
        "bot",
        "adapters",
        "**.py",
        "python",
        "billing-bot",
        "utf-8",
        "messages.pot",
        "wb",
    },
    "bot/locale/formats.py": {  # CLDR patterns; English's own day names
        "en",
        "long",
        "medium",
        "abbreviated",
        "wide",
        "EEEE d 'de' MMMM, HH:mm",
        "MMMM 'de' y",
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    },
}


def _modules() -> Iterator[tuple[str, Path]]:
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path


def _scanned(name: str) -> bool:
    return name not in OPERATOR_MODULES and not any(name.startswith(p) for p in OPERATOR_PACKAGES)


def _exception_classes(trees: list[ast.Module]) -> set[str]:
    """Builtin-style names (`...Error`) and the project's own exception classes."""
    classes: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = {_name(b) for b in node.bases}
    found = {"Exception", "BaseException", "StrEnum", "Enum"}
    changed = True
    while changed:
        changed = False
        for name, bases in classes.items():
            if name not in found and any(b in found or b.endswith("Error") for b in bases):
                found.add(name)
                changed = True
    return found


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # f"Invoice {number} is due" -> "Invoice {} is due"
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return ""


class _Scan(ast.NodeVisitor):
    def __init__(self, exceptions: set[str]) -> None:
        self.exceptions = exceptions  # exception and enum classes
        self.skipped: set[int] = set()  # ids of nodes whose literals are not sentences
        self.found: list[tuple[int, str]] = []

    def skip(self, *nodes: ast.AST | None) -> None:
        for node in nodes:
            if node is not None:
                self.skipped.update(id(n) for n in ast.walk(node))

    def visit_Module(self, node: ast.Module) -> None:
        self._docstring(node)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._docstring(node)
        arguments = node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        self.skip(node.returns, *(a.annotation for a in every))
        # Parameters' defaults configure a function (`language="en"`); they say nothing.
        self.skip(*arguments.defaults, *arguments.kw_defaults)
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._docstring(node)
        for statement in node.body:
            field = isinstance(statement, ast.AnnAssign)  # a default, like a parameter's
            enum = isinstance(statement, ast.Assign) and any(  # an enum's values are names
                _name(b) in self.exceptions for b in node.bases
            )
            if field or enum:
                assert isinstance(statement, ast.AnnAssign | ast.Assign)
                self.skip(statement.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.skip(node.annotation)
        self.generic_visit(node)

    def _docstring(
        self, node: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> None:
        if node.body and isinstance(node.body[0], ast.Expr):
            self.skip(node.body[0].value)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        owner = _name(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        if name in MARKERS:
            self.skip(*node.args)
        elif owner in ("log", "logging", "logger") or self._exception(name):
            self.skip(*node.args, *(k.value for k in node.keywords))
        elif owner == "re" or name in READING_METHODS:
            self.skip(*node.args[:1])
        elif name in ("getattr", "hasattr"):
            self.skip(*node.args)
        for keyword in node.keywords:
            if keyword.arg not in TEXT_KEYS:
                self.skip(keyword.value)
        self.generic_visit(node)

    def _exception(self, name: str) -> bool:
        return name in self.exceptions or name.endswith(("Error", "Exception"))

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            self.skip(key)
            technical = isinstance(key, ast.Constant) and key.value in TECHNICAL_KEYS
            if technical and isinstance(value, ast.Constant | ast.JoinedStr):
                self.skip(value)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.skip(node.slice)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.skip(node.left, *node.comparators)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        self._literal(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._literal(node)
        # Expressions inside an f-string may hold literals of their own.
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value.value)

    def _literal(self, node: ast.Constant | ast.JoinedStr) -> None:
        if id(node) in self.skipped:
            return
        text = _literal_text(node)
        if LETTERS.search(EMOJI.sub("", text)) and not REGEX.search(text):
            self.found.append((node.lineno, text))


def unmarked() -> list[str]:
    parsed = [(name, ast.parse(path.read_text(encoding="utf-8"))) for name, path in _modules()]
    exceptions = _exception_classes([tree for _, tree in parsed])
    offenders = []
    for name, tree in parsed:
        if not _scanned(name):
            continue
        scan = _Scan(exceptions)
        scan.visit(tree)
        allowed = ALLOWED.get(name, set())
        offenders += [f"{name}:{n}: {text!r}" for n, text in scan.found if text not in allowed]
    return offenders


def test_the_allow_list_names_only_literals_that_are_there():
    """An entry whose literal left the code goes: the list stays short and true."""
    present = {name: path.read_text(encoding="utf-8") for name, path in _modules()}
    stale = [
        f"{name}: {text!r}"
        for name, texts in ALLOWED.items()
        for text in texts
        if name not in present
        or not all(part in present[name] for part in repr(text)[1:-1].split("{}"))
    ]
    assert not stale


def marked_literals() -> Iterator[tuple[str, int, str]]:
    """Every literal passed to `_()`, `N_()` or `ngettext()` (its singular), where it is."""
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and _name(node.func) in MARKERS and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        yield path.relative_to(ROOT).as_posix(), node.lineno, first.value


def test_every_sentence_a_person_reads_is_marked_for_the_catalogs():
    offenders = unmarked()
    assert not offenders, "wrap in _() (or N_() where defined), then run " + (
        "`python -m bot.locale.extract`:\n" + "\n".join(offenders)
    )


def test_every_marked_sentence_reaches_the_catalog_template():
    """Babel's extractor cannot see a call inside an f-string (`f"{_('Total')}"`), so a
    sentence marked there would never be translated."""
    # a counted sentence (`ngettext`) is extracted as (singular, plural)
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    lost = [f"{p}:{line}: {text!r}" for p, line, text in marked_literals() if text not in extracted]
    assert not lost, "\n".join(lost)


def test_the_scan_finds_a_sentence_wherever_it_hides():
    """The scan is not blind: an unmarked sentence is found in a reply, a variable, a card
    label and an f-string; a marked one, a log line and an exception message are not."""
    source = """
def reply(number):
    log.info("sent reply %s", number)
    direction = "higher"
    why = {"prorate": "licences added mid-term"}
    card = {"type": "TextBlock", "text": "Was this helpful?"}
    if number == "paid":
        raise ValueError(f"no invoice {number}")
    return Reply(f"Invoice {number} is due", ReplyKind.INVOICE), _("Marked {number}")
"""
    scan = _Scan(_exception_classes([]))
    scan.visit(ast.parse(source))
    assert [text for _, text in scan.found] == [
        "higher",
        "licences added mid-term",
        "Was this helpful?",
        "Invoice {} is due",
    ]
