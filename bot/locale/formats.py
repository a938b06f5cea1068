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


def unit_money(amount: Decimal, currency: str, language: str = SOURCE_LANGUAGE) -> str:
    """A unit price with the precision it is stored with (Azure meters: 4+ decimals)."""
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    if language == SOURCE_LANGUAGE:
        return f"{currency} {amount:,.{places}f}"
    from babel import Locale
    from babel.numbers import format_currency

    standard = Locale.parse(language).currency_formats["standard"].pattern  # "#,##0.00 ¤"
    pattern = standard.replace("0.00", "0." + "0" * places)
    return format_currency(amount, currency, pattern, locale=language, currency_digits=False)


def quantity(value: Decimal, language: str = SOURCE_LANGUAGE) -> str:
    """A count of licences or usage units: `2.5` / `2,5`."""
    if language == SOURCE_LANGUAGE:
        return f"{value:g}"
    from babel.numbers import format_decimal

    return format_decimal(value.normalize(), locale=language, decimal_quantization=False)


def day(value: date, language: str = SOURCE_LANGUAGE) -> str:
    if language == SOURCE_LANGUAGE:
        return f"{value.day} {value:%B %Y}"
    from babel.dates import format_date

    return format_date(value, format="long", locale=language)


def short_day(value: date, language: str = SOURCE_LANGUAGE) -> str:
    """A date in a table cell: ISO in English, CLDR's medium form otherwise (`2 dic 2026`)."""
    if language == SOURCE_LANGUAGE:
        return value.isoformat()
    from babel.dates import format_date

    return format_date(value, format="medium", locale=language)


def weekday(index: int, language: str = SOURCE_LANGUAGE) -> str:
    """Monday is 0."""
    if language == SOURCE_LANGUAGE:
        return ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[index]
    from babel.dates import get_day_names

    return str(get_day_names("abbreviated", locale=language)[index])


def month_name(number: int, language: str = SOURCE_LANGUAGE) -> str:
    """January is 1."""
    if language == SOURCE_LANGUAGE:
        return date(2000, number, 1).strftime("%B")
    from babel.dates import get_month_names

    return str(get_month_names("wide", locale=language)[number])


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


def counted(n: int, one: str, many: str) -> str:
    """A count in the operator's English (terminal reports and errors, never in a catalog):
    `counted(1, "row", "rows")` is "1 row", `counted(1200, "row", "rows")` "1,200 rows"."""
    return f"{n:,} {one if n == 1 else many}"
