"""Each outcome's definition (bot/report/outcomes.py), a test named after it, on SQLite and
PostgreSQL, with the clock pinned and moved by hand."""

from __future__ import annotations

from datetime import timedelta

from report_script import ARTICLES, HOURS, START, Script, report_of

from bot.reasons import Reason
from bot.report.figures import UNSTATED, gather
from bot.report.outcomes import NotServed, Outcome
from bot.retrieval.embedder import HashingEmbedder
from bot.storage.stores import Storage


def outcomes(storage: Storage, **kwargs: object) -> dict[Outcome, int]:
    report = report_of(storage, **kwargs)  # type: ignore[arg-type]
    return {o: report.total.count(o) for o in Outcome if report.total.count(o)}


# --- confirmed resolved --------------------------------------------------------------------


def test_confirmed_the_customer_said_the_answer_solved_it(storage, script: Script):
    script.answered().solved()
    assert outcomes(storage) == {Outcome.CONFIRMED: 1}


def test_confirmed_by_a_thumbs_up_on_the_answer(storage, script: Script):
    script.looked_up().thumbs(up=True)
    assert outcomes(storage) == {Outcome.CONFIRMED: 1}


def test_confirmed_only_when_no_ticket_followed_within_7_days(storage, script: Script):
    script.answered().solved().wait(24 * 6)
    script.conversation = "conv-2"  # the same customer, another chat: still a ticket after
    script.escalated()
    report = report_of(storage)
    assert report.total.count(Outcome.CONFIRMED) == 0
    assert report.total.count(Outcome.AMBIGUOUS) == 1  # the first episode
    assert report.total.count(Outcome.ESCALATED) == 1  # the second


def test_confirmed_needs_an_answer_before_the_thanks(storage, script: Script):
    script.solved().not_sure()  # thanks for nothing, then a question it could not answer
    assert outcomes(storage) == {Outcome.NOT_SERVED: 1}


# --- assumed resolved ----------------------------------------------------------------------


def test_assumed_an_answer_then_silence(storage, script: Script):
    script.answered()
    assert outcomes(storage) == {Outcome.ASSUMED: 1}


def test_assumed_a_polite_thanks_is_not_a_confirmation(storage, script: Script):
    script.answered().thanks()
    assert outcomes(storage) == {Outcome.ASSUMED: 1}


def test_assumed_not_when_the_same_topic_is_asked_again_within_7_days(storage, script: Script):
    script.answered(ARTICLES[0]).wait(24 * 3).answered(ARTICLES[0])
    report = report_of(storage)
    # The first episode was followed by the same question: not assumed; the second was not.
    assert report.total.count(Outcome.ASSUMED) == 1
    assert report.total.count(Outcome.AMBIGUOUS) == 1


def test_assumed_when_another_topic_follows_days_later(storage, script: Script):
    script.answered(ARTICLES[0]).wait(24 * 3).answered(ARTICLES[1])
    assert outcomes(storage) == {Outcome.ASSUMED: 2}


def test_assumed_not_when_a_ticket_followed_within_7_days(storage, script: Script):
    script.looked_up().wait(24 * 2).escalated()
    assert outcomes(storage) == {Outcome.AMBIGUOUS: 1, Outcome.ESCALATED: 1}


def test_assumed_when_the_ticket_came_after_the_7_days(storage, script: Script):
    script.looked_up().wait(24 * 8).escalated()
    assert outcomes(storage) == {Outcome.ASSUMED: 1, Outcome.ESCALATED: 1}


def test_assumed_never_added_to_the_headline(storage, script: Script):
    script.answered().solved()
    script.conversation, script.customer = "conv-2", "adatum"
    script.answered()
    report = report_of(storage)
    assert report.total.rate(Outcome.CONFIRMED) == 0.5
    assert report.total.rate(Outcome.ASSUMED) == 0.5
    headline = report.to_json()["headline"]
    assert headline == {"confirmed_rate": 0.5, "assumed_rate": 0.5}


# --- ambiguous -----------------------------------------------------------------------------


def test_ambiguous_the_customer_left_mid_way(storage, script: Script):
    script.answered().not_sure().wait(1).no_thanks()
    # An answer, then a question it could not answer: it never got an answer nor a ticket.
    assert outcomes(storage) == {Outcome.AMBIGUOUS: 1}


def test_ambiguous_something_unrelated_asked_next(storage, script: Script):
    script.looked_up().out_of_scope()
    assert outcomes(storage) == {Outcome.AMBIGUOUS: 1}


def test_ambiguous_a_thumbs_down_on_the_answer(storage, script: Script):
    script.answered().thumbs(up=False)
    assert outcomes(storage) == {Outcome.AMBIGUOUS: 1}


# --- escalated -----------------------------------------------------------------------------


def test_escalated_by_category_and_route(storage, script: Script):
    script.escalated("billing_dispute", "partner_billing")
    script.conversation, script.customer = "conv-2", "adatum"
    script.escalated("microsoft_commercial", "microsoft_commercial")
    script.conversation, script.customer = "conv-3", "contoso"
    script.escalated("microsoft_technical", "microsoft_technical")
    report = report_of(storage)
    assert report.total.count(Outcome.ESCALATED) == 3
    assert sorted(report.escalated) == [
        ("microsoft_commercial", "microsoft_commercial", 1),
        ("microsoft_technical", "microsoft_technical", 1),
        ("partner_billing", "billing_dispute", 1),
    ]


