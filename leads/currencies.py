"""A board's currency: which ISO 4217 codes it may have, and how its money reads.

The list is the currencies some country uses as legal tender today, from the
Unicode CLDR as Babel ships it (no historic ones: a new board is not kept in
Deutsche Mark). The board's browser writes money with ``Intl.NumberFormat``,
which reads the same CLDR data, so a sum reads alike on the canvas, in the
charts' hover text, in a snapshot and in a meeting's recap.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from babel.core import get_global
from babel.numbers import (
    UnknownCurrencyError,
    format_currency,
    get_currency_name,
    get_currency_symbol,
    get_territory_currencies,
)

DEFAULT_CURRENCY = "USD"
# How money is written: US English digits and the currency's own symbol ("€1,200").
LOCALE = "en_US"


@cache
def currencies() -> frozenset[str]:
    """The ISO 4217 codes some country uses as legal tender today."""
    today = date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today)
    )


def currency_problem(code: Any) -> str | None:
    """Why ``code`` is no board currency (a sentence), or ``None``."""
    if not isinstance(code, str) or code.upper() not in currencies():
        return (
            f"{str(code)[:20]!r} is not a currency code in use: give an ISO 4217 code "
            "such as USD, EUR or GBP."
        )
    return None


@cache
def currency_choices() -> tuple[tuple[str, str], ...]:
    """``(code, "EUR · Euro")`` for every currency, by code (the settings page's list)."""
    codes = sorted(currencies())
    return tuple((code, f"{code} · {get_currency_name(code, locale=LOCALE)}") for code in codes)


def money_text(value: Any, currency: str = DEFAULT_CURRENCY, *, cents: bool = False) -> str:
    """``$1,235``, ``€1,234.50`` (``cents``: the currency's minor unit), ``n/a`` for None."""
    if value is None:
        return "n/a"
    number = float(value)
    try:
        if cents:
            text = format_currency(number, currency, locale=LOCALE)
        else:
            text = format_currency(
                round(number), currency, format="¤#,##0", locale=LOCALE, currency_digits=False
            )
        symbol = get_currency_symbol(currency, locale=LOCALE)
    except UnknownCurrencyError:  # a code CLDR does not know (never a board's): plain digits
        return f"{currency}\u00a0{number:,.{2 if cents else 0}f}"
    # CLDR's currency spacing, as Intl.NumberFormat applies it: a symbol of letters
    # ("CHF") stands apart from the digits by a no-break space; "$" and "€" do not.
    if symbol[-1:].isalpha():
        text = text.replace(symbol, symbol + "\u00a0", 1)
    return text
