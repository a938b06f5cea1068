from datetime import date
from decimal import Decimal

from bot.locale.formats import counted, day, money


def test_spanish_writes_amounts_and_dates_the_spanish_way():
    assert money(Decimal("1981.98"), "EUR", "es") == "1.981,98\xa0€"
    assert day(date(2026, 12, 2), "es") == "2 de diciembre de 2026"


def test_english_keeps_the_bots_own_forms():
    assert money(Decimal("1981.98"), "EUR") == "EUR 1,981.98"
    assert day(date(2026, 12, 2)) == "2 December 2026"


def test_the_operators_counts_say_one_or_many():
    assert counted(0, "row", "rows") == "0 rows"
    assert counted(1, "row names", "rows name") == "1 row names"
    assert counted(1200, "line", "lines") == "1,200 lines"
