"""`billing-bot`: the admin's and developer's commands over the core.

Heavy modules (torch, sentence-transformers, SQLAlchemy, and pydantic-settings behind the
settings) are imported inside the commands that need them, so `--help` and `check` start
fast (tests/unit/test_cli_startup.py pins that). Channel commands (`serve`, `teams`) are
added by `adapters.cli`, the console script's entry point.
"""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from bot.errors import BotError
from bot.locale.formats import counted

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bot.answering.gate import Row
    from bot.app import Assistant
    from bot.config import Settings
    from bot.evaluation.folds import CrossValidation
    from bot.evaluation.runner import ConversationRun
    from bot.knowledge.folder import Knowledge
    from bot.storage.stores import Storage
    from bot.types import Reply

_OVERRIDES = "billing_bot.settings_overrides"  # ctx.meta key: the global options' settings
# Commands that read the settings only if they need them (`check DIR` does not).
_SETTINGS_ON_DEMAND = frozenset({"check"})


@contextmanager
def clear_errors() -> Iterator[None]:
    """Our own errors are messages for the user, not tracebacks."""
    try:
        yield
    except BotError as exc:
        raise click.ClickException(str(exc)) from exc


class LazyGroup(click.Group):
    """A group whose `lazy` subcommands are imported only when one of them runs: `--help`
    lists them by the one-line help given here."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy  # name -> ("module:attribute", one-line help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module, attribute = self.lazy[name][0].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [
            n for n in self.list_commands(ctx) if n in self.lazy or not self.commands[n].hidden
        ]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [
            (n, self.commands[n].get_short_help_str(limit))
            if n in self.commands
            else (n, click.Command(n, help=self.lazy[n][1]).get_short_help_str(limit))
            for n in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy={
        "tickets": (
            "bot.tickets.cli:tickets",
            "Tickets handed to people, and the outbox that carries their messages.",
        ),
        "collections": (
            "bot.collections.cli:collections",
            "Payment reminders on the partner's collections timeline: preview a day.",
        ),
        "import": (
            "bot.invoices.cli:import_group",
            "Import data into the database: partners' invoice exports.",
        ),
        "report": (
            "bot.report.cli:report",
            "What the bot resolved (confirmed apart from assumed), per week; --html, --json.",
        ),
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--knowledge",
    "knowledge_dir",
    type=click.Path(path_type=Path),
    help="Knowledge folder (default: $KNOWLEDGE_DIR or ./knowledge).",
)
@click.pass_context
def cli(ctx: click.Context, knowledge_dir: Path | None) -> None:
    """Billing support assistant for Microsoft CSP partners."""
    ctx.meta[_OVERRIDES] = {"knowledge_dir": knowledge_dir} if knowledge_dir else {}
    if ctx.invoked_subcommand not in _SETTINGS_ON_DEMAND:
        settings_of(ctx)  # read now: a malformed setting stops the command before it starts


def settings_of(ctx: click.Context) -> Settings:
    """The settings, read on first use and kept on the root context (`ctx.obj`)."""
    root = ctx.find_root()
    if root.obj is None:
        from bot.config import load_settings

        with clear_errors():
            root.obj = load_settings(**root.meta.get(_OVERRIDES, {}))
    return cast("Settings", root.obj)


@cli.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option(
    "--invoices-imported",
    is_flag=True,
    help="The invoices come from `billing-bot import invoices`: no invoice file is needed.",
)
@click.pass_context
def check(ctx: click.Context, folder: Path | None, invoices_imported: bool) -> None:
    """Validate a knowledge folder; print each problem as path:line: message.

    Exits 0 when there is no error (warnings allowed), 1 otherwise.
    """
    from bot.invoices.book import InMemory
    from bot.knowledge.folder import load_knowledge
    from bot.knowledge.report import consequences, counts

    folder = folder or ctx.meta[_OVERRIDES].get("knowledge_dir") or settings_of(ctx).knowledge_dir
    with clear_errors():  # invoices validated as they stream by, not kept
        knowledge = load_knowledge(folder, InMemory(keep_lines=False, imports=invoices_imported))
    for problem in knowledge.problems:
        click.echo(f"{folder.as_posix().rstrip('/')}/{problem}")
    click.echo(counts(knowledge), err=True)
    for sentence in consequences(knowledge):
        click.echo(f"  {sentence}", err=True)
    errors = len(knowledge.errors)
    ctx.exit(1 if errors else 0)


@cli.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the database to the newest schema (Alembic), then exit.

    Every process also migrates when it starts; run this once per release (a Kubernetes Job,
    a compose step) so replicas never race a schema change.
    """
    from bot.storage.database import make_engine, upgrade

    settings = settings_of(ctx)
    with clear_errors():
        engine = make_engine(settings.database)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
    click.echo(f"database at the newest schema: {engine.url.render_as_string(hide_password=True)}")


