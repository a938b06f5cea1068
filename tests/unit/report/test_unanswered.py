"""Unanswered questions grouped by meaning, counted, with their nearest article, and shown
with contact details masked."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from report_script import START

from bot.report.unanswered import unanswered_groups
from bot.types import ReplyKind


class Topics:
    """An embedder twin that places texts by a keyword: the same keyword, the same meaning."""

    name = "topics"

    def embed(self, texts):
        rows = []
        for text in texts:
            vector = np.zeros(3, dtype=np.float32)
            vector[0 if "crypto" in text or "bitcoin" in text else 1 if "pdf" in text else 2] = 1
            rows.append(vector)
        return np.array(rows)


def note(storage, question: str, nearest: str | None = None) -> None:
    with storage.db.write() as session:
        storage.feedback.unanswered_in(
            session,
            channel="teams",
            customer_id="adatum",
            kind=ReplyKind.NOT_SURE,
            question=question,
            confidence=0.2,
            nearest=nearest,
        )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_questions_of_one_meaning_are_one_group_with_its_nearest_article(storage):
    note(storage, "Can I pay in bitcoin?", "articles/payment-methods-and-terms.md › Methods")
    note(storage, "can i pay in bitcoin?", "articles/payment-methods-and-terms.md › Methods")
    note(storage, "Do you take crypto?", None)
    note(storage, "Where is the PDF of my contract?", "articles/invoice-schedule.md › Copies")
    with storage.db.engine.connect() as conn:
        total, groups = unanswered_groups(
            conn, Topics(), START - timedelta(days=1), START + timedelta(days=1)
        )
    assert total == 4
    assert [(g.asked, g.wordings) for g in groups] == [(3, 2), (1, 1)]
    assert groups[0].nearest == "articles/payment-methods-and-terms.md › Methods"
    assert groups[1].nearest == "articles/invoice-schedule.md › Copies"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_contact_details_are_masked(storage):
    note(storage, "call me on +31 20 123 4567 or mail ana@fabrikam.example about crypto")
    with storage.db.engine.connect() as conn:
        _total, (group,) = unanswered_groups(
            conn, Topics(), START - timedelta(days=1), START + timedelta(days=1)
        )
    assert group.question == "call me on [phone] or mail [e-mail] about crypto"
