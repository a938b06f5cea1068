"""What a loaded knowledge folder means for customers, in plain words: for `check`, for
`serve`'s refusal to start, and for the log when the folder is reloaded."""

from __future__ import annotations

from bot.errors import KnowledgeError
from bot.knowledge.folder import Knowledge
from bot.locale.formats import counted


def counts(knowledge: Knowledge) -> str:
    errors = len(knowledge.errors)
    warnings = len(knowledge.problems) - errors
    return (
        f"{len(knowledge.passages)} passages, {len(knowledge.customers)} customers, "
        f"{len(knowledge.invoices)} invoices, {len(knowledge.rules.categories)} escalation "
        f"categories; {counted(errors, 'error', 'errors')}, "
        f"{counted(warnings, 'warning', 'warnings')}"
    )


def consequences(knowledge: Knowledge) -> list[str]:
    """One sentence per thing customers would notice, worst first."""
    said: list[str] = []
    if knowledge.fatal:
        said.append(
            f"{counted(len(knowledge.fatal), 'fatal problem', 'fatal problems')}: "
            "`billing-bot serve` will not start "
            "(and a running server keeps its last good copy) until they are fixed"
        )
    if not knowledge.customers:
        said.append("0 customers loaded: every customer will be refused")
    for invoice in knowledge.withheld:
        whose = ", ".join(sorted(invoice.customer_ids)) or "no known customer"
        where = ", ".join(f"{p.path}:{p.line}" for p in invoice.reasons)
        said.append(
            f"invoice {invoice.number} ({whose}) is withheld from customers until {where} "
            "is fixed; they are told it cannot be shown right now"
        )
    return said


def require_servable(knowledge: Knowledge) -> Knowledge:
    """The folder itself, or `KnowledgeError` naming its fatal problems: serving it would
    mislead customers."""
    if knowledge.fatal:
        root = knowledge.root.as_posix().rstrip("/")
        lines = [f"  {root}/{problem}" for problem in knowledge.fatal]
        raise KnowledgeError(
            "the knowledge folder cannot be served:\n"
            + "\n".join(lines)
            + f"\nRun `billing-bot check {root}` for every problem."
        )
    return knowledge
