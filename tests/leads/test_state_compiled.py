"""``/state/`` against a plain reading of the same leads: each stage's page in the
person's sort, its cursor pages, counts, values, overdue, median age and the handoff
lane, card by card in the form ``card(lead)`` gives. The per-stage queries are
compiled once and, for an unfiltered board, kept between requests
(``leads.selectors.compiled``): the second answer is the first's, and a move shows."""

from __future__ import annotations

from datetime import timedelta
from statistics import median

import pytest
from django.utils import timezone

from leads import rules
from leads.models import BoardMembership, Lead, LeadFeedback, Stage
from leads.ranks import rank_of_index
from leads.selectors.cards import card
from leads.selectors.leads import board_leads_filtered
from leads.selectors.state import handoff_lane, leads_kept
from leads.services import lead_move
from leads.services.feedback import leads_last_verdict_rebuild
from leads.services.tallies import board_tallies_rebuild
from tests.leads.test_api_state import state_url

NOW = timezone.now()
PER_STAGE = 4


@pytest.fixture
def board_of_leads(board, stages, owner, editor):
    """New: 11 leads (ties of position, of value and of score), MQL: 1, the handoff
    stage (SQL) 7, partly judged (some before they entered), the others none; SLAs
    on New and on the handoff stage."""
    handoff = rules.handoff_stage(Stage.objects.filter(board=board).order_by("position"))
    assert handoff is not None
    Stage.objects.filter(pk=stages.New.pk).update(sla_days=3)
    Stage.objects.filter(pk=handoff.pk).update(sla_days=5)
    rows = []
    for i in range(11):
        rows.append(
            Lead(
                board=board,
                stage=stages.New,
                owner=owner if i % 3 else editor,
                name=f"New {i}",
                company="Acme" if i % 2 else "Globex",
                score=[10, 50, 50, 90][i % 4],
                value=[100, 250, 250, 0][i % 4],
                position=rank_of_index(i // 2),  # pairs share a position: ties by id
                stage_entered_at=NOW - timedelta(days=i * 0.7),
                created_at=NOW - timedelta(days=30 + i),
            )
        )
    rows.append(
        Lead(
            board=board,
            stage=stages.MQL,
            name="Only one",
            score=70,
            value=999,
            position=rank_of_index(0),
            stage_entered_at=NOW - timedelta(days=2),
            created_at=NOW - timedelta(days=9),
        )
    )
    for i in range(7):
        rows.append(
            Lead(
                board=board,
                stage=handoff,
                owner=editor,
                name=f"Handed {i}",
                score=40 + i,
                value=10 * i,
                position=rank_of_index(i),
                stage_entered_at=NOW - timedelta(days=i + 1),
                created_at=NOW - timedelta(days=20),
            )
        )
    archived = Lead(
        board=board,
        stage=stages.New,
        name="Archived",
        position=rank_of_index(0),
        stage_entered_at=NOW - timedelta(days=50),
        created_at=NOW - timedelta(days=50),
        archived_at=NOW,
    )
    Lead.objects.bulk_create([*rows, archived])
    handed = list(Lead.objects.filter(board=board, stage=handoff).order_by("id"))
    # Judged since they entered (not waiting), judged before (waiting again), never.
    for lead, days_after in zip(handed[:4], [0.5, -3, 0.2, -0.5], strict=True):
        LeadFeedback.objects.create(
            lead=lead,
            actor=editor,
            verdict="accepted" if days_after > 0 else "rejected",
            at=lead.stage_entered_at + timedelta(days=days_after),
        )
    leads_last_verdict_rebuild(Lead.objects.filter(board=board))
    board_tallies_rebuild(board)  # bare rows, past the write paths
    return handoff


def expected_stage(board, stage, *, sort="position", filters=None) -> dict:
    """The stage as a plain reading of its leads gives it."""
    field, descending = rules.CARD_SORT_ORDER[sort]
    leads = list(
        board_leads_filtered(board_id=board.pk, filters=filters).filter(
            stage=stage, archived_at__isnull=True
        )
    )
    leads.sort(key=lambda lead: lead.pk)
    leads.sort(key=lambda lead: getattr(lead, field), reverse=descending)
    past = (
        rules.past_sla_since(stage.sla_days, timezone.now()) if stage.sla_days is not None else None
    )
    ages = [(NOW - lead.stage_entered_at) / timedelta(days=1) for lead in leads]
    return {
        "count": len(leads),
        "value": float(sum(lead.value for lead in leads)),
        "overdue": sum(1 for lead in leads if past is not None and lead.stage_entered_at <= past),
        "median_age_days": median(ages) if ages else None,
        "sort": sort,
        "cards": [card(lead) for lead in leads],
    }


def answered(api, board, **query) -> dict:
    response = api.get(state_url(board, **{"per_stage": PER_STAGE, **query}))
    assert response.status_code == 200, response.content
    return response.json()


def assert_stages_as_read(body, board, *, sorts=None, filters=None) -> None:
    sorts = sorts or {}
    for stage in Stage.objects.filter(board=board).order_by("position"):
        got = next(s for s in body["stages"] if s["id"] == stage.pk)
        want = expected_stage(board, stage, sort=sorts.get(stage.pk, "position"), filters=filters)
        assert got["count"] == want["count"], stage.name
        assert got["value"] == want["value"], stage.name
        assert got["overdue"] == want["overdue"], stage.name
        assert got["sort"] == want["sort"], stage.name
        if want["median_age_days"] is None:
            assert got["median_age_days"] is None, stage.name
        else:
            assert got["median_age_days"] == pytest.approx(want["median_age_days"], abs=0.02)
        assert got["leads"] == want["cards"][:PER_STAGE], stage.name
        assert (got["next"] is None) == (want["count"] <= PER_STAGE), stage.name


def every_page(api, board, stage, **query) -> list[dict]:
    cards, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = answered(api, board, stage=stage.pk, **query, **extra)["stages"][0]
        assert len(page["leads"]) <= PER_STAGE
        cards += page["leads"]
        cursor = page["next"]
        if cursor is None:
            return cards


@pytest.mark.django_db
class TestStateAsRead:
    def test_every_stage_in_board_order_empty_one_lead_and_many(self, board, board_of_leads, api):
        body = answered(api, board)
        assert_stages_as_read(body, board)
        counts = {s["name"]: s["count"] for s in body["stages"]}
        assert (counts["New"], counts["MQL"], counts["SQL"], counts["Won"]) == (11, 1, 7, 0)

    def test_the_persons_sorts(self, board, stages, board_of_leads, owner, api):
        sorts = {stages.New.pk: "value", stages.MQL.pk: "age", board_of_leads.pk: "score"}
        BoardMembership.objects.filter(board=board, user=owner).update(
            card_sort={str(pk): sort for pk, sort in sorts.items()}
        )
        assert_stages_as_read(answered(api, board), board, sorts=sorts)

    @pytest.mark.parametrize(
        "filters",
        [{"score_min": "50"}, {"q": "acme"}, {"overdue": "1"}, {"score_min": "95"}],
        ids=["score", "text", "overdue", "nothing-left"],
    )
    def test_filtered(self, board, board_of_leads, api, filters):
        assert_stages_as_read(answered(api, board, **filters), board, filters=filters)

    def test_filtered_by_owner_and_sorted(self, board, stages, board_of_leads, editor, owner, api):
        BoardMembership.objects.filter(board=board, user=owner).update(
            card_sort={str(stages.New.pk): "age"}
        )
        filters = {"owner": str(editor.pk)}
        body = answered(api, board, **filters)
        assert_stages_as_read(body, board, sorts={stages.New.pk: "age"}, filters=filters)

    @pytest.mark.parametrize("sort", list(rules.CARD_SORTS))
    def test_cursors_page_the_whole_stage_in_its_sort(
        self, board, stages, board_of_leads, api, sort
    ):
        want = expected_stage(board, stages.New, sort=sort)["cards"]
        assert every_page(api, board, stages.New, sort=sort) == want
        filtered = expected_stage(board, stages.New, sort=sort, filters={"score_min": "50"})
        assert every_page(api, board, stages.New, sort=sort, score_min=50) == filtered["cards"]

    def test_handoff_lane(self, board, board_of_leads, api):
        waiting = sorted(
            Lead.objects.filter(board=board, stage=board_of_leads, archived_at__isnull=True),
            key=lambda lead: (lead.stage_entered_at, lead.pk),
        )
        waiting = [
            lead
            for lead in waiting
            if lead.last_verdict_at is None or lead.last_verdict_at < lead.stage_entered_at
        ]
        assert len(waiting) == 5  # 2 of the 7 judged since they entered
        lane = answered(api, board)["handoff"]
        assert lane["stage"] == board_of_leads.pk
        assert lane["count"] == 5
        assert lane["leads"] == [card(lead) for lead in waiting]
        verdicts = {c["name"]: c["verdict"] for c in lane["leads"]}
        assert verdicts["Handed 1"] == "rejected" and verdicts["Handed 6"] is None

    def test_a_full_handoff_lane_counts_them_all(self, board, board_of_leads):
        leads = board_leads_filtered(board_id=board.pk, filters=None).filter(
            archived_at__isnull=True
        )
        for kept in (None, leads_kept(board.pk, None)):
            lane = handoff_lane(leads, {"id": board_of_leads.pk}, limit=2, kept=kept)
            assert lane is not None
            assert (lane["count"], len(lane["leads"])) == (5, 2)


@pytest.mark.django_db
class TestKeptCompiled:
    def test_the_second_answer_is_the_first(self, board, board_of_leads, api):
        first = answered(api, board)
        assert answered(api, board) == first
        # Another page size, then back: each its own kept query.
        assert (
            answered(api, board, per_stage=2)["stages"][0]["leads"]
            == first["stages"][0]["leads"][:2]
        )
        assert answered(api, board) == first

    def test_a_move_shows_in_the_next_answer(self, board, stages, board_of_leads, owner, api):
        answered(api, board)
        lead = Lead.objects.get(board=board, name="Only one")
        lead_move(lead_id=lead.pk, to_stage_id=stages.Opportunity.pk, actor=owner)
        body = answered(api, board)
        assert_stages_as_read(body, board)
        moved = next(s for s in body["stages"] if s["id"] == stages.Opportunity.pk)
        assert [c["name"] for c in moved["leads"]] == ["Only one"]

    def test_a_filtered_answer_after_the_unfiltered(self, board, board_of_leads, api):
        answered(api, board)
        filters = {"score_min": "50"}
        assert_stages_as_read(answered(api, board, **filters), board, filters=filters)
        assert_stages_as_read(answered(api, board), board)
