"""A customer in Teams: typed questions, card buttons, install, over real HTTP.

Everything the bot says goes to the fake Bot Connector, where the test reads it back as the
JSON Teams would receive.
"""

from __future__ import annotations

from fakes.cards import buttons, texts
from fakes.harness import BotServer, eventually
from fakes.teams import UNKNOWN_TENANT

CARD = "application/vnd.microsoft.card.adaptive"


async def test_a_question_gets_a_typing_indicator_then_an_answer_card(bot: BotServer) -> None:
    user = bot.user()
    answer = await bot.post(user.message("When is my invoice due?"))

    assert answer.status == 201
    typing, reply = bot.cloud.calls(user.conversation)
    assert typing.type == "typing"
    assert reply.type == "message" and reply.authorized
    card = reply.card
    assert card is not None and card["version"] == "1.5"
    assert "NW-2026-0507" in texts(card)[0]  # the answer comes first
    table = next(e for e in card["body"] if e["type"] == "Table")  # Contoso's invoice
    header = [cell["items"][0]["text"] for cell in table["rows"][0]["cells"]]
    assert header == ["Invoice", "Issued", "Due", "Total", "Status"]
    assert table["rows"][1]["cells"][0]["items"][0]["text"] == "NW-2026-0507"
    assert "Sources" in texts(card)
    assert any("›" in text and ".md)" in text for text in texts(card))  # title › section (path)
    actions = buttons(card)
    assert set(actions) == {"Yes", "No", "Talk to a person"}
    assert actions["Yes"]["data"]["action"] == "feedback" and actions["Yes"]["data"]["helpful"]
    assert actions["Talk to a person"]["data"] == {
        "action": "talk_to_person",
        "question": "When is my invoice due?",
    }


async def test_a_policy_question_cites_its_sources(bot: BotServer) -> None:
    user = bot.user()
    await bot.post(user.message("What is your cancellation policy?"))

    (reply,) = bot.cloud.sent(user.conversation)
    lines = texts(reply.card)
    assert "Sources" in lines
    assert any(line.endswith(".md)") for line in lines[lines.index("Sources") + 1 :])


async def test_the_reply_goes_to_the_conversation_the_message_came_from(bot: BotServer) -> None:
    user = bot.user(conversation="a:1another-chat")
    await bot.post(user.message("When is my invoice due?"))

    (reply,) = bot.cloud.sent()
    assert reply.conversation == "a:1another-chat"
    assert reply.body["recipient"]["id"] == user.user_id
    stored = bot.assistant.storage.conversations.reference("teams", "a:1another-chat")
    assert stored["serviceUrl"] == bot.cloud.service_url
    assert stored["conversation"]["tenantId"] == user.tenant  # for proactive messages later


async def test_helpful_yes_via_action_submit_is_stored_and_thanked(bot: BotServer) -> None:
    user = bot.user()
    await bot.post(user.message("When is my invoice due?"))
    (answer_card,) = [c.card for c in bot.cloud.sent(user.conversation)]
    yes = buttons(answer_card)["Yes"]
    assert yes["type"] == "Action.Submit"

    answer = await bot.post(user.submit(yes["data"]))

    assert answer.status == 201
    thanks = bot.cloud.sent(user.conversation)[-1].card
    assert texts(thanks) == ["Thanks for the feedback!"]
    ((channel, conversation, helpful, about, _at, reason),) = bot.assistant.storage.feedback.votes()
    assert (channel, conversation, helpful) == ("teams", user.conversation, True)
    assert about == yes["data"]["about"] and reason is None  # a 👍 gives no reason


async def test_a_thumbs_down_says_why_and_the_reason_is_stored(bot: BotServer) -> None:
    user = bot.user()
    await bot.post(user.message("When is my invoice due?"))
    (answer_card,) = [c.card for c in bot.cloud.sent(user.conversation)]
    why_not = buttons(answer_card)["No"]
    assert why_not["type"] == "Action.ShowCard"
    incomplete = buttons(why_not["card"])["Incomplete"]

    answer = await bot.post(user.submit(incomplete["data"]))

    assert answer.status == 201
    (vote,) = bot.assistant.storage.feedback.votes()
    assert (vote.helpful, vote.reason) == (False, "incomplete")
    assert vote.about == incomplete["data"]["about"]


