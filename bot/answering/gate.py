"""The answer gate: does the passage retrieval found answer the question?

A logistic regression over what `decide` measured of the question and of its best passage
(`Signals`) gives the probability that answering from that passage is right; the gate
answers when that is likelier than not.

The model is learned from labelled turns and questions (`bot.evaluation.gate_rows`,
`billing-bot train-gate`), not set by reading failing turns. The rows it was fit on ship
with it (`gate.json`), so `eval --folds` can fit it again without the held conversations and
measure what it does on them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.errors import BotError

SHIPPED = Path(__file__).with_name("gate.json")
# What the model weighs, of all the signals the rows keep: the threshold rule's margin, how
# far the passage leads the next article, and how sure the classifier is that it is a policy
# question. Compared out of fold (grouped by conversation) with every signal and with two
# larger subsets, on both development sets and both question files: the fewest signals
# answered as many turns right with no fewer right per answer, and on every source.
FEATURES = ("above_rule", "lead", "policy")
# Answer when answering is likelier right than wrong: a wrong answer costs the customer as
# much as a needless "not sure" costs them a wait for a person (both fail the turn).
POINT = 0.5
# The model's regularisation (scikit-learn's C).
STRENGTH = 0.3
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Signals:
    """What `decide` knows when it must choose between answering from its best passage and
    saying it is not sure. Each field is one feature of the gate's model."""

    confidence: float  # meaning and words agreeing (`confidence_of` / `confidence_across`)
    similarity: float  # the passage's cosine similarity to the question
    coverage: float  # the share of the question's words the passage uses
    above_rule: float  # confidence less the threshold the folder's settings name
    lead: float  # how far the passage's similarity leads the best of another article
    policy: float  # the intent classifier's probability of a policy question
    not_billing: float  # ... of a message that is not about billing
    request: float  # ... of any request a person takes (every escalation category)
    lookup: float  # ... of any look-up of the customer's invoices
    unknown: float  # the share of the message's words the folder never uses
    words: float  # log(1 + the message's words)
    own: bool  # it names the customer's own invoice or product
    across: bool  # the passage is in another language than the question
    follow_up: bool  # the conversation was about an article
    same_article: bool  # ... and the passage is of that article
    reading: bool  # the message is in a language the bot reads but does not write
    agent: bool  # asked by a partner agent
    no_intent: bool  # the classifier abstained

    @staticmethod
    def names() -> list[str]:
        return [f.name for f in fields(Signals)]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Signals:
        return cls(**{name: raw[name] for name in cls.names()})


class AnswerGate(Protocol):
    def answers(self, signals: Signals, path: str) -> bool:
        """Whether to answer from the passage at `path`, given what was measured of it."""
        ...


class ThresholdRule:
    """The gate without a model: the passage answers when its confidence reaches the
    threshold the folder's settings name (`ANSWER_THRESHOLD` and its kin). What the learned
    gate's rows are collected with, so that they do not depend on an earlier fit."""

    def answers(self, signals: Signals, path: str) -> bool:
        return signals.above_rule >= 0