@contextmanager
def _progress(total: int, label: str) -> Iterator[Any]:
    from tqdm import tqdm

    with tqdm(total=total, desc=label, unit="passage", file=sys.stderr, disable=None) as bar:
        yield bar.update


def assistant_with_progress(
    settings: Settings,
    knowledge: Knowledge | None = None,
    *,
    storage: Storage | None = None,
    batch_queries: bool = False,
) -> Assistant:
    """The real assistant, with a progress bar while the folder is (re-)embedded;
    `batch_queries` for the server (see `build_assistant`)."""
    from bot.app import build_assistant
    from bot.invoices.folder import load_served
    from bot.retrieval.embedder import make_embedder
    from bot.storage.stores import Storage

    storage = storage or Storage.from_url(settings.database)
    knowledge = knowledge or load_served(settings.knowledge_dir, storage.db)
    embedder = make_embedder(settings.embedding_model)
    with _progress(len(knowledge.passages), "indexing") as progress:
        return build_assistant(
            settings,
            embedder=embedder,
            knowledge=knowledge,
            storage=storage,
            progress=progress,
            batch_queries=batch_queries,
            others={"es": make_embedder(settings.embedding_model_es)},
        )


@cli.command()
@click.pass_context
def index(ctx: click.Context) -> None:
    """Embed the knowledge folder (only what changed since the last run) and report."""
    import time

    settings = settings_of(ctx)
    with clear_errors():
        started = time.perf_counter()
        assistant = assistant_with_progress(settings)
    stats = assistant.answerer.index.stats
    click.echo(
        f"indexed {stats.passages} passages from {settings.knowledge_dir} "
        f"({stats.embedded} embedded, {stats.passages - stats.embedded} from cache) in "
        f"{time.perf_counter() - started:.1f}s; cache: {settings.embedding_cache}"
    )


