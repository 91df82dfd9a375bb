"""The board's rules, each written once. The server applies them; the browser is
handed their answers (``me.may_edit`` in the page config, ``me.may_judge`` in it
and in ``/boards/<id>/``, ``handoff.stage`` in ``/state/``) instead of a second
copy in JavaScript.

Pure: no queries. Stages and people come in as model instances or as the dicts
that selectors read (``values()`` rows, DataFrame records); both work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .models import WRITING_ROLES, Role, StageKind, StageTeam, Team

# What sales may mark valuable or useless in a verdict, besides the lead's
# attribute keys, with the label the handoff form shows (handed to the browser
# in the page config as ``rules.feedback_fields``).
FEEDBACK_FIELDS: dict[str, str] = {
    "name": "Name",
    "email": "Email",
    "company": "Company",
    "title": "Job title",
    "source": "Source",
    "owner": "Owner",
    "score": "Score",
    "value": "Value",
    "campaign": "Campaign",
    "stage": "Stage",
    "external_id": "Marketing system id",
    "crm_id": "CRM id",
}


# An ``@username`` in a note: "@" not inside a word or an email address, then a
# username (letters, digits, _ . + - @ as Django allows) that ends in a letter,
# digit or _, so "@dana," and "@dana." name dana. The browser highlights with the
# same pattern (page config ``rules.mention_pattern``; JavaScript reads ``\w`` as
# ASCII only, so a non-ASCII username is matched here but highlighted in part).
MENTION_PATTERN = r"(?<![\w.+\-@])@(\w(?:[\w.+\-]*\w)?)"


# How a person may sort a column's cards (remembered per person and stage in
# ``BoardMembership.card_sort``), with the label the column's sort menu shows.
# "position" is the board's shared order (the one drags rank in); the others
# are views of it: oldest in stage first, highest value first, highest score first.
CARD_SORTS: dict[str, str] = {
    "position": "Board order",
    "age": "Oldest in stage first",
    "value": "Highest value first",
    "score": "Highest score first",
}


# Each sort's order: the lead field and whether it runs highest first; ties go by
# lead id. ``/state/`` pages a column in it; the browser orders the cards it holds
# with it (page config ``rules.card_sort_order``).
CARD_SORT_ORDER: dict[str, tuple[str, bool]] = {
    "position": ("position", False),
    "age": ("stage_entered_at", False),
    "value": ("value", True),
    "score": ("score", True),
}


# The two times in stage, in the words the panel's chart and the column headers'
# hover both use (handed to the browser in the generated contract): "left after"
# counts the visits that ended, "here now" the leads still in the stage.
TIME_IN_STAGE_LABELS: dict[str, str] = {
    "median_days": "Left after (median)",
    "p90_days": "Left after (p90)",
    "current_median_age_days": "Here now (median age)",
}


def page_rules() -> dict[str, object]:
    """The rules' lists the board's script needs, for its page config."""
    return {
        "feedback_fields": [[name, label] for name, label in FEEDBACK_FIELDS.items()],
        "mention_pattern": MENTION_PATTERN,
        "card_sorts": [[key, label] for key, label in CARD_SORTS.items()],
        "card_sort_order": {
            key: {"field": field, "descending": descending}
            for key, (field, descending) in CARD_SORT_ORDER.items()
        },
    }


# Words an automation system's field names abbreviate, read out in capitals.
ACRONYMS = frozenset(
    {"utm", "id", "url", "crm", "ip", "api", "b2b", "b2c", "roi", "sql", "mql", "sal", "seo"}
    | {"ppc", "cpc", "ctr", "gdpr", "ceo", "cto", "cfo", "cmo", "vp", "hr", "it", "uk", "us"}
    | {"eu", "arr", "mrr", "nps", "sms", "sku", "gclid", "fbclid", "hubspot"}
)


def attribute_label(key: str) -> str:
    """How an ``attributes`` key reads: ``utm_source`` -> "UTM source",
    ``job_level`` -> "Job level", ``companySize`` -> "Company size". The drawer
    is handed these (``attribute_labels``), so the browser holds no copy."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key.strip())
    words = [word for word in re.split(r"[\s_\-.]+", spaced) if word]
    if not words:
        return key
    read = [word.upper() if word.lower() in ACRONYMS else word.lower() for word in words]
    first = read[0]
    read[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(read)


def field_label(name: str) -> str:
    """A lead field's label (``FEEDBACK_FIELDS``), else an attribute key's."""
    return FEEDBACK_FIELDS.get(name) or attribute_label(name)


def _get(record: Any, name: str) -> Any:
    return record[name] if isinstance(record, Mapping) else getattr(record, name)


def handoff_stage[S](stages: Iterable[S]) -> S | None:
    """Where marketing hands a lead to sales: the first sales-owned open stage of
    ``stages`` (given in position order). A board without one has no handoff: no
    lane, no verdicts asked for, no cost per SQL."""
    return next(
        (
            stage
            for stage in stages
            if _get(stage, "team") == StageTeam.SALES and _get(stage, "kind") == StageKind.OPEN
        ),
        None,
    )


def recycle_stage[S](stages: Iterable[S]) -> S | None:
    """Where a lead sales rejects goes back to ("Recycle"): the last marketing-owned
    open stage before the handoff stage (``stages`` in position order), e.g. MQL.
    None without a handoff or without a marketing stage before it."""
    order = list(stages)
    handoff = handoff_stage(order)
    if handoff is None:
        return None
    before = order[: order.index(handoff)]
    return next(
        (
            stage
            for stage in reversed(before)
            if _get(stage, "team") == StageTeam.MARKETING and _get(stage, "kind") == StageKind.OPEN
        ),
        None,
    )


def past_sla_since(sla_days: int, now: datetime) -> datetime:
    """A lead is past its stage's SLA when it has been there more whole days than
    ``sla_days``: it entered at or before this moment. The same rule as the card's
    aging ring (``static/board/core/format.js`` ``aging``: days > sla), which the
    browser's reducer also uses to keep ``overdue`` between loads."""
    return now - timedelta(days=sla_days + 1)


def may_set_up(role: str | None) -> bool:
    """May a member change how the board is set up (its stages, its members)? Its
    owners (``leads.access.membership_for_owner``)."""
    return role == Role.OWNER


def may_edit(role: str | None, *, archived: bool = False) -> bool:
    """May a member change the board (move, add, import)? Owners and editors;
    viewers and share-link guests read only; nobody changes an archived board
    (``leads.access.membership_for_write`` refuses it)."""
    return role in WRITING_ROLES and not archived


def may_judge(role: str | None, team: str | None) -> bool:
    """May a member accept or reject a lead handed to sales? Sales with edit
    rights; the board's owner may stand in."""
    return role == Role.OWNER or (role == Role.EDITOR and team == Team.SALES)


def display_name(user: Any) -> str:
    """How a person is shown: their full name, else their username."""
    return user.get_full_name() or user.get_username()


# A display name is kept whole in ``first_name`` (``last_name`` stays empty), so that
# ``display_name`` shows it exactly as the person typed it.
DISPLAY_NAME_MAX = 150


def name_fields(name: str) -> dict[str, str]:
    """The user fields that make ``display_name`` answer ``name``."""
    return {"first_name": " ".join(name.split()), "last_name": ""}


def display_name_of(first_name: str, last_name: str, username: str) -> str:
    """``display_name`` from a row's columns (Django's ``get_full_name`` is
    ``"first last"`` stripped)."""
    return f"{first_name} {last_name}".strip() or username


def invitation_state(invitation: Any, *, now: datetime) -> str:
    """Where an invitation stands: "pending" (its link works), "accepted" (used
    once, for good), "revoked" or "expired"."""
    if _get(invitation, "accepted_at") is not None:
        return "accepted"
    if _get(invitation, "revoked_at") is not None:
        return "revoked"
    if _get(invitation, "expires_at") <= now:
        return "expired"
    return "pending"


# How long a note's author may still change or delete it (minutes after writing it).
NOTE_EDIT_MINUTES = 15


def may_edit_note(note: Any, user: Any, now: datetime) -> bool:
    """May ``user`` change or delete ``note`` at ``now``? Its author, for
    ``NOTE_EDIT_MINUTES`` after writing it (the API answers each note's
    ``may_edit`` from here; the browser has no copy of the rule)."""
    author_id = _get(note, "author_id")
    return (
        author_id is not None
        and author_id == getattr(user, "pk", None)
        and now < _get(note, "created_at") + timedelta(minutes=NOTE_EDIT_MINUTES)
    )
