"""Amounts and dates as the reply's language writes them (Babel's CLDR data): Spanish
`1.981,98 €` and `2 de diciembre de 2026`. English keeps the bot's own forms (`EUR 1,981.98`,
`2 December 2026`), which the partners' agents and the English regression figures rely on."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from bot.locale import SOURCE_LANGUAGE


def money(amount: Decimal, currency: str, language: str = SOURCE_LANGUAGE) -> str:
    if language == SOURCE_LANGUAGE:
        return f"{currency} {amount:,.2f}"
    from babel.numbers import format_currency

    return format_currency(amount, currency, locale=language)


def day(value: date, language: str = SOURCE_LANGUAGE) -> str:
    if language == SOURCE_LANGUAGE:
        return f"{value.day} {value:%B %Y}"
    from babel.dates import format_date

    return format_date(value, format="long", locale=language)


def month(value: date, language: str = SOURCE_LANGUAGE) -> str:
    if language == SOURCE_LANGUAGE:
        return f"{value:%B %Y}"
    from babel.dates import format_date

    return format_date(value, format="MMMM 'de' y", locale=language)


def opening(value: datetime, language: str = SOURCE_LANGUAGE) -> str:
    """When support opens next: "Monday 30 November at 08:00"."""
    if language == SOURCE_LANGUAGE:
        return f"{value:%A %d %B at %H:%M}"
    from babel.dates import format_datetime

    return format_datetime(value, "EEEE d 'de' MMMM, HH:mm", locale=language)
