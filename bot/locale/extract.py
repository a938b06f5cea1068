"""The catalog template: every sentence marked in `bot/` and `adapters/` (`_()`, `N_()`), as
Babel's extractor finds them. `python -m bot.locale.extract` rewrites `messages.pot`; the
unit tests compare each language's catalog with it."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from bot.locale import LOCALE_DIR

ROOT = LOCALE_DIR.parent.parent
SOURCES = ("bot", "adapters")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}


def template() -> Catalog:
    catalog = Catalog(project="billing-bot", charset="utf-8")
    for folder in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            path = f"{folder}/{Path(filename).as_posix()}"
            catalog.add(
                message, locations=[(path, lineno)], auto_comments=comments, context=context
            )
    return catalog


def main() -> None:
    from babel.messages.pofile import write_po

    with (LOCALE_DIR / "messages.pot").open("wb") as file:
        write_po(file, template(), omit_header=True, sort_output=True)


if __name__ == "__main__":
    main()