def _print_reply(reply: Reply) -> None:
    """The reply as a customer reads it, its labels in the reply's language."""
    from bot.locale import translator

    _ = translator(reply.language)
    if reply.text:
        click.echo(reply.text)
    if reply.table:
        widths = [
            max(len(str(v)) for v in column)
            for column in zip(reply.table.columns, *reply.table.rows, strict=True)
        ]
        for row in (reply.table.columns, *reply.table.rows):
            click.echo("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    for citation in reply.citations:
        source = _("source: {title} › {section} ({path})").format(
            title=citation.title, section=citation.section, path=citation.path
        )
        click.echo(f"  {source}")
    if reply.ticket:
        ticket = _("ticket: {number} [{status}] {category} → {route}").format(
            number=reply.ticket.number,
            status=reply.ticket.status,
            category=reply.ticket.category,
            route=reply.ticket.route,
        )
        click.echo(f"  {ticket}")


def _knowledge_with(settings: Settings, customer_id: str | None) -> tuple[Knowledge, Storage]:
    """The knowledge folder (its invoices in the database), checked to know `customer_id`
    before anything slow starts."""
    from bot.invoices.folder import load_served
    from bot.storage.stores import Storage

    storage = Storage.from_url(settings.database)
    knowledge = load_served(settings.knowledge_dir, storage.db)
    if customer_id and knowledge.customer(customer_id) is None:
        known = ", ".join(c.id for c in knowledge.customers[:20]) or "none"
        more = " …" if len(knowledge.customers) > 20 else ""
        raise click.UsageError(f"no customer {customer_id!r} (known: {known}{more})")
    return knowledge, storage


@cli.command()
@click.argument("question")
@click.option("--customer", "customer_id", help="Ask as this customer (id in customers.yaml).")
@click.option("--agent", is_flag=True, help="Ask as a partner agent (sees agent-only articles).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def ask(
    ctx: click.Context, question: str, customer_id: str | None, agent: bool, as_json: bool
) -> None:
    """Ask one question and print the answer."""
    from bot.types import Message, Role

    if not customer_id and not agent:
        raise click.UsageError("say who is asking: --customer ID or --agent")
    with clear_errors():
        knowledge, storage = _knowledge_with(settings_of(ctx), customer_id)
        assistant = assistant_with_progress(settings_of(ctx), knowledge, storage=storage)
        reply = assistant.handle(
            Message(
                question,
                channel="cli",
                conversation=f"cli-{uuid.uuid4()}",
                user_id="cli",
                role=Role.AGENT if agent else Role.CUSTOMER,
                customer_id=customer_id,
            )
        )
    if as_json:
        click.echo(json.dumps(reply.to_json(), ensure_ascii=False))
    else:
        _print_reply(reply)


@cli.command()
@click.option("--customer", "customer_id", required=True, help="Chat as this customer.")
@click.pass_context
def chat(ctx: click.Context, customer_id: str) -> None:
    """Chat with the bot as a customer (Ctrl-D or 'exit' to quit)."""
    from bot.locale import translator
    from bot.types import Message

    with clear_errors():
        knowledge, storage = _knowledge_with(settings_of(ctx), customer_id)
        customer = knowledge.customer(customer_id)
        assert customer is not None
        assistant = assistant_with_progress(settings_of(ctx), knowledge, storage=storage)
        conversation = f"cli-{uuid.uuid4()}"
        _print_reply(assistant.welcome(customer.tenant_ids[0] if customer.tenant_ids else None))
        while True:
            try:
                text = click.prompt(click.style("you", bold=True), prompt_suffix="> ")
            except (EOFError, click.Abort):
                click.echo()
                break
            if text.strip().lower() in ("exit", "quit"):
                break
            reply = assistant.handle(
                Message(
                    text,
                    channel="cli",
                    conversation=conversation,
                    user_id="cli",
                    customer_id=customer_id,
                )
            )
            if reply.text or reply.table:
                _print_reply(reply)
            else:
                _ = translator(reply.language)
                click.echo(_("(sent to the agent on your ticket)"))


@cli.command()
@click.option(
    "--days", type=click.IntRange(1), default=30, show_default=True, help="How far back to look."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def unanswered(ctx: click.Context, days: int, as_json: bool) -> None:
    """What the bot could not answer: questions it was not sure of or took for non-billing,
    most asked first, and the answers customers marked unhelpful."""
    from collections import Counter
    from datetime import UTC, datetime, timedelta

    from bot.storage.stores import Storage

    since = datetime.now(UTC) - timedelta(days=days)
    with clear_errors(), Storage.from_url(settings_of(ctx).database) as storage:
        questions = storage.feedback.unanswered(since=since)
        unhelpful = [f for f in storage.feedback.votes(helpful=False) if f.at >= since]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "questions": [q.to_json() for q in questions],
                    "unhelpful": [
                        {"channel": f.channel, "about": f.about, "at": f.at.isoformat()}
                        for f in unhelpful
                    ],
                },
                ensure_ascii=False,
            )
        )
        return

    def same(question: str) -> str:  # case and spacing do not make another question
        return " ".join(question.lower().split())

    asked = Counter(same(q.question) for q in questions)
    latest = {same(q.question): q for q in reversed(questions)}
    click.echo(
        f"{counted(len(questions), 'question', 'questions')} not answered in the last {days} days"
        f"{':' if questions else '.'}"
    )
    for text, count in asked.most_common():
        q = latest[text]
        click.echo(f"{count:4}× {q.question}")
        click.echo(f"       {q.kind}, confidence {q.confidence:.2f}; nearest: {q.nearest or '-'}")
    if unhelpful:
        click.echo(f"{counted(len(unhelpful), 'answer', 'answers')} marked not helpful:")
        for about, count in Counter(f.about for f in unhelpful).most_common():
            click.echo(f"{count:4}× {about or '(no detail)'}")


