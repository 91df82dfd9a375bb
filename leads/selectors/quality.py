"""Lead quality: sales' verdicts summed up, one rule for every figure that shows
them: the lead quality panel (``GET /quality/``, per campaign and channel) and
the funnel numbers' handoff figure (``GET /funnel/``).

Each lead counts once, with its latest verdict (the caller hands in only those).
A rejection without a reason counts as ``NO_REASON``; reasons are ranked by how
many leads got them, then by name, so two readers always agree on the top five.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from leads.models import (
    Campaign,
    LeadFeedback,
    LostReason,
    RejectionReason,
    Verdict,
)
from leads.selectors.boards import board_get
from leads.selectors.history import as_of_parse

TOP_REASONS = 5
NO_REASON = "(no reason)"


class Tally:
    """Sales' latest verdicts on one group of leads."""

    def __init__(self) -> None:
        self.accepted = 0
        self.rejected = 0
        self.reasons: Counter[str] = Counter()
        self.valuable: Counter[str] = Counter()
        self.useless: Counter[str] = Counter()

    def add(
        self,
        verdict: str,
        reason: str | None,
        valuable: Iterable[str] | None = None,
        useless: Iterable[str] | None = None,
        *,
        times: int = 1,
    ) -> None:
        """One verdict (``times`` verdicts alike)."""
        if verdict == Verdict.ACCEPTED:
            self.accepted += times
        else:
            self.rejected += times
            self.reasons[(reason or "").strip() or NO_REASON] += times
        self.valuable.update(set(valuable or ()))
        self.useless.update(set(useless or ()))

    def verdicts(self) -> dict[str, Any]:
        """Accepted, rejected, the acceptance rate and the top rejection reasons."""
        judged = self.accepted + self.rejected
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "acceptance_rate": round(self.accepted / judged, 4) if judged else None,
            "top_reasons": ranked(self.reasons, "reason")[:TOP_REASONS],
        }

    def as_dict(self) -> dict[str, Any]:
        """``verdicts()`` and the fields sales found valuable or useless."""
        return {
            **self.verdicts(),
            "valuable_fields": ranked(self.valuable, "field"),
            "useless_fields": ranked(self.useless, "field"),
        }


def ranked(counter: Counter[str], key: str) -> list[dict[str, Any]]:
    return [
        {key: name, "leads": count}
        for name, count in sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    ]


def rejection_reasons_get(*, board_id: int, user: Any) -> list[str]:
    board = board_get(board_id=board_id, user=user)
    return RejectionReason.labels_of(board.pk)


def lost_reasons_get(*, board_id: int, user: Any) -> list[str]:
    board = board_get(board_id=board_id, user=user)
    return LostReason.labels_of(board.pk)


def lead_quality_get(
    *,
    board_id: int,
    user: Any,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Per campaign and per channel: what sales said of the leads created in
    ``[start, end)``. Each lead counts once, with its latest feedback; with
    ``as_of`` (text, ``as_of_parse``: a 400 outside the board's life), its latest
    at that moment, as ``/funnel/``'s handoff figure counts then (the lead's
    campaign is its campaign now)."""
    board = board_get(board_id=board_id, user=user)
    feedback = LeadFeedback.objects.filter(lead__board_id=board.pk)
    moment = as_of_parse(board, as_of) if as_of else None
    if moment is not None:
        feedback = feedback.filter(at__lte=moment)
    if start is not None:
        feedback = feedback.filter(lead__created_at__gte=start)
    if end is not None:
        feedback = feedback.filter(lead__created_at__lt=end)
    latest: dict[int, tuple[Any, ...]] = {}
    for row in (
        feedback.order_by("lead_id", "at", "id")
        .values_list(
            "lead_id", "verdict", "reason", "valuable_fields", "useless_fields", "lead__campaign_id"
        )
        .iterator(chunk_size=5000)
    ):
        latest[row[0]] = row
    campaigns = {
        pk: (name, channel)
        for pk, name, channel in Campaign.objects.filter(board_id=board.pk).values_list(
            "id", "name", "channel"
        )
    }
    by_campaign: dict[int | None, Tally] = {pk: Tally() for pk in campaigns}
    by_channel: dict[str, Tally] = {channel: Tally() for _, channel in campaigns.values()}
    total = Tally()
    for _, verdict, reason, valuable, useless, campaign_id in latest.values():
        channel = campaigns[campaign_id][1] if campaign_id in campaigns else ""
        for tally in (
            by_campaign.setdefault(campaign_id, Tally()),
            by_channel.setdefault(channel, Tally()),
            total,
        ):
            tally.add(verdict, reason, valuable, useless)
    return {
        "start": start,
        "end": end,
        "as_of": moment,
        "total": total.as_dict(),
        "campaigns": [
            {
                "id": pk,
                "name": campaigns[pk][0] if pk in campaigns else None,
                "channel": campaigns[pk][1] if pk in campaigns else "",
                **tally.as_dict(),
            }
            for pk, tally in sorted(
                by_campaign.items(), key=lambda item: (item[0] is None, item[0] or 0)
            )
        ],
        "channels": [
            {"channel": channel, **tally.as_dict()} for channel, tally in sorted(by_channel.items())
        ],
    }
