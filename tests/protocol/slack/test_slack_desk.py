"""The agents' desk over real HTTP: Claim / Wait on customer / Release / Resolve / Change
category buttons, `/billing`, and the App Home queue."""

from __future__ import annotations

import json

from slack_desk import AGENT, eventually

from adapters.slack.blocks import CATEGORY, CLAIM, RELEASE, RESOLVE, WAIT


async def test_claim_assigns_the_ticket_and_the_post_follows(desk):
    ticket = await desk.posted(await desk.open_ticket())
    answer = await desk.click(
        {"action_id": CLAIM, "type": "button", "value": ticket.number}, ticket
    )
    assert answer.status == 200
    claimed = await eventually(lambda: (t := desk.store.get(ticket.number)).assignee and t)
    assert (claimed.status, claimed.assignee) == ("claimed", "Maeve")
    update = await eventually(lambda: desk.slack.called("chat.update"))
    assert update[-1]["ts"] == ticket.thread
    assert "Maeve" in json.dumps(update[-1]["blocks"])


async def test_claiming_a_claimed_ticket_tells_only_that_agent_why_not(desk):
    ticket = await desk.posted(await desk.open_ticket())
    with desk.store.database.write() as session:
        desk.store.claim_in(session, ticket.number, "Tomas")
    await desk.click({"action_id": CLAIM, "type": "button", "value": ticket.number}, ticket)
    [note] = await eventually(lambda: desk.slack.called("chat.postEphemeral"))
    assert note["user"] == AGENT
    assert "assigned to Tomas" in note["text"]
    assert desk.store.get(ticket.number).assignee == "Tomas"


async def test_a_claimed_ticket_can_wait_on_the_customer_or_go_back_to_the_queue(desk):
    ticket = await desk.posted(await desk.open_ticket())
    with desk.store.database.write() as session:
        desk.store.claim_in(session, ticket.number, "Maeve")

    def buttons() -> list[str]:
        updates = desk.slack.called("chat.update")
        blocks = updates[-1]["blocks"] if updates else []
        return [e["action_id"] for b in blocks for e in b.get("elements", []) if "action_id" in e]

    await eventually(lambda: WAIT in buttons())
    assert RELEASE in buttons() and CLAIM not in buttons()

    await desk.click({"action_id": WAIT, "type": "button", "value": ticket.number}, ticket)
    await eventually(lambda: desk.store.get(ticket.number).status == "waiting_on_customer")
    with desk.store.database.write() as session:
        desk.store.add_customer_message_in(session, ticket.number, "Here is the PO number: 4711")
    assert desk.store.get(ticket.number).status == "claimed"  # back to its agent
    await desk.click({"action_id": RELEASE, "type": "button", "value": ticket.number}, ticket)
    released = await eventually(lambda: (t := desk.store.get(ticket.number)).status == "open" and t)
    assert released.assignee is None


async def test_resolve_closes_the_ticket_and_asks_the_customer(desk):
    ticket = await desk.posted(await desk.open_ticket())
    await desk.click({"action_id": RESOLVE, "type": "button", "value": ticket.number}, ticket)
    await eventually(lambda: desk.store.get(ticket.number).status == "resolved")
    sent = await eventually(lambda: desk.bot.cloud.sent(desk.bot.user().conversation))
    assert ticket.number in json.dumps(sent[-1].body)


async def test_a_click_delivered_twice_takes_effect_once(desk):
    ticket = await desk.posted(await desk.open_ticket())
    resolve = {"action_id": RESOLVE, "type": "button", "value": ticket.number}

    first = await desk.click(resolve, ticket, trigger_id="1111.2222.resolve")
    again = await desk.click(resolve, ticket, trigger_id="1111.2222.resolve")  # the same click

    assert (first.status, again.status) == (200, 200)
    assert desk.store.get(ticket.number).status == "resolved"  # done before the answer
    moves = [e for e in desk.store.events(ticket.number) if e.kind == "status"]
    assert len(moves) == 1
    assert desk.slack.called("chat.postEphemeral") == []  # no "already resolved" refusal
    [told] = await eventually(lambda: desk.bot.cloud.sent(desk.bot.user().conversation))
    assert ticket.number in json.dumps(told.body)