@cli.command(name="eval")
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL file of {question, gold_paths, in_scope}.",
)
@click.option(
    "--conversations",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL file of conversations (the format of conversations-dev/FORMAT.md).",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The date the bot takes as today (default: each conversation's own, else today).",
)
@click.option(
    "--knowledge",
    "knowledge_dir",
    type=click.Path(path_type=Path),
    help="Knowledge folder to evaluate (default: the configured one).",
)
@click.option(
    "--folds",
    type=click.IntRange(min=2),
    help="With --conversations: also print the figures of K held folds (GroupKFold by "
    "conversation), their mean and spread, beside the whole-set figures.",
)
@click.option(
    "--keep-state",
    is_flag=True,
    help="With --conversations: run them on the configured database (DATABASE_URL) and keep "
    "what they leave (turns, tickets, votes), e.g. to fill it for `billing-bot report`.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def evaluate(
    ctx: click.Context,
    questions: Path | None,
    conversations: Path | None,
    today: Any,
    knowledge_dir: Path | None,
    folds: int | None,
    keep_state: bool,
    as_json: bool,
) -> None:
    """Score retrieval and the bot's decisions on labelled questions (--questions), or run
    scripted conversations and check every turn (--conversations)."""
    if (questions is None) == (conversations is None):
        raise click.UsageError("give one of --questions FILE or --conversations FILE")
    if folds is not None and conversations is None:
        raise click.UsageError("--folds goes with --conversations")
    if keep_state and conversations is None:
        raise click.UsageError("--keep-state goes with --conversations")
    if keep_state and folds is not None:
        # the held folds run every conversation again: the kept database would hold it twice
        raise click.UsageError("--folds runs the conversations again: not with --keep-state")
    settings = settings_of(ctx)
    if knowledge_dir:
        settings = settings.model_copy(update={"knowledge_dir": knowledge_dir})
    day = today.date() if today else None
    if conversations is not None:
        _eval_conversations(settings, conversations, day, as_json, folds, keep_state)
    else:
        assert questions is not None
        _eval_questions(settings, questions, day, as_json)


def _eval_questions(settings: Settings, questions: Path, day: Any, as_json: bool) -> None:
    from datetime import date

    from bot.evaluation.questions import load_questions
    from bot.evaluation.runner import Runner

    with clear_errors():
        labelled = load_questions(questions)
        # evaluating changes nothing served: the runner's database is a throwaway one
        with Runner.scratch(lambda s: assistant_with_progress(settings, storage=s)) as runner:
            report = runner.questions(labelled, day or date.today())
    if as_json:
        click.echo(json.dumps(report))
        return
    for mode in ("lexical", "dense", "hybrid"):
        m = report[mode]
        click.echo(
            f"{mode:8} hit@1 {m['hit@1']:.3f}  hit@5 {m['hit@5']:.3f}  mrr {m['mrr']:.3f}"
            f"  ({m['questions']} answerable questions)"
        )
    languages = ", ".join(f"{lang} {n}" for lang, n in sorted(report["languages"].items()))
    click.echo(f"questions by language: {languages}")
    d = report["decisions"]
    click.echo(
        f"decisions: answered precision {d['answered_precision']:.3f}, coverage "
        f"{d['coverage']:.3f} of answerable, escalation recall {d['escalation_recall']:.3f} "
        f"({d['answered']} of {d['total']} answered)"
    )
    if d["wrong"]:
        click.echo(f"wrong ({len(d['wrong'])}):")
        for wrong in d["wrong"]:
            click.echo(f"  {wrong['question']!r}: {wrong['why']}")


def _eval_conversations(
    settings: Settings,
    path: Path,
    day: Any,
    as_json: bool,
    folds: int | None = None,
    keep_state: bool = False,
) -> None:
    from bot.evaluation.conversations import TurnResult, load_conversations
    from bot.evaluation.folds import fold_of
    from bot.evaluation.runner import Runner
    from bot.evaluation.summary import format_turn

    def show(result: TurnResult) -> None:
        for line in format_turn(result):
            click.echo(line)

    def build(storage: Storage) -> Assistant:
        return assistant_with_progress(settings, storage=storage)

    with clear_errors():
        conversations = load_conversations(path, day)
        if folds is not None:
            fold_of(conversations, folds)  # too many folds fails before the model loads
        # Evaluating changes nothing served (a throwaway database), unless asked to keep
        # what the conversations leave in the configured one (e.g. for `billing-bot report`).
        where = Runner.on(settings.database, build) if keep_state else Runner.scratch(build)
        with where as runner:
            run = runner.conversations(
                conversations, progress=True, on_turn=None if as_json else show
            )
            held = None
            if folds is not None:
                held = runner.held_folds(conversations, folds, progress=True).cross_validated(folds)
    if as_json:
        click.echo(json.dumps(run.to_json(held), ensure_ascii=False))
    else:
        _print_conversations(run, held)


