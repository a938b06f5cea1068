"""Parts: a message is split into its questions only where a new question visibly starts."""

import pytest

from bot.understanding.parts import MOST, questions


@pytest.mark.parametrize(
    ("text", "language", "parts"),
    [
        # "and" before a question of its own
        ("when is it due and can I pay by card?", "en", ("when is it due", "can I pay by card?")),
        ("¿cuánto debo y cuándo vence?", "es", ("¿cuánto debo", "cuándo vence?")),
        # question marks, with or without a joining word after them
        ("when is it due? can I pay by card?", "en", ("when is it due?", "can I pay by card?")),
        ("¿cuánto debemos? ¿y cuándo vence?", "es", ("¿cuánto debemos?", "¿y cuándo vence?")),
        # a comma before another question
        (
            "what is the copilot line, is it charged every month?",
            "en",
            ("what is the copilot line", "is it charged every month?"),
        ),
        # joints that only join questions
        (
            "is my invoice paid; what is the late fee",
            "en",
            ("is my invoice paid", "what is the late fee"),
        ),
        (
            "¿cuál es el saldo y además cómo pago con tarjeta?",
            "es",
            ("¿cuál es el saldo", "cómo pago con tarjeta?"),
        ),
        # a request listing its objects
        (
            "could you send me the latest invoice and also your postal address",
            "en",
            ("could you send me the latest invoice", "your postal address"),
        ),
        (
            "¿podéis mandarme la última factura y además vuestro horario?",
            "es",
            ("¿podéis mandarme la última factura", "vuestro horario?"),
        ),
        # a heading that announces the questions is not one of them
        (
            "two questions: what do we owe, and when is it due",
            "en",
            ("what do we owe", "when is it due"),
        ),
        # greetings before the first question do not stop the split
        ("hola, cuanto debemos y cuando vence", "es", ("hola, cuanto debemos", "cuando vence")),
        # other languages: at question marks only
        ("Was kostet das? Wann ist es fällig?", "de", ("Was kostet das?", "Wann ist es fällig?")),
    ],
)
def test_a_message_of_two_questions_gives_both(text, language, parts):
    assert questions(text, language) == parts


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # one question joining two things
        ("can we pay by card and by bank transfer?", "en"),
        ("what is the difference between E3 and E5?", "en"),
        ("how and when can I pay", "en"),
        ("do you take visa and mastercard?", "en"),
        ("¿puedo pagar con tarjeta y también con transferencia?", "es"),
        ("¿cuál es la diferencia entre Business Standard y Business Premium?", "es"),
        # an auxiliary that continues the question rather than opening one
        ("what do I do if the invoice is wrong and can't be paid", "en"),
        # a statement before "and" is not a question to split off
        ("we removed three seats and can you tell me why they are billed", "en"),
        # a remark after the question mark belongs to the question
        ("can you check NW-2026-0477? it looks wrong to me", "en"),
        # a condition before the comma
        ("if we pay a week late, what happens?", "en"),
        # a single word before the joint is no question
        ("hi, when is it due?", "en"),
        # invoice numbers, amounts and dates are never cut
        ("is NW-2026-0521 for 1,224.46 due on 2.12.2026?", "en"),
        ("¿la factura NW-2026-0521 de 1.224,46 vence el 2/12/2026?", "es"),
    ],
)
def test_a_single_question_stays_whole(text, language):
    assert questions(text, language) == (text,)


def test_numbers_and_dates_stay_inside_their_part():
    parts = questions("is NW-2026-0521 due on 2.12.2026 and is the 1,224.46 line included?")
    assert parts == ("is NW-2026-0521 due on 2.12.2026", "is the 1,224.46 line included?")


def test_a_message_of_many_questions_stays_whole():
    text = "; ".join(f"what is item {n}" for n in range(MOST + 1))
    assert questions(text) == (text,)