async def test_a_reason_the_card_never_offers_is_refused(bot: BotServer) -> None:
    user = bot.user()
    data = {"action": "feedback", "helpful": False, "about": "x", "reason": "rude"}

    answer = await bot.post(user.submit(data))

    assert answer.status == 400
    assert not bot.assistant.storage.feedback.votes()


async def test_talk_to_a_person_opens_a_ticket_and_says_when_to_expect_a_reply(
    bot: BotServer,
) -> None:
    user = bot.user()
    await bot.post(user.submit({"action": "talk_to_person", "question": "Why did my bill go up?"}))

    card = bot.cloud.sent(user.conversation)[-1].card
    facts = {
        f["title"]: f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]
    }
    number = facts["Ticket"]
    assert number.startswith("BILL-")
    assert facts["Expected reply"]
    ticket = bot.assistant.tickets.get(number)
    assert ticket.question == "Why did my bill go up?"
    assert (ticket.channel, ticket.conversation) == ("teams", user.conversation)
    assert "actions" not in card  # nothing to rate on a ticket confirmation


async def test_action_execute_is_answered_in_the_invoke_response_with_a_card(
    bot: BotServer,
) -> None:
    user = bot.user()
    answer = await bot.post(
        user.execute({"action": "feedback", "helpful": False, "about": "articles/x.md#y"})
    )

    assert answer.status == 200
    assert answer.body["statusCode"] == 200
    assert answer.body["type"] == CARD
    assert answer.body["value"]["type"] == "AdaptiveCard"
    assert "Would you like to talk to a person" in texts(answer.body["value"])[0]
    [button] = answer.body["value"]["actions"]  # and offers it
    assert button["data"]["action"] == "talk_to_person"
    assert not bot.cloud.sent(user.conversation)  # the card replaces the clicked one
    assert bot.assistant.storage.feedback.votes()[0].helpful is False


async def test_a_card_action_without_data_beside_an_open_ticket_is_a_button_not_a_message(
    bot: BotServer,
) -> None:
    # Found by the fuzz test: the empty data was taken for an empty message, which the
    # ticket refused, so the turn kept failing (a 5xx).
    user = bot.user()
    assert (await bot.post(user.message("talk to a person"))).status == 201

    answer = await bot.post(user.execute({}))

    assert answer.status == 200
    assert "didn't understand that button" in texts(answer.body["value"])[0]


async def test_an_unknown_invoke_gets_not_implemented(bot: BotServer) -> None:
    activity = bot.user().message("")
    activity.update({"type": "invoke", "name": "composeExtension/query", "value": {}})

    answer = await bot.post(activity)

    assert answer.status == 501


async def test_an_invoke_naming_nothing_is_refused_as_malformed(bot: BotServer) -> None:
    activity = bot.user().execute({"action": "feedback", "helpful": True, "about": "x"})
    del activity["name"]

    answer = await bot.post(activity)

    assert answer.status == 400


async def test_an_unknown_tenant_gets_a_polite_answer_and_no_data(bot: BotServer) -> None:
    user = bot.user(tenant=UNKNOWN_TENANT, conversation="a:1stranger")
    await bot.post(user.message("When is my invoice due?"))

    (reply,) = bot.cloud.sent(user.conversation)
    card = reply.card
    assert "can't find" in texts(card)[0]
    assert "billing@northwind-cloud.example" in texts(card)[0]  # whom to contact instead
    assert [e["type"] for e in card["body"]] == ["TextBlock"]  # no table, no sources
    assert "actions" not in card
    assert "NW-2026" not in str(card)


async def test_installing_the_app_sends_one_welcome(bot: BotServer) -> None:
    user = bot.user()
    # Teams sends both when a personal app is installed: greet once.
    assert (await bot.post(user.installed())).status == 201
    assert (await bot.post(user.bot_added())).status == 201

    (welcome,) = bot.cloud.sent(user.conversation)
    text = texts(welcome.card)[0]
    assert "Contoso" in text  # the tenant's customer, by name
    assert "billing assistant" in text
    assert "08:00" in text  # support hours
    assert "billing@northwind-cloud.example" in text  # contact
    stored = bot.assistant.storage.conversations.reference("teams", user.conversation)
    assert stored is not None  # proactive messages can reach a customer who never typed


