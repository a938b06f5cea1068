"""What a labelled turn or question says about answering from a passage."""

from bot.evaluation.conversations import Expect
from bot.evaluation.gate_rows import right_for_question, right_in_conversation
from bot.evaluation.questions import Question


def test_a_turn_that_accepts_an_answer_is_right_to_answer_from_the_article_it_names():
    expect = Expect(kinds=("answer",), cites="payment-methods")
    assert right_in_conversation(expect, "articles/payment-methods-and-terms.md")
    assert not right_in_conversation(expect, "articles/late-payments-and-suspension.md")


def test_a_turn_that_names_no_article_is_right_to_answer_from_any():
    assert right_in_conversation(Expect(kinds=("invoice", "answer")), "articles/x.md")


def test_a_turn_that_wants_a_ticket_or_a_look_up_is_wrong_to_answer():
    assert not right_in_conversation(Expect(kinds=("escalate",)), "articles/x.md")
    assert not right_in_conversation(Expect(kinds=("invoice",)), "articles/x.md")
    assert not right_in_conversation(Expect(kinds=("not_sure",)), "articles/x.md")


def test_a_question_is_right_to_answer_only_from_its_gold_files():
    question = Question("How do credits work?", ("credits.md",), True)
    assert right_for_question(question, "docs/billing/credits.md")
    assert not right_for_question(question, "docs/billing/invoices.md")
    assert not right_for_question(Question("Weather?", (), False), "docs/billing/credits.md")


def test_a_held_fold_is_answered_by_a_gate_fit_without_its_conversations():
    from datetime import date

    from bot.answering.gate import ThresholdRule, fit
    from bot.evaluation.conversations import Conversation
    from bot.evaluation.gate_rows import held_out
    from bot.types import Role
    from tests.unit.answering.test_gate import rows_where_the_margin_decides

    gate = fit(rows_where_the_margin_decides())
    held = [Conversation("c3", None, Role.CUSTOMER, "en", date(2026, 12, 7), ())]
    refit = held_out(gate, held)
    assert "c3" in {row.group for row in gate.rows}
    assert "c3" not in {row.group for row in refit.rows}
    rule = ThresholdRule()
    assert held_out(rule, held) is rule  # nothing learned: the same gate


def test_out_of_scope_messages_leave_out_validation_lines_and_other_intents(tmp_path):
    import json

    from bot.evaluation.questions import load_out_of_scope

    path = tmp_path / "oos.jsonl"
    lines = [
        {"text": "what is the tallest tree", "intent": "oos", "split": "oos_train"},
        {"text": "is the zoo open today", "intent": "oos", "split": "oos_val"},
        {"text": "what is my bank balance", "intent": "balance", "split": "train"},
        {"text": "tell me a joke"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")

    questions = load_out_of_scope(path)

    assert [q.question for q in questions] == ["what is the tallest tree", "tell me a joke"]
    assert all(not q.in_scope and not q.gold_paths for q in questions)


def test_a_line_that_is_no_message_is_named(tmp_path):
    import pytest

    from bot.errors import BotError
    from bot.evaluation.questions import load_out_of_scope

    path = tmp_path / "oos.jsonl"
    path.write_text('{"text": "fine"}\n{"words": "no text"}\n', encoding="utf-8")
    with pytest.raises(BotError, match=r"oos\.jsonl:2: not a message record"):
        load_out_of_scope(path)


def test_a_questions_line_that_is_no_question_is_named(tmp_path):
    import pytest

    from bot.errors import BotError
    from bot.evaluation.questions import load_questions

    path = tmp_path / "questions.jsonl"
    path.write_text('{"question": "How do I pay?"}\n\n["a list"]\n', encoding="utf-8")
    with pytest.raises(BotError, match=r"questions\.jsonl:3: not a question record"):
        load_questions(path)