def _print_conversations(run: ConversationRun, held: CrossValidation | None) -> None:
    click.echo("")
    for line in run.summary().lines():
        click.echo(line)
    click.echo("by language, in full:")
    for language, part in run.languages().items():
        click.echo(f"  {language}: {part.brief()}")
    if held is not None:
        click.echo("")
        for line in held.lines():
            click.echo(line)


@cli.command(name="train-gate")
@click.option(
    "--conversations",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL file of labelled conversations, run on the configured folder (repeatable).",
)
@click.option(
    "--questions",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL file of labelled questions, asked of --corpus (repeatable).",
)
@click.option(
    "--out-of-scope",
    "out_of_scope",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL of messages the folder must not answer ({text}), asked of the configured "
    'folder; lines with a validation "split" (val, oos_val) or an "intent" other than '
    '"oos" are left out (repeatable).',
)
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Knowledge folder the --questions are asked of (default: the configured one).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the gate (default: the one the bot ships, bot/answering/gate.json).",
)
@click.pass_context
def train_gate(
    ctx: click.Context,
    conversations: tuple[Path, ...],
    questions: tuple[Path, ...],
    out_of_scope: tuple[Path, ...],
    corpus: Path | None,
    out: Path | None,
) -> None:
    """Fit the answer gate (does the best passage answer?) on labelled conversations and
    questions, and print what it answers of them out of fold beside the threshold rule."""
    from datetime import date

    from bot.answering.gate import SHIPPED, fit, out_of_fold
    from bot.evaluation.conversations import load_conversations
    from bot.evaluation.gate_rows import conversation_rows, question_rows
    from bot.evaluation.questions import load_out_of_scope, load_questions
    from bot.evaluation.runner import Runner

    if not (conversations or questions or out_of_scope):
        raise click.UsageError("give --conversations, --questions or --out-of-scope FILEs")
    settings = settings_of(ctx)
    rows = []
    with clear_errors():
        if conversations or out_of_scope:
            with Runner.scratch(lambda s: assistant_with_progress(settings, storage=s)) as runner:
                assistant = runner.assistant
                for path in conversations:
                    labelled = load_conversations(path)
                    rows += conversation_rows(
                        assistant.answerer,
                        lambda c: runner.turns(c, run="train"),
                        labelled,
                        _named(path),
                    )
                for path in out_of_scope:
                    rows += question_rows(
                        assistant.answerer,
                        load_out_of_scope(path),
                        date.today(),
                        assistant.detector.language_of,
                        _named(path),
                    )
        if questions:
            asked = settings.model_copy(update={"knowledge_dir": corpus}) if corpus else settings
            with Runner.scratch(lambda s: assistant_with_progress(asked, storage=s)) as runner:
                assistant = runner.assistant
                for path in questions:
                    rows += question_rows(
                        assistant.answerer,
                        load_questions(path),
                        date.today(),
                        assistant.detector.language_of,
                        _named(path),
                    )
        gate = fit(rows)
        target = out or SHIPPED
        gate.save(target)
    _print_gate_fit(rows, out_of_fold(rows))
    click.echo(f"written to {target}")


def _named(path: Path) -> str:
    """A labelled file's name with its folder: both development sets are conversations.jsonl."""
    return f"{path.parent.name}/{path.name}"


def _print_gate_fit(rows: list[Row], held: list[float]) -> None:
    """Per source: the rows, those right to answer, and what the gate and the threshold rule
    answer of them (the gate's out of fold), right over answered."""
    from bot.answering.gate import POINT

    click.echo("source: rows (right to answer) | gate out of fold: right/answered | rule")
    for source in sorted({row.source for row in rows}):
        mine = [(row, p) for row, p in zip(rows, held, strict=True) if row.source == source]
        right = sum(row.right for row, _p in mine)
        gate = [row.right for row, p in mine if p >= POINT]
        rule = [row.right for row, _p in mine if row.signals.above_rule >= 0]
        click.echo(
            f"  {source}: {len(mine)} ({right}) | {sum(gate)}/{len(gate)} | {sum(rule)}/{len(rule)}"
        )


def main() -> None:
    cli(prog_name="billing-bot")


if __name__ == "__main__":
    main()
