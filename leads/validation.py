"""What may enter a board: the rules every value is checked against where it enters
(JSON bodies, query strings, CSV cells), before anything is written.

- Moments and days lie in ``[DATE_MIN, DATE_MAX)``: pandas (the numbers) reads
  nanoseconds and overflows past 2262, and a CRM's "never" date (9999-12-31) is
  no creation date. A lead's creation date is not in the future either.
- Text is valid Unicode that every database stores alike: no lone UTF-16
  surrogate (``"\\ud800"`` from a JSON escape) and no NUL character.
- A name has at least one visible character (not only spaces, zero-width or
  other format characters).
- An id or a number is written in ASCII digits (``int()`` also reads
  Arabic-Indic and other digits; an id never is one).
- A lead's ``attributes`` are bounded in size, key count, key length and depth.

Each rule is a function returning the problem as a sentence, or ``None``; the
serializers (``leads.api.serializers``), the JSON parser (``leads.api.parsers``), the
filters, the CSV importer and the services call these, so the rule is written
once.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

# The largest id a database row can have (a signed 64-bit key): a larger number
# names no row, and the database would refuse it as a parameter.
MAX_ID = 2**63 - 1
DATE_MIN = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
DATE_MAX = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
DATE_RANGE_TEXT = "between 1900-01-01 and 2200-01-01"

ASCII_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


# --- Moments and days ---


def moment_problem(value: dt.datetime) -> str | None:
    moment = value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    if not DATE_MIN <= moment < DATE_MAX:
        return f"Dates must be {DATE_RANGE_TEXT} (got {value.date().isoformat()})."
    return None


def day_problem(value: dt.date) -> str | None:
    if not DATE_MIN.date() <= value < DATE_MAX.date():
        return f"Dates must be {DATE_RANGE_TEXT} (got {value.isoformat()})."
    return None


def creation_problem(value: dt.datetime, *, now: dt.datetime | None = None) -> str | None:
    """A lead's creation moment: in range and not in the future."""
    problem = moment_problem(value)
    if problem:
        return problem
    now = now or timezone.now()
    # A day's slack: an export written in another time zone may run a little ahead.
    if value > now + dt.timedelta(days=1):
        return f"A creation date cannot be in the future (got {value.date().isoformat()})."
    return None


def stage_entry_problem(value: dt.datetime, *, now: dt.datetime | None = None) -> str | None:
    """When a lead entered its stage: in range and not in the future (the time in
    stage it starts would be negative)."""
    problem = moment_problem(value)
    if problem:
        return problem
    if value > (now or timezone.now()):
        moment = value.strftime("%Y-%m-%d %H:%M")
        return f"A stage entered date cannot be in the future (got {moment})."
    return None


def clamp_moment(value: dt.datetime, *, latest: dt.datetime) -> dt.datetime:
    """A stored moment brought into ``[DATE_MIN, latest]`` (old rows, see migrations)."""
    return min(max(value, DATE_MIN), latest)


# --- Text ---


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as it is, or ``None``."""
    if "\x00" in text:
        return "Text cannot contain the NUL character (\\u0000)."
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "Text must be valid Unicode (it contains a lone UTF-16 surrogate)."
    return None


def mend_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (pairs recombine)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def data_problem(value: Any, *, max_depth: int | None = None) -> str | None:
    """The first text problem in a JSON value (keys and strings, however deep), or
    ``value`` nested deeper than ``max_depth``. Iterative: a deep value cannot
    exhaust the stack."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return problem
        elif isinstance(item, dict | list):
            if max_depth is not None and depth >= max_depth:
                return f"JSON nested deeper than {max_depth} levels."
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
    return None


def visible(text: str) -> bool:
    """Has at least one character a reader sees (letters, digits, marks, symbols,
    punctuation); spaces, control and format characters (zero-width space,
    word joiner, bidi marks) alone do not count."""
    return any(unicodedata.category(char)[0] not in "ZC" for char in text)


def name_problem(text: str) -> str | None:
    if not visible(text):
        return "A name needs at least one visible character."
    return None


# A person's email address, as an invitation is sent to it (the address goes into a
# mail header, so no line break or other control character may ride along).
EMAIL_MAX_LENGTH = 254


def email_problem(text: str) -> str | None:
    """Why ``text`` is not one email address, or ``None``. Checked as given: an
    address with a CR or LF is refused, never trimmed into shape."""
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in text):
        return "An email address cannot contain line breaks or other control characters."
    if len(text) > EMAIL_MAX_LENGTH:
        return f"An email address has at most {EMAIL_MAX_LENGTH} characters."
    try:
        validate_email(text)
    except ValidationError:
        return f"{text[:60]!r} is not an email address."
    return None


# --- Numbers ---


def ascii_integer(text: str) -> bool:
    return bool(ASCII_INTEGER.fullmatch(text))


# --- A lead's attributes ---


def attribute_limits() -> dict[str, int]:
    return {
        "bytes": settings.LEAD_ATTRIBUTES_MAX_BYTES,
        "keys": settings.LEAD_ATTRIBUTES_MAX_KEYS,
        "key_length": settings.LEAD_ATTRIBUTES_MAX_KEY_LENGTH,
        "depth": settings.LEAD_ATTRIBUTES_MAX_DEPTH,
    }


def attributes_problem(attributes: Any) -> str | None:
    """Why a lead cannot carry these ``attributes``, naming the limit, or ``None``."""
    if not isinstance(attributes, dict):
        return "Attributes must be a JSON object."
    limits = attribute_limits()
    if len(attributes) > limits["keys"]:
        return f"Attributes have {len(attributes)} keys; the limit is {limits['keys']}."
    for key in attributes:
        if not isinstance(key, str) or not key.strip():
            return "Attribute names cannot be empty."
        if len(key) > limits["key_length"]:
            return f"Attribute name {key[:40]!r}… is longer than {limits['key_length']} characters."
    problem = data_problem(attributes, max_depth=limits["depth"])
    if problem:
        return problem.replace("JSON nested", "Attributes nested")
    size = len(json.dumps(attributes, ensure_ascii=False).encode("utf-8", "replace"))
    if size > limits["bytes"]:
        return f"Attributes take {size} bytes; the limit is {limits['bytes']} bytes."
    return None
