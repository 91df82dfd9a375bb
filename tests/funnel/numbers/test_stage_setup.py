"""The numbers follow the board's stages as the owner sets them up: a new order at
once, a new stage at once, a renamed one under its new name with its past, and a
removed one out of the funnel while its transitions stay in the history."""

from __future__ import annotations

import pytest

from leads.models import StageTransition
from leads.services import lead_create, lead_move
from leads.services.stages import stage_create, stage_delete, stage_update, stages_reorder


@pytest.fixture
def funnel(api, board):
    def read() -> tuple[list[str], dict[str, dict]]:
        answer = api.get(f"/api/boards/{board.pk}/funnel/")
        assert answer.status_code == 200, answer.content
        stages = answer.json()["stages"]
        return [s["name"] for s in stages], {s["name"]: s for s in stages}

    return read


@pytest.fixture
def leads(board, stages, owner):
    # Ada: New -> MQL;  Bo: New -> SQL;  Cy: New
    ada, bo, cy = (lead_create(board_id=board.pk, actor=owner, name=n) for n in ("Ada", "Bo", "Cy"))
    lead_move(lead_id=ada.pk, to_stage_id=stages.MQL.pk, actor=owner)
    lead_move(lead_id=bo.pk, to_stage_id=stages.SQL.pk, actor=owner)
    return ada, bo, cy


def test_a_new_order_counts_at_once(board, stages, owner, leads, funnel):
    names, by = funnel()
    assert names == ["New", "MQL", "SQL", "Opportunity", "Won", "Lost"]
    # Bo skipped MQL: passing it counts.
    assert [by[n]["reached"] for n in ("New", "MQL", "SQL")] == [3, 2, 1]
    assert by["New"]["conversion_to_next"] == pytest.approx(2 / 3)

    # SQL before MQL: Ada (in MQL, now the later stage) reached SQL by passing it.
    order = [stages.New.pk, stages.SQL.pk, stages.MQL.pk, stages.Opportunity.pk]
    stages_reorder(board_id=board.pk, actor=owner, stages=[*order, stages.Won.pk, stages.Lost.pk])
    names, by = funnel()
    assert names == ["New", "SQL", "MQL", "Opportunity", "Won", "Lost"]
    assert [by[n]["reached"] for n in ("New", "SQL", "MQL")] == [3, 2, 1]
    assert by["SQL"]["conversion_to_next"] == pytest.approx(1 / 2)


def test_a_new_stage_and_a_rename(board, stages, owner, leads, funnel):
    stage_create(board_id=board.pk, actor=owner, name="Demo", after=stages.SQL.pk)
    stage_update(stage_id=stages.MQL.pk, actor=owner, name="Qualified")
    names, by = funnel()
    assert names == ["New", "Qualified", "SQL", "Demo", "Opportunity", "Won", "Lost"]
    assert by["Qualified"]["reached"] == 2  # MQL's past is the renamed stage's
    assert by["Demo"]["reached"] == 0


def test_a_removed_stage_leaves_the_funnel_not_the_history(board, stages, owner, leads, funnel):
    ada, _bo, _cy = leads
    stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.New.pk)
    names, by = funnel()
    assert names == ["New", "SQL", "Opportunity", "Won", "Lost"]
    assert [by[n]["reached"] for n in ("New", "SQL")] == [3, 1]
    assert StageTransition.objects.filter(lead=ada, to_stage=stages.MQL).exists()
    assert by["New"]["current"] == 2  # Ada is back in New, Cy never left