class Recorder:
    """A gate that asks `inner` and keeps what it was asked: the rows of `train-gate`."""

    def __init__(self, inner: AnswerGate) -> None:
        self.inner = inner
        self.asked: list[tuple[Signals, str]] = []

    def answers(self, signals: Signals, path: str) -> bool:
        self.asked.append((signals, path))
        return self.inner.answers(signals, path)

    def take(self) -> list[tuple[Signals, str]]:
        """What was asked since the last call."""
        asked, self.asked = self.asked, []
        return asked


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled decision: the signals, whether answering was right, the group it belongs
    to (its conversation, or its question), which folds never split, and its source file."""

    signals: Signals
    right: bool
    group: str
    source: str

    def to_json(self) -> dict[str, Any]:
        labels = {"right": self.right, "group": self.group, "source": self.source}
        return {**asdict(self.signals), **labels}

    @staticmethod
    def from_json(raw: dict[str, Any]) -> Row:
        return Row(
            Signals.from_json(raw), bool(raw["right"]), str(raw["group"]), str(raw["source"])
        )


@dataclass(frozen=True, slots=True)
class Gate:
    """A fitted gate: the signals it weighs, their standardisation and weights."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    rows: tuple[Row, ...] = ()  # what it was fit on (for `eval --folds`)

    def probability(self, signals: Signals) -> float:
        x = np.array([float(getattr(signals, name)) for name in self.features])
        z = float(((x - self.mean) / self.scale) @ np.array(self.weights)) + self.intercept
        return 1.0 / (1.0 + math.exp(-z))

    def answers(self, signals: Signals, path: str) -> bool:
        return self.probability(signals) >= POINT

    def without(self, groups: set[str]) -> Gate:
        """The gate fit again on its rows outside `groups` (a held fold's conversations)."""
        return fit([row for row in self.rows if row.group not in groups], self.features)

    # -- files -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "intercept": self.intercept,
            "rows": [row.to_json() for row in self.rows],
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @staticmethod
    def load(path: Path = SHIPPED) -> Gate:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            unknown = set(raw["features"]) - set(Signals.names())
            if unknown:
                raise BotError(
                    f"{path}: weighs signals decide no longer measures ({', '.join(unknown)}); "
                    "fit it again with `billing-bot train-gate`"
                )
            return Gate(
                tuple(raw["features"]),
                tuple(float(v) for v in raw["mean"]),
                tuple(float(v) for v in raw["scale"]),
                tuple(float(v) for v in raw["weights"]),
                float(raw["intercept"]),
                tuple(Row.from_json(r) for r in raw.get("rows", ())),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BotError(f"{path}: not an answer gate ({exc})") from None


def shipped() -> Gate | None:
    """The gate the bot ships; None before one was fit (the threshold rule decides)."""
    return Gate.load(SHIPPED) if SHIPPED.is_file() else None


def _balanced(rows: Sequence[Row]) -> np.ndarray:
    """Each row's weight, so that every source file weighs the same in all: a few real forum
    posts count as much as many chat turns."""
    sources = [row.source for row in rows]
    counts = {source: sources.count(source) for source in set(sources)}
    return np.array([len(rows) / (len(counts) * counts[source]) for source in sources])


def _fitted(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[Any, Any, Any]:
    """The model fit on standardised `x`, with the standardisation."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=STRENGTH, max_iter=2000)
    model.fit((x - mean) / scale, y, sample_weight=weights)
    return model, mean, scale


def _matrix(rows: Sequence[Row], features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[float(getattr(row.signals, f)) for f in features] for row in rows])
    return x, np.array([1 if row.right else 0 for row in rows])


def out_of_fold(rows: Sequence[Row], features: Sequence[str] = FEATURES) -> list[float]:
    """Each row's probability from a gate fit without its group's fold (GroupKFold): what
    `train-gate` reports the gate's precision and coverage with."""
    from sklearn.model_selection import GroupKFold

    x, y = _matrix(rows, features)
    weights, groups = _balanced(rows), [row.group for row in rows]
    held = np.zeros(len(rows))
    for train, test in GroupKFold(n_splits=min(FOLDS, len(set(groups)))).split(x, y, groups):
        if len(set(y[train])) < 2:
            held[test] = y[train].mean()
            continue
        model, mean, scale = _fitted(x[train], y[train], weights[train])
        held[test] = model.predict_proba((x[test] - mean) / scale)[:, 1]
    return [float(p) for p in held]


def fit(rows: Sequence[Row], features: Sequence[str] = FEATURES) -> Gate:
    """The gate fit on `rows`."""
    if len({row.right for row in rows}) < 2:
        raise BotError("the gate needs right and wrong answers among its rows to learn from")
    x, y = _matrix(rows, features)
    model, mean, scale = _fitted(x, y, _balanced(rows))
    return Gate(
        tuple(features),
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in model.coef_[0]),
        float(model.intercept_[0]),
        tuple(rows),
    )
