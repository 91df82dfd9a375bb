"""Sales' verdicts summed up, one rule for every figure that shows them: the lead
quality panel (``GET /quality/``, per campaign and channel) and the funnel
numbers' handoff figure (``GET /funnel/``).

Each lead counts once, with its latest verdict (the caller hands in only those).
A rejection without a reason counts as ``NO_REASON``; reasons are ranked by how
many leads got them, then by name, so two readers always agree on the top five.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from .models import Verdict

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
    ) -> None:
        if verdict == Verdict.ACCEPTED:
            self.accepted += 1
        else:
            self.rejected += 1
            self.reasons[(reason or "").strip() or NO_REASON] += 1
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