def test_escalated_agents_times_are_in_business_hours(storage, script: Script, clock):
    # Opened Monday 10:00 Amsterdam; first reply 2 h later; resolved Tuesday 10:00 (24 h
    # later by the clock, 10 business hours: Monday 10-18, Tuesday 8-10).
    script.escalated().agent_replies(after_hours=2).resolved(after_hours=22)
    (times,) = report_of(storage).agents
    assert times.route == "partner_billing" and times.tickets == 1
    # (the reply and resolution come a minute after the turn that opened the ticket)
    assert round(times.first_reply.median or 0, 1) == 2.0
    assert round(times.resolve.median or 0, 1) == 10.0


def test_escalated_an_episode_ends_when_its_ticket_is_resolved(storage, script: Script):
    script.escalated().resolved(after_hours=1).wait(1).answered()
    # The answer after the resolution is an episode of its own.
    assert outcomes(storage) == {Outcome.ESCALATED: 1, Outcome.ASSUMED: 1}


# --- not served ----------------------------------------------------------------------------


def test_not_served_declined(storage, script: Script):
    script.not_sure().no_thanks()
    report = report_of(storage)
    assert report.total.count(Outcome.NOT_SERVED) == 1
    assert report.not_served == {NotServed.DECLINED: 1}


def test_not_served_not_sure_and_not_accepted(storage, script: Script):
    script.not_sure()
    report = report_of(storage)
    assert report.not_served == {NotServed.NOT_SURE: 1}


def test_not_served_out_of_scope(storage, script: Script):
    script.out_of_scope()
    report = report_of(storage)
    assert report.not_served == {NotServed.OUT_OF_SCOPE: 1}


def test_not_served_ends_in_a_ticket_when_the_offer_is_accepted(storage, script: Script):
    script.not_sure().escalated()
    assert outcomes(storage) == {Outcome.ESCALATED: 1}


# --- episodes ------------------------------------------------------------------------------


def test_an_episode_ends_after_24_hours_of_silence(storage, script: Script):
    script.answered().wait(23).answered(ARTICLES[1])  # one episode: 23 h
    script.wait(25).looked_up()  # a second one
    report = report_of(storage)
    assert report.total.total == 2


def test_greetings_alone_make_no_episode(storage, script: Script):
    script.thanks()
    assert report_of(storage).total.total == 0


def test_outcomes_less_than_7_days_old_are_provisional(storage, script: Script, clock):
    script.answered()
    report = report_of(storage, now=clock.now + timedelta(days=3))
    assert report.total.count(Outcome.ASSUMED) == 1
    assert report.total.provisional == 1
    assert report_of(storage).total.provisional == 0


def test_episodes_are_counted_in_the_week_they_started(storage, script: Script):
    script.answered().wait(24 * 7).answered(ARTICLES[1])
    weeks = [week for week, _tally in report_of(storage).weeks]
    assert weeks == [START.date().isoformat(), (START + timedelta(days=7)).date().isoformat()]


def test_by_language_and_by_topic(storage, script: Script):
    script.answered(ARTICLES[0], language="es")
    script.conversation, script.customer = "conv-2", "adatum"
    script.looked_up("invoice.balance")
    report = report_of(storage)
    assert {lang: t.total for lang, t in report.by_language} == {"es": 1, "en": 1}
    assert {topic: t.total for topic, t in report.by_topic} == {
        ARTICLES[0]: 1,
        "invoice.balance": 1,
    }


def test_articles_cited_and_never_cited(storage, script: Script):
    script.answered(ARTICLES[0]).answered(ARTICLES[0])
    report = report_of(storage)
    assert report.cited == [(ARTICLES[0], 2)]
    assert report.never_cited == [ARTICLES[1]]


def test_votes_per_week_and_what_the_thumbs_down_were_about(storage, script: Script):
    script.answered().thumbs(up=True).answered(ARTICLES[1]).thumbs(up=False, about=ARTICLES[1])
    report = report_of(storage)
    assert report.votes == [(START.date().isoformat(), 1, 1)]
    assert report.unhelpful == [(ARTICLES[1], 1)]


def test_thumbs_down_are_counted_by_reason_every_reason_shown(storage, script: Script):
    script.answered().thumbs(up=False, reason=Reason.WRONG).answered(ARTICLES[1])
    script.thumbs(up=False, reason=Reason.WRONG).thumbs(up=False, reason=Reason.FIGURES)
    script.thumbs(up=False).thumbs(up=True)  # no reason given; a 👍 has none

    reasons = report_of(storage).reasons

    assert reasons == {
        "wrong": 2,
        "misunderstood": 0,
        "incomplete": 0,
        "figures": 1,
        "other": 0,
        UNSTATED: 1,
    }


def test_thumbs_down_outside_the_period_are_not_counted_by_reason(storage, script: Script):
    script.answered().thumbs(up=False, reason=Reason.INCOMPLETE)
    later = START + timedelta(days=1)
    after = gather(
        storage.db,
        since=later,
        until=later + timedelta(days=7),
        hours=HOURS,
        articles=ARTICLES,
        embedder=HashingEmbedder(),
    )
    assert sum(after.reasons.values()) == 0


def test_before_since_is_left_out(storage, script: Script):
    script.answered()
    report = report_of(storage)
    later = START + timedelta(days=1)
    after = gather(
        storage.db,
        since=later,
        until=later + timedelta(days=7),
        hours=HOURS,
        articles=ARTICLES,
        embedder=HashingEmbedder(),
    )
    assert report.total.total == 1 and after.total.total == 0
