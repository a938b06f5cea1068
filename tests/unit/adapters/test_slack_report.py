"""The weekly post's Block Kit (adapters/slack/report.py): confirmed and assumed in fields of
their own, never a sum of the two; in the desk's language; within Slack's limits."""

from __future__ import annotations

from adapters.slack.report import report_blocks, report_text

BODY = {
    "week": "2026-11-02",
    "timezone": "Europe/Amsterdam",
    "follow_up_days": 7,
    "total": {
        "episodes": 40,
        "provisional": 12,
        "counts": {"confirmed": 10, "assumed": 14, "ambiguous": 6, "escalated": 8, "not_served": 2},
        "rates": {
            "confirmed": 0.25,
            "assumed": 0.35,
            "ambiguous": 0.15,
            "escalated": 0.2,
            "not_served": 0.05,
        },
    },
    "escalated": [{"route": "partner_billing", "episodes": 8, "name": "Partner billing"}],
    "not_served": {"declined": 1, "not_sure": 1, "out_of_scope": 0},
    "votes": {"helpful": 9, "unhelpful": 3},
    "unhelpful_reasons": {
        "wrong": 2,
        "misunderstood": 0,
        "incomplete": 0,
        "figures": 0,
        "other": 0,
        "unstated": 1,
    },
}


def every_text(blocks) -> str:
    return repr(blocks)


def test_confirmed_and_assumed_are_shown_apart_never_added():
    blocks = report_blocks(BODY)
    (headline,) = [b for b in blocks if b["type"] == "section" and "fields" in b]
    assert [f["text"] for f in headline["fields"]] == [
        "*Confirmed resolved*: 25% (10)",
        "*Assumed resolved*: 35% (14)",
    ]
    assert "60%" not in every_text(blocks) and "(24)" not in every_text(blocks)
    assert "Partner billing: 8" in every_text(blocks)
    assert "Provisional (less than 7 days old" in every_text(blocks)
    assert report_text(BODY).startswith("Billing bot, week of 2026-11-02: confirmed resolved 25%")


def test_the_post_is_in_the_desks_language():
    blocks = report_blocks(BODY, "es")
    assert blocks[0]["text"]["text"] == "Bot de facturación, semana del 2026-11-02"
    assert "Respuestas valoradas: 9 útiles, 3 no útiles" in every_text(blocks)
    assert "40 episodios" in report_text(BODY, "es")


def test_the_thumbs_down_are_shown_by_reason_in_the_desks_language():
    english, spanish = every_text(report_blocks(BODY)), every_text(report_blocks(BODY, "es"))
    assert "*Thumbs-down on answers, by reason*\\nWrong answer: 2\\nNo reason given: 1" in english
    assert "Respuesta incorrecta: 2" in spanish and "Sin motivo indicado: 1" in spanish
    assert "Not my question" not in english  # a reason nobody gave is left out


def test_a_week_without_a_thumbs_down_or_a_post_queued_before_the_reasons_shows_none():
    quiet = {**BODY, "unhelpful_reasons": dict.fromkeys(BODY["unhelpful_reasons"], 0)}
    older = {k: v for k, v in BODY.items() if k != "unhelpful_reasons"}
    for body in (quiet, older):
        assert "by reason" not in every_text(report_blocks(body))


def test_a_week_without_episodes_or_escalations():
    empty = {
        **BODY,
        "total": {
            "episodes": 0,
            "provisional": 0,
            "counts": dict.fromkeys(BODY["total"]["counts"], 0),
            "rates": dict.fromkeys(BODY["total"]["rates"]),
        },
        "escalated": [],
    }
    blocks = report_blocks(empty)
    assert "*Confirmed resolved*: – (0)" in every_text(blocks)
    assert "by route" not in every_text(blocks)
    assert "0 episodes" in report_text(empty)


def test_within_slacks_block_limits():
    blocks = report_blocks(BODY, "es")
    assert len(blocks[0]["text"]["text"]) <= 150  # a header's plain text
    for block in blocks:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= 3000
        assert len(block.get("fields", [])) <= 10
