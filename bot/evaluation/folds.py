"""`eval --conversations --folds K`: the figures of K held folds (GroupKFold by conversation),
their mean and spread, beside the whole-set figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.errors import BotError
from bot.evaluation.conversations import Conversation, TurnResult
from bot.evaluation.summary import Summary, Tally

# What `--folds` can and cannot say. Each held fold is run by a bot whose answer gate was fit
# again without the fold's conversations (bot/answering/gate.py ships the rows it was fit on):
# the gap between the whole-set figure and the held folds' mean is its over-fitting. The
# intent classifier learns from examples/<language>.yaml and escalation.yaml, not from the
# conversations, and the dialogue rules' few constants (answering/decide.py) were set by
# hand: those are the same in every fold, so a set never tuned against (conversations-dev2
# for the first set) remains the better estimate of them.
FOLDS_NOTE = (
    "each held fold is answered by a gate fit without its conversations; intents learn from "
    "the examples YAML and escalation.yaml, and the dialogue rules' constants were set by "
    "hand (the same in every fold): a set never tuned against is the better estimate of those"
)


def fold_of(conversations: Sequence[Conversation], folds: int) -> list[int]:
    """The held fold of each conversation: scikit-learn's GroupKFold over turns, grouped by
    conversation (a conversation never sits on both sides), so folds hold about as many turns."""
    from sklearn.model_selection import GroupKFold

    if not 2 <= folds <= len(conversations):
        raise BotError(f"--folds {folds}: needs 2 to {len(conversations)} (the conversations)")
    groups = [n for n, c in enumerate(conversations) for _ in c.turns]
    held = [0] * len(conversations)
    splitter = GroupKFold(n_splits=folds)
    for fold, (_, test) in enumerate(splitter.split(groups, groups=groups)):
        for index in test:
            held[groups[index]] = fold
    return held


@dataclass(slots=True)
class CrossValidation:
    """The figures of each held fold, and their mean and standard deviation."""

    folds: list[Summary]

    @staticmethod
    def of(
        conversations: Sequence[Conversation],
        results: Sequence[Sequence[TurnResult]],
        folds: int,
    ) -> CrossValidation:
        """`results[i]` are the turns of `conversations[i]`."""
        held = fold_of(conversations, folds)
        summaries = [Summary() for _ in range(folds)]
        for fold, conversation in zip(held, results, strict=True):
            summaries[fold].add_conversation(conversation)
        return CrossValidation(summaries)

    def rates(self) -> dict[str, list[float]]:
        """Per fold: the share of turns passed (all, by language group, follow-ups), of
        answerable turns declined and of turns that opened a ticket nobody expected."""

        def share(passed: int, total: int) -> float:
            return passed / total if total else float("nan")

        out: dict[str, list[float]] = {}
        for s in self.folds:
            other = [t for k, t in s.by_language.items() if k not in ("en", "es")]
            values = {
                "turns": share(s.turns.passed, s.turns.total),
                "en": share(*_tally(s.by_language.get("en"))),
                "es": share(*_tally(s.by_language.get("es"))),
                "other": share(sum(t.passed for t in other), sum(t.total for t in other)),
                "follow_ups": share(s.follow_ups.passed, s.follow_ups.total),
                "answerable_declined": share(s.answerable_declined, s.answerable),
                "unexpected_tickets": share(s.unexpected_tickets, s.turns.total),
            }
            for key, value in values.items():
                out.setdefault(key, []).append(value)
        return out

    def to_json(self) -> dict[str, Any]:
        rates = self.rates()
        return {
            "folds": len(self.folds),
            "note": FOLDS_NOTE,
            "per_fold": [s.to_json() for s in self.folds],
            "mean": {k: _number(_mean_sd(v)[0]) for k, v in rates.items()},
            "sd": {k: _number(_mean_sd(v)[1]) for k, v in rates.items()},
        }

    def lines(self) -> list[str]:
        out = [f"cross-validated ({len(self.folds)} held folds, GroupKFold by conversation):"]
        for n, s in enumerate(self.folds, 1):
            out.append(f"  fold {n} ({s.conversations.total} conversations): {s.brief()}")
        for key, values in self.rates().items():
            mean, sd = _mean_sd(values)
            if mean != mean:  # NaN: no fold had such turns
                out.append(f"  {key:20} no such turns")
                continue
            per_fold = " ".join("-" if v != v else f"{v:.0%}" for v in values)
            out.append(f"  {key:20} mean {mean:.1%} ± {sd:.1%}  (folds: {per_fold})")
        out.append(f"  note: {FOLDS_NOTE}")
        return out


def _number(value: float) -> float | None:
    return None if value != value else round(value, 4)  # NaN (no such turns) is not JSON


def _tally(tally: Tally | None) -> tuple[int, int]:
    return (tally.passed, tally.total) if tally else (0, 0)


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation over the folds that had such turns."""
    present = [v for v in values if v == v]
    if not present:
        return float("nan"), float("nan")
    mean = sum(present) / len(present)
    if len(present) < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in present) / (len(present) - 1)
    return mean, variance**0.5
