"""The HTML report in a real browser: headless Chromium (the distribution's package) loads the
page from a file and prints its DOM, with a network log; every chart and table is there, and
the page asked the network for nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_script import ARTICLES, Script, report_of

from bot.reasons import Reason
from bot.report.page import render_html
from bot.types import ReplyKind

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium; `make test` "
    "installs it where it may)",
)
CHARTS = ("chart-weeks", "chart-agents", "chart-votes", "chart-articles")
TABLES = (
    "table-weeks",
    "table-languages",
    "table-weeks-languages",
    "table-topics",
    "table-weeks-topics",
    "table-not-served",
    "table-escalated",
    "table-agents",
    "table-agents-weekly",
    "table-votes",
    "table-unhelpful",
    "table-unhelpful-reasons",
    "table-unanswered",
    "table-cited",
    "list-never-cited",
    "table-reminders",
    "definitions",
    "headline",
)


class Elements(HTMLParser):
    """Every element's id, and each attribute that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.loads: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] = tag
            if name in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
                self.loads.append(f"{tag} {name}={value}")


def browse(page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """(the DOM Chromium built from `page`, the URLs the page itself requested)."""
    assert CHROMIUM is not None
    log = tmp_path / "net.json"
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # tests may run as root in a container
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--log-net-log={log}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    events = json.loads(log.read_text(encoding="utf-8"))
    kinds = {v: k for k, v in events["constants"]["logEventTypes"].items()}
    # The browser's own calls (updates, time) carry no page; the page's carry its origin.
    requested = [
        str(e["params"]["url"])
        for e in events["events"]
        if kinds.get(e["type"]) == "URL_REQUEST_START_JOB"
        and "file://" in str(e.get("params", {}).get("network_isolation_key"))
    ]
    return dom, requested


@pytest.fixture
def page(storage, script: Script, tmp_path: Path) -> Path:
    script.answered().solved()
    script.conversation, script.customer = "conv-2", "adatum"
    script.answered(ARTICLES[1]).thumbs(up=False, about=ARTICLES[1], reason=Reason.FIGURES)
    script.not_sure()
    script.conversation, script.customer = "conv-3", "contoso"
    script.escalated().agent_replies(after_hours=1).resolved(after_hours=3)
    with storage.db.write() as session:
        storage.feedback.unanswered_in(
            session,
            channel="teams",
            customer_id="adatum",
            kind=ReplyKind.NOT_SURE,
            question="can I pay with crypto? mail me at jan@contoso.example or +31 20 123 4567",
            confidence=0.2,
            nearest="articles/payment-methods-and-terms.md › Methods",
        )
    html = render_html(report_of(storage), language="en", partner="Northwind")
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


@needs_chromium
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_chart_and_table_is_in_the_page_chromium_builds(page: Path, tmp_path: Path):
    dom, _requested = browse(page, tmp_path)
    found = Elements()
    found.feed(dom)
    for chart in CHARTS:
        assert found.ids.get(chart) == "svg", chart
    for table in TABLES:
        assert table in found.ids, table
    assert "Confirmed resolved" in dom and "Assumed resolved" in dom
    assert "never added" in dom  # the headline says assumed is not added
    assert "Outdated or wrong figures" in dom  # the 👎's reason, by its name
    assert "jan@contoso.example" not in dom and "123 4567" not in dom  # masked


@needs_chromium
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_page_requests_nothing_from_the_network(page: Path, tmp_path: Path):
    dom, requested = browse(page, tmp_path)
    found = Elements()
    found.feed(dom)
    assert requested == []
    assert found.loads == []  # no src, href, srcset: nothing to load, even when printed
    assert "script" not in found.tags and "link" not in found.tags
    assert "url(" not in dom and "@import" not in dom


@needs_chromium
def test_a_page_that_loads_an_image_is_caught(tmp_path: Path):
    # The check above can fail: a page with one remote image shows one request.
    path = tmp_path / "leaky.html"
    path.write_text('<img src="http://example.invalid/pixel.png">', encoding="utf-8")
    _dom, requested = browse(path, tmp_path)
    assert requested == ["http://example.invalid/pixel.png"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_page_is_in_the_agent_language_with_the_definitions(storage, script: Script):
    script.answered()
    html = render_html(report_of(storage), language="es", partner="Northwind")
    assert '<html lang="es">' in html
    assert "Resuelto confirmado" in html and "Resuelto supuesto" in html
    assert "default-src 'none'" in html  # the policy forbids loading anything


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_thumbs_down_reasons_are_named_in_the_agent_language(storage, script: Script):
    script.answered().thumbs(up=False, reason=Reason.MISUNDERSTOOD).thumbs(up=False)
    html = render_html(report_of(storage), language="es", partner="Northwind")
    table = html[html.index('id="table-unhelpful-reasons"') :]
    table = table[: table.index("</table>")]
    assert '<td>No era mi pregunta</td><td class="n">1</td>' in table
    assert '<td>Sin motivo indicado</td><td class="n">1</td>' in table
    assert '<td>Respuesta incorrecta</td><td class="n">0</td>' in table
