"""The Teams app's menu (manifests/teams): a click sends the command's title as the
customer's message, so every title must get an answer in its language with the real models
(marker `model`), and "talk to a person" a ticket."""

import json
import uuid
from pathlib import Path

import pytest

from bot.types import Message, ReplyKind
from tests.conftest import ROOT

pytestmark = pytest.mark.model

TEAMS = ROOT / "manifests" / "teams"
# Each menu as a customer of its language sees it (coho's language is Spanish).
MENUS = [("manifest.json", "fabrikam", "en", "en-US"), ("es.json", "coho", "es", "es-ES")]
ANSWERED = (ReplyKind.ANSWER, ReplyKind.INVOICE)


def commands(path: Path) -> list[tuple[str, str]]:
    """(title, description) of each menu command, from a manifest or its localization file
    (whose keys are the manifest's JSON paths)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if "bots" in data:
        listed = data["bots"][0]["commandLists"][0]["commands"]
        return [(c["title"], c["description"]) for c in listed]
    prefix = "bots[0].commandLists[0].commands"
    count = sum(1 for key in data if key.startswith(prefix) and key.endswith(".title"))
    return [
        (data[f"{prefix}[{n}].title"], data[f"{prefix}[{n}].description"]) for n in range(count)
    ]


# The person command: the one whose description promises a ticket (the same slot in every
# language, as the localization file's keys are the manifest's paths).
PERSON = next(
    n
    for n, (_title, description) in enumerate(commands(TEAMS / "manifest.json"))
    if "ticket" in description.lower()
)
CASES = [
    pytest.param(name, n, customer, language, locale, id=f"{language}-{title}")
    for name, customer, language, locale in MENUS
    for n, (title, _description) in enumerate(commands(TEAMS / name))
]


@pytest.fixture(scope="module")
def assistant(sample_assistant):
    return sample_assistant(None)


def test_both_menus_have_the_same_commands():
    assert len(commands(TEAMS / "es.json")) == len(commands(TEAMS / "manifest.json")) >= 5


@pytest.mark.parametrize(("name", "n", "customer_id", "language", "locale"), CASES)
def test_a_menu_command_gets_an_answer_in_its_language(
    assistant, name, n, customer_id, language, locale
):
    title = commands(TEAMS / name)[n][0]
    customer = assistant.knowledge.customer(customer_id)
    reply = assistant.handle(
        Message(
            title,
            channel="teams",
            conversation=f"menu-{uuid.uuid4()}",
            user_id="menu",
            tenant_id=customer.tenant_ids[0],
            locale=locale,
        )
    )
    assert reply.language == language, reply.text
    if n == PERSON:
        assert reply.kind is ReplyKind.ESCALATE and reply.ticket is not None, reply.text
    else:
        assert reply.kind in ANSWERED, (reply.kind, reply.text)
        assert reply.ticket is None
