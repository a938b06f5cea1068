"""The answer gate: a model learned from labelled rows decides whether the best passage
answers, instead of a threshold set by hand; it ships with its rows so that it can be fit
again without a held fold."""

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering.gate import (
    FEATURES,
    SHIPPED,
    Gate,
    Recorder,
    Row,
    Signals,
    ThresholdRule,
    fit,
    out_of_fold,
    shipped,
)
from bot.errors import BotError

PLAIN = Signals(
    confidence=0.5,
    similarity=0.5,
    coverage=0.5,
    above_rule=0.0,
    lead=0.1,
    policy=0.5,
    not_billing=0.1,
    request=0.1,
    lookup=0.1,
    unknown=0.0,
    words=2.0,
    own=False,
    across=False,
    follow_up=False,
    same_article=False,
    reading=False,
    agent=False,
    no_intent=False,
)


def rows_where_the_margin_decides(n: int = 120, seed: int = 7) -> list[Row]:
    """Rows whose answers are right when the rule's margin is positive (with some noise),
    from two sources of very different sizes."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        margin = rng.uniform(-0.3, 0.3)
        right = (margin > 0) != (rng.random() < 0.1)
        signals = replace(PLAIN, above_rule=margin, lead=rng.uniform(0, 0.2))
        source = "chat.jsonl" if i % 6 else "posts.jsonl"
        rows.append(Row(signals, right, f"c{i // 2}", source))
    return rows


def test_a_fitted_gate_answers_above_the_margin_it_learned_and_not_below():
    gate = fit(rows_where_the_margin_decides())
    assert gate.answers(replace(PLAIN, above_rule=0.25), "a.md")
    assert not gate.answers(replace(PLAIN, above_rule=-0.25), "a.md")
    assert gate.probability(replace(PLAIN, above_rule=0.25)) > 0.8


def test_the_gate_weighs_only_its_features():
    gate = fit(rows_where_the_margin_decides())
    assert gate.features == FEATURES
    other = replace(PLAIN, above_rule=0.2, unknown=1.0, words=9.0, agent=True)
    assert gate.probability(other) == gate.probability(replace(PLAIN, above_rule=0.2))


def test_a_gate_saved_and_loaded_decides_alike_and_keeps_its_rows(tmp_path: Path):
    gate = fit(rows_where_the_margin_decides())
    gate.save(tmp_path / "gate.json")
    loaded = Gate.load(tmp_path / "gate.json")
    for margin in (-0.2, -0.01, 0.01, 0.2):
        signals = replace(PLAIN, above_rule=margin)
        assert loaded.probability(signals) == pytest.approx(gate.probability(signals))
    assert loaded.rows == gate.rows


def test_a_gate_weighing_a_signal_decide_no_longer_measures_is_refused(tmp_path: Path):
    raw = fit(rows_where_the_margin_decides()).to_json()
    raw["features"] = ["above_rule", "moon_phase", "policy"]
    (tmp_path / "gate.json").write_text(json.dumps(raw))
    with pytest.raises(BotError, match=r"gate\.json.*moon_phase.*train-gate"):
        Gate.load(tmp_path / "gate.json")


def test_a_file_that_is_no_gate_is_named_in_the_error(tmp_path: Path):
    (tmp_path / "gate.json").write_text("{}")
    with pytest.raises(BotError, match=r"gate\.json: not an answer gate"):
        Gate.load(tmp_path / "gate.json")


def test_fitting_needs_right_and_wrong_answers():
    rows = [replace(row, right=True) for row in rows_where_the_margin_decides()]
    with pytest.raises(BotError, match="right and wrong"):
        fit(rows)


def test_a_gate_fit_without_a_fold_forgets_its_rows():
    gate = fit(rows_where_the_margin_decides())
    held = {"c0", "c1", "c2"}
    again = gate.without(held)
    assert {row.group for row in again.rows} == {row.group for row in gate.rows} - held


def test_out_of_fold_probabilities_are_one_per_row_and_follow_the_margin():
    rows = rows_where_the_margin_decides()
    held = out_of_fold(rows)
    assert len(held) == len(rows)
    high = [p for row, p in zip(rows, held, strict=True) if row.signals.above_rule > 0.2]
    low = [p for row, p in zip(rows, held, strict=True) if row.signals.above_rule < -0.2]
    assert min(high) > max(low)


def test_the_threshold_rule_answers_at_its_margin():
    rule = ThresholdRule()
    assert rule.answers(replace(PLAIN, above_rule=0.0), "a.md")
    assert not rule.answers(replace(PLAIN, above_rule=-0.01), "a.md")


def test_a_recorder_keeps_what_it_was_asked_and_answers_as_its_gate():
    recorder = Recorder(ThresholdRule())
    assert recorder.answers(replace(PLAIN, above_rule=0.1), "a.md")
    assert not recorder.answers(replace(PLAIN, above_rule=-0.1), "b.md")
    assert [path for _s, path in recorder.take()] == ["a.md", "b.md"]
    assert recorder.take() == []


def test_the_shipped_gate_loads_with_the_rows_it_was_fit_on():
    gate = shipped()
    assert gate is not None and SHIPPED.is_file()
    assert gate.features == FEATURES
    assert {row.right for row in gate.rows} == {True, False}
    # both development sets, both question files and the out-of-scope messages
    assert len({row.source for row in gate.rows}) == 5
