"""Card order: a drop writes the dropped card's row and no other, forever; batch
moves, undo and import place cards by rank; the database orders ranks by their
bytes; the migration keeps each stage's order."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from leads.models import Lead, StageTransition
from leads.ranks import RANK_MAX_LENGTH, rank_of_index, rank_valid
from leads.services import campaign_move, lead_create, lead_move, transition_undo
from leads.services.imports import leads_import
from tests.conftest import client_for, on_postgres
from tests.factories import BoardFactory

DROPS = 1000


def order_of(stage) -> list[int]:
    return list(
        Lead.objects.filter(stage=stage).order_by("position", "id").values_list("id", flat=True)
    )


def ranks_of(board) -> dict[int, tuple[int, str]]:
    return {
        pk: (stage, rank)
        for pk, stage, rank in board.leads.values_list("id", "stage_id", "position")
    }


class LeadWrites:
    """Records the statements that write rows of the leads table (a wrapper, not
    the query log: that keeps only the last 9000 queries)."""

    def __init__(self):
        table = re.escape(connection.ops.quote_name(Lead._meta.db_table))
        self.pattern = re.compile(rf"\s*(UPDATE|INSERT INTO|DELETE FROM)\s+{table}\s", re.I)
        self.sql: list[tuple[str, Any]] = []

    def __call__(self, execute, sql, params, many, context):
        if self.pattern.match(sql):
            self.sql.append((sql, params))
        return execute(sql, params, many, context)

    def __enter__(self) -> list[tuple[str, Any]]:
        self.sql = []
        self.hook = connection.execute_wrapper(self)
        self.hook.__enter__()
        return self.sql

    def __exit__(self, *exc):
        self.hook.__exit__(*exc)


def test_a_thousand_drops_into_one_gap_write_one_row_each(board, stages, owner, editor):
    # MQL [A B]; New [1000 cards]. Drops alternate: right under A (index 1, as a
    # browser sends it) and right above B (before B).
    b = lead_create(board_id=board.pk, actor=owner, name="B", stage_id=stages.MQL.pk)
    a = lead_create(board_id=board.pk, actor=owner, name="A", stage_id=stages.MQL.pk)
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            board=board,
            stage=stages.New,
            name=f"d{n}",
            position=rank_of_index(n),
            stage_entered_at=now,
            created_at=now,
        )
        for n in range(DROPS)
    )
    dropped = list(
        Lead.objects.filter(stage=stages.New).order_by("id").values_list("id", flat=True)
    )
    under_a: list[int] = []
    above_b: list[int] = []
    ranks = ranks_of(board)
    for n, lead in enumerate(dropped):
        actor, where = (owner, {"position": 1}) if n % 2 == 0 else (editor, {"before": b.pk})
        with LeadWrites() as writes:
            result = lead_move(lead_id=lead, to_stage_id=stages.MQL.pk, actor=actor, **where)
        # One statement wrote the leads table, and it wrote this lead's row.
        assert [lead in params for _, params in writes] == [True], writes
        assert result.transition is not None  # New -> MQL: one transition, one event
        ranks[lead] = (stages.MQL.pk, result.lead.position)
        if n % 100 == 99:  # every other lead is as it was: nothing was renumbered
            assert ranks_of(board) == ranks, f"after drop {n}"
        (under_a.insert(0, lead) if n % 2 == 0 else above_b.append(lead))
    assert ranks_of(board) == ranks
    assert order_of(stages.MQL) == [a.pk, *under_a, *above_b, b.pk]
    longest = max(len(rank) for _, rank in ranks.values())
    assert longest < 120, longest  # about one character per five drops next to one card
    assert StageTransition.objects.filter(to_stage=stages.MQL, from_stage=stages.New).count() == (
        DROPS
    )


def test_a_gap_with_no_room_left_refuses_the_drop(board, stages, owner, api):
    # Two neighbours whose ranks reached the limit: nothing fits between them.
    stem = "a0" + "1" * (RANK_MAX_LENGTH - 3)
    upper = lead_create(board_id=board.pk, actor=owner, name="upper", stage_id=stages.MQL.pk)
    lower = lead_create(board_id=board.pk, actor=owner, name="lower", stage_id=stages.MQL.pk)
    Lead.objects.filter(pk=upper.pk).update(position=stem + "1")
    Lead.objects.filter(pk=lower.pk).update(position=stem + "2")
    card = lead_create(board_id=board.pk, actor=owner, name="card")
    before = ranks_of(board)
    response = api.post(
        f"/api/leads/{card.pk}/move/", {"to_stage": stages.MQL.pk, "after": upper.pk}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["position"] and "no room" in response.json()["detail"]
    assert ranks_of(board) == before
    assert not StageTransition.objects.filter(lead=card, to_stage=stages.MQL).exists()
    # One place lower there is room.
    lead_move(lead_id=card.pk, to_stage_id=stages.MQL.pk, actor=owner, after=lower.pk)
    assert order_of(stages.MQL) == [upper.pk, lower.pk, card.pk]


def test_cards_sharing_a_rank_are_ordered_by_id(board, stages, owner, api):
    made = [
        lead_create(board_id=board.pk, actor=owner, name=n, stage_id=stages.SQL.pk) for n in "xyz"
    ]
    Lead.objects.filter(pk__in=[m.pk for m in made]).update(position="a5")
    assert order_of(stages.SQL) == sorted(m.pk for m in made)
    sql = next(
        s
        for s in api.get(f"/api/boards/{board.pk}/state/").json()["stages"]
        if s["id"] == stages.SQL.pk
    )
    assert [c["id"] for c in sql["leads"]] == sorted(m.pk for m in made)
    # A drop between two of them takes their rank: the id places it among them.
    card = lead_create(board_id=board.pk, actor=owner, name="w")
    result = lead_move(lead_id=card.pk, to_stage_id=stages.SQL.pk, actor=owner, after=made[0].pk)
    assert result.lead.position == "a5"


def test_the_database_orders_ranks_by_their_bytes(board, stages, owner):
    # In a language's order "ab" comes before "aZ" and "a0" before "Zz"; by bytes not.
    keys = ["ab", "aZ", "a0", "Y00", "Zz", "ZzV", "a0V", "a0v", "a1", "b00", "A" + "0" * 26 + "1"]
    for key in keys:
        lead = lead_create(board_id=board.pk, actor=owner, name=key, stage_id=stages.SQL.pk)
        Lead.objects.filter(pk=lead.pk).update(position=key)
    stored = list(
        Lead.objects.filter(stage=stages.SQL)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert stored == sorted(keys)
    after = list(
        Lead.objects.filter(stage=stages.SQL, position__gt="aZ").values_list("position", flat=True)
    )
    assert sorted(after) == [k for k in sorted(keys) if k > "aZ"]
    if on_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT collation_name FROM information_schema.columns"
                " WHERE table_name = %s AND column_name = 'position'",
                [Lead._meta.db_table],
            )
            assert cursor.fetchone()[0] == "C"
            cursor.execute("SELECT 'ab' < 'aZ' COLLATE \"und-x-icu\"")  # what C saves us from
            assert cursor.fetchone()[0] is True


def test_campaign_move_puts_the_cards_on_top_in_their_order(board, stages, owner, campaign):
    # New [w2 w1 w0]; MQL [m]  ->  MQL [w2 w1 w0 m]: three rows written, m untouched
    ours = [
        lead_create(board_id=board.pk, actor=owner, name=f"w{n}", campaign_id=campaign.pk)
        for n in range(3)
    ]
    m = lead_create(board_id=board.pk, actor=owner, name="m", stage_id=stages.MQL.pk)
    before = ranks_of(board)
    with LeadWrites() as writes:
        campaign_move(
            campaign_id=campaign.pk,
            from_stage_id=stages.New.pk,
            to_stage_id=stages.MQL.pk,
            actor=owner,
        )
    assert len(writes) == 1  # one bulk statement for the three
    assert order_of(stages.MQL) == [ours[2].pk, ours[1].pk, ours[0].pk, m.pk]
    after = ranks_of(board)
    assert {pk for pk in after if after[pk] != before[pk]} == {o.pk for o in ours}
    ranks = [after[o.pk][1] for o in reversed(ours)]
    assert ranks == sorted(ranks) and ranks[-1] < before[m.pk][1]
    moves = StageTransition.objects.filter(source="campaign").order_by("lead_id")
    assert [t.from_position for t in moves] == [before[o.pk][1] for o in ours]


def test_undo_puts_the_card_back_where_it_was(board, stages, owner):
    # New [a b c]   move b to MQL, then undo -> New [a b c], b at its old rank
    c = lead_create(board_id=board.pk, actor=owner, name="c")
    b = lead_create(board_id=board.pk, actor=owner, name="b")
    a = lead_create(board_id=board.pk, actor=owner, name="a")
    was = Lead.objects.get(pk=b.pk).position
    move = lead_move(lead_id=b.pk, to_stage_id=stages.MQL.pk, actor=owner)
    assert move.transition.from_position == was
    before = ranks_of(board)
    transition_undo(board_id=board.pk, actor=owner, transition_id=move.transition.pk)
    assert order_of(stages.New) == [a.pk, b.pk, c.pk]
    assert Lead.objects.get(pk=b.pk).position == was
    after = ranks_of(board)
    assert {pk for pk in after if after[pk] != before[pk]} == {b.pk}
    reverse = StageTransition.objects.get(reverts=move.transition)
    assert reverse.from_position == move.lead.position


def test_undo_of_a_move_stored_without_its_rank_goes_on_top(board, stages, owner):
    c = lead_create(board_id=board.pk, actor=owner, name="c")
    b = lead_create(board_id=board.pk, actor=owner, name="b")
    move = lead_move(lead_id=b.pk, to_stage_id=stages.MQL.pk, actor=owner)
    StageTransition.objects.filter(pk=move.transition.pk).update(from_position="")  # before 0006
    transition_undo(board_id=board.pk, actor=owner, transition_id=move.transition.pk)
    assert order_of(stages.New) == [b.pk, c.pk]


def test_import_lands_on_top_in_file_order(board, stages, owner):
    first = lead_create(board_id=board.pk, actor=owner, name="first")
    leads_import(board_id=board.pk, actor=owner, data=b"Name\nx\ny\nz\n")
    names = list(
        Lead.objects.filter(stage=stages.New)
        .order_by("position", "id")
        .values_list("name", flat=True)
    )
    assert names == ["x", "y", "z", "first"]
    assert all(rank_valid(r) for r in Lead.objects.values_list("position", flat=True))
    assert Lead.objects.get(pk=first.pk).version == 1


def test_import_move_keeps_the_rank_it_left_for_undo(board, stages, owner):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", email="ada@x.io")
    was = Lead.objects.get(pk=lead.pk).position
    result = leads_import(
        board_id=board.pk, actor=owner, data=b"Email,Name,Stage\nada@x.io,Ada,SQL\n"
    )
    move = StageTransition.objects.get(lead=lead, source="import")
    assert move.from_position == was
    transition_undo(board_id=board.pk, actor=owner, batch=result.batch)
    assert Lead.objects.get(pk=lead.pk).position == was


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_stage_in_order(board, stages, owner):
    """0006 turns float positions into ranks: each stage's (position, id) order stays,
    cards that shared a float get distinct ranks in id order; back, 0.0, 1.0, ..."""
    # Made now: the factories write today's tables, not the old ones.
    other_stage = BoardFactory(created_by=owner).stages.first().pk
    executor = MigrationExecutor(connection)
    executor.migrate([("leads", "0005_bounded_dates_and_text")])
    old = executor.loader.project_state([("leads", "0005_bounded_dates_and_text")]).apps
    OldLead = old.get_model("leads", "Lead")
    now = timezone.now()
    floats = {
        stages.New.pk: [3.5, -2.0, 0.0, 0.0, 1e-7, 1e9, -1e-9],
        stages.MQL.pk: [7.0, 7.0, 2.25],
    }
    for stage_id, positions in floats.items():
        for n, position in enumerate(positions):
            OldLead.objects.create(
                board_id=board.pk,
                stage_id=stage_id,
                name=f"{stage_id}-{n}",
                position=position,
                stage_entered_at=now,
                created_at=now,
            )
    expected = {
        stage_id: list(
            OldLead.objects.filter(stage_id=stage_id)
            .order_by("position", "id")
            .values_list("id", flat=True)
        )
        for stage_id in floats
    }

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for stage_id, ids in expected.items():
        ranks = list(
            Lead.objects.filter(stage_id=stage_id)
            .order_by("position", "id")
            .values_list("id", "position")
        )
        assert [pk for pk, _ in ranks] == ids
        assert [rank for _, rank in ranks] == [rank_of_index(i) for i in range(len(ids))]
    assert set(StageTransition.objects.values_list("from_position", flat=True)) <= {""}

    executor = MigrationExecutor(connection)
    executor.migrate([("leads", "0005_bounded_dates_and_text")])
    old = executor.loader.project_state([("leads", "0005_bounded_dates_and_text")]).apps
    for stage_id, ids in expected.items():
        back = (
            old.get_model("leads", "Lead")
            .objects.filter(stage_id=stage_id)
            .order_by("position", "id")
        )
        assert list(back.values_list("id", "position")) == [
            (pk, float(i)) for i, pk in enumerate(ids)
        ]
    assert stage_of_another_board_refused(old.get_model("leads", "Lead"), board, other_stage)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert [pk for pk in order_of(stages.New)] == expected[stages.New.pk]
    assert stage_of_another_board_refused(Lead, board, other_stage)


def stage_of_another_board_refused(model, board, other_stage: int) -> bool:
    """The database still keeps a lead's stage on its board (0002's constraints or,
    on SQLite, triggers, which a rebuilt table loses)."""
    lead = model.objects.filter(board_id=board.pk).first()
    try:
        with transaction.atomic():
            model.objects.filter(pk=lead.pk).update(stage_id=other_stage)
    except IntegrityError:
        return True
    return False


def test_the_state_pages_a_stage_by_rank(board, stages, owner):
    # New [60 cards]: pages of 25 follow (rank, id) with ranks in the cursor.
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            board=board,
            stage=stages.New,
            name=f"n{i}",
            position=rank_of_index(i // 2),
            stage_entered_at=now,
            created_at=now,
        )
        for i in range(60)
    )
    api = client_for(owner)
    seen, cursor = [], None
    while True:
        query = f"?stage={stages.New.pk}&per_stage=25" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(f"/api/boards/{board.pk}/state/{query}").json()["stages"][0]
        seen += [c["id"] for c in page["leads"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == order_of(stages.New)
