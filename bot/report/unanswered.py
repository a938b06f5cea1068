"""The questions the bot could not answer, grouped by meaning: what to write next.

The database counts each distinct question (case and spacing aside) and keeps the most asked
`DISTINCT_LIMIT`; only those are embedded, and each joins the first group whose first
question is at least `SAME_MEANING` similar (cosine), else starts its own. A group shows its
most asked wording (contact details masked), how often its questions were asked, and the
article nearest to them that the bot found (the most frequent among its questions).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from bot.pii import mask_contact_details
from bot.retrieval.embedder import Embedder
from bot.storage.models import UTCDateTime

DISTINCT_LIMIT = 300
SAME_MEANING = 0.8
SHOWN = 25


@dataclass(slots=True)
class QuestionGroup:
    question: str  # the most asked wording, masked
    asked: int
    nearest: str | None
    wordings: int = 1
    _nearest: Counter[str] = field(default_factory=Counter, repr=False)

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "asked": self.asked,
            "wordings": self.wordings,
            "nearest": self.nearest,
        }


_DISTINCT = """
SELECT LOWER(TRIM(question)) AS q, MIN(question) AS shown, COUNT(*) AS n,
    MAX(nearest) AS nearest
FROM unanswered WHERE at >= :since AND at < :until
GROUP BY LOWER(TRIM(question)) ORDER BY n DESC, q LIMIT :limit"""


def unanswered_groups(
    conn: Connection, embedder: Embedder, since: datetime, until: datetime
) -> tuple[int, list[QuestionGroup]]:
    """(how many questions went unanswered in [since, until), their groups, most asked
    first: at most `SHOWN`)."""
    instant = UTCDateTime()
    total = conn.execute(
        text("SELECT COUNT(*) FROM unanswered WHERE at >= :since AND at < :until").bindparams(
            bindparam("since", type_=instant), bindparam("until", type_=instant)
        ),
        {"since": since, "until": until},
    ).scalar_one()
    rows = conn.execute(
        text(_DISTINCT).bindparams(
            bindparam("since", type_=instant), bindparam("until", type_=instant)
        ),
        {"since": since, "until": until, "limit": DISTINCT_LIMIT},
    ).all()
    if not rows:
        return int(total), []
    vectors = embedder.embed([" ".join(str(r.q).split()) for r in rows])
    groups: list[QuestionGroup] = []
    heads: list[np.ndarray] = []
    for row, vector in zip(rows, vectors, strict=True):
        similar = [float(np.dot(head, vector)) for head in heads]
        best = int(np.argmax(similar)) if similar else -1
        if best >= 0 and similar[best] >= SAME_MEANING:
            group = groups[best]
            group.asked += int(row.n)
            group.wordings += 1
        else:
            group = QuestionGroup(mask_contact_details(str(row.shown)), int(row.n), None)
            groups.append(group)
            heads.append(vector)
        if row.nearest:
            group._nearest[str(row.nearest)] += int(row.n)
    for group in groups:
        group.nearest = group._nearest.most_common(1)[0][0] if group._nearest else None
    groups.sort(key=lambda g: (-g.asked, g.question))
    return int(total), groups[:SHOWN]