async def test_the_bot_added_to_a_chat_welcomes_too(bot: BotServer) -> None:
    user = bot.user(conversation="a:1added-later")
    await bot.post(user.bot_added())

    (welcome,) = bot.cloud.sent(user.conversation)
    assert "billing assistant" in texts(welcome.card)[0]


async def test_other_members_joining_get_no_welcome(bot: BotServer) -> None:
    user = bot.user()
    answer = await bot.post(user.user_added())

    assert answer.status == 201
    assert not bot.cloud.sent()


async def test_a_redelivered_message_is_answered_once(bot: BotServer) -> None:
    user = bot.user()
    activity = user.message("When is my invoice due?")

    first = await bot.post(activity)
    again = await bot.post(activity)

    assert (first.status, again.status) == (201, 201)
    assert len(bot.cloud.sent(user.conversation)) == 1


async def test_a_message_without_text_is_told_what_the_bot_reads(bot: BotServer) -> None:
    user = bot.user()
    activity = user.message("")
    activity["attachments"] = [{"contentType": "image/png", "contentUrl": "https://x/y.png"}]

    await bot.post(activity)

    (reply,) = bot.cloud.sent(user.conversation)
    assert "type" in reply.body["text"]


async def test_a_failed_typing_indicator_does_not_cost_the_answer(bot: BotServer) -> None:
    user = bot.user()
    bot.cloud.fail_next(500)

    await bot.post(user.message("When is my invoice due?"))

    assert [c.status for c in bot.cloud.calls(user.conversation)] == [500, 200]
    assert "NW-2026-0507" in texts(bot.cloud.sent(user.conversation)[0].card)[0]


async def test_when_the_connector_fails_the_answer_is_delivered_later(bot: BotServer) -> None:
    user = bot.user()
    bot.cloud.fail_next(500, times=2)  # the typing indicator and the answer

    failed = await bot.post(user.message("When is my invoice due?"))

    assert failed.status == 503  # the truth: the answer has not reached the customer yet
    answers = await eventually(lambda: bot.cloud.sent(user.conversation))  # the outbox did
    assert "NW-2026-0507" in texts(answers[0].card)[0]
    again = await bot.post(user.message("What are your support hours?"))
    assert again.status == 201  # the server keeps serving
    assert len(bot.cloud.sent(user.conversation)) == 2


async def test_local_mode_needs_no_token(start_server, settings, cloud) -> None:
    # No app id: what the Bot Framework Emulator speaks. Replies carry no token.
    local = settings.model_copy(update={"teams_app_id": ""})
    from adapters.teams.auth import CloudEndpoints
    from adapters.teams.mount import teams_mount

    endpoints = CloudEndpoints(**{**cloud.endpoints(), "outbound_token": None})
    async with start_server(settings=local, mounts=[teams_mount(endpoints)]) as server:
        cloud.accept_anonymous = True
        user = server.user()
        answer = await server.post(user.message("When is my invoice due?"), authorization=None)

    assert answer.status == 201
    calls = cloud.calls(user.conversation)
    assert [c.type for c in calls] == ["typing", "message"]
    assert not any(c.authorized for c in calls)  # sent without a bearer token
    assert "NW-2026-0507" in texts(calls[1].card)[0]


async def test_local_mode_gives_the_emulator_a_stand_in_tenant(start_server, settings, cloud):
    # The Emulator sends no tenant; TEAMS_LOCAL_TENANT_ID makes it chat as that customer.
    from adapters.teams.auth import CloudEndpoints
    from adapters.teams.mount import teams_mount

    fabrikam = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"
    local = settings.model_copy(update={"teams_app_id": "", "teams_local_tenant_id": fabrikam})
    endpoints = CloudEndpoints(**{**cloud.endpoints(), "outbound_token": None})
    async with start_server(settings=local, mounts=[teams_mount(endpoints)]) as server:
        cloud.accept_anonymous = True
        user = server.user()
        activity = user.message("When is my invoice due?")
        del activity["channelData"]["tenant"], activity["conversation"]["tenantId"]
        answer = await server.post(activity, authorization=None)

    assert answer.status == 201
    reply = cloud.calls(user.conversation)[-1]
    assert "NW-2026-0466" in texts(reply.card)[0]  # fabrikam's overdue invoice