async def test_change_category_moves_the_ticket_to_the_categorys_route(desk):
    ticket = await desk.posted(await desk.open_ticket())
    categories = desk.bot.assistant.knowledge.rules.categories
    other = next(c for c in categories if c.id != ticket.category)
    await desk.click(
        {
            "action_id": CATEGORY,
            "type": "static_select",
            "selected_option": {
                "value": f"{ticket.number}|{other.id}",
                "text": {"type": "plain_text", "text": other.name},
            },
        },
        ticket,
    )
    moved = await eventually(
        lambda: (t := desk.store.get(ticket.number)).category == other.id and t
    )
    assert moved.route == other.route


async def test_billing_ask_answers_with_agent_articles_included(desk):
    answer = await desk.command("ask When should I escalate to Microsoft?")
    assert answer.status == 200
    [(name, reply)] = await eventually(lambda: desk.slack.responses)
    assert name == "cmd" and reply["response_type"] == "ephemeral"
    text = json.dumps(reply["blocks"])
    assert "articles/agent-escalating-to-microsoft.md" in text  # an agent-only article
    assert "answer" in text and "confidence" in text


async def test_billing_customer_shows_status_balance_overdue_and_tickets(desk):
    ticket = await desk.open_ticket()
    await desk.command("customer Contoso")
    [(_, reply)] = await eventually(lambda: desk.slack.responses)
    text = json.dumps(reply["blocks"])
    customer = desk.bot.assistant.knowledge.customer("contoso")
    assert customer.name in text and customer.account_status in text
    assert "Open balance" in text
    assert ticket.number in text


async def test_billing_customer_names_what_it_could_not_find(desk):
    await desk.command("customer Fabrikam Nonexistent Ltd")
    [(_, reply)] = await eventually(lambda: desk.slack.responses)
    assert "No customer matches `Fabrikam Nonexistent Ltd`" in json.dumps(reply["blocks"])


async def test_billing_ticket_shows_one_ticket_and_refuses_unknown_ones(desk):
    ticket = await desk.open_ticket()
    await desk.command(f"ticket {ticket.number}", name="known")
    await desk.command("ticket BILL-999999", name="unknown")
    both = await eventually(lambda: len(desk.slack.responses) == 2 and desk.slack.responses)
    replies = dict(both)
    assert ticket.number in json.dumps(replies["known"]["blocks"])
    assert "no ticket BILL-999999" in json.dumps(replies["unknown"]["blocks"])


async def test_billing_without_a_verb_explains_itself(desk):
    await desk.command("")
    [(_, reply)] = await eventually(lambda: desk.slack.responses)
    assert "/billing ask QUESTION" in json.dumps(reply["blocks"])


async def test_app_home_shows_the_agents_queue(desk):
    waiting_long = await desk.open_ticket("First question")
    mine = await desk.open_ticket("Second question", conversation="a:1contoso-second-chat")
    with desk.store.database.write() as session:
        desk.store.claim_in(session, mine.number, "Maeve")
    answer = await desk.event(
        {"type": "app_home_opened", "user": AGENT, "channel": "D0AGENT01", "tab": "home"}
    )
    assert answer.status == 200
    [published] = await eventually(lambda: desk.slack.called("views.publish"))
    assert published["user_id"] == AGENT
    view = published["view"]
    assert view["type"] == "home"
    text = json.dumps(view["blocks"])
    assert "*1* open" in text and "*1* mine" in text and "*0* waiting on customer" in text
    assert waiting_long.number in text and mine.number in text
    assert "oldest open: 0 min" in text
