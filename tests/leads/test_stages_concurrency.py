"""A stage removed while others write on PostgreSQL: moves, an import and stage
changes racing a removal never leave a lead in the removed stage, never deadlock,
and the seq stays gapless."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from leads.errors import ServiceError
from leads.models import BoardEvent, Lead, Stage
from leads.services import lead_create, lead_move
from leads.services.imports import leads_import
from leads.services.stages import stage_create, stage_delete, stage_update
from tests.leads.test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency are tested on PostgreSQL")


@pytest.mark.parametrize("seed", range(3))
def test_a_removal_racing_moves_and_an_import(board, stages, owner, seed):
    rng = random.Random(seed)
    leads = [
        lead_create(board_id=board.pk, actor=owner, name=f"L{n}", email=f"l{n}@example.com")
        for n in range(12)
    ]
    for lead in leads[:6]:
        lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner)
    rows = "\n".join(f"L{n},l{n}@example.com,MQL" for n in range(6, 12))
    data = f"Name,Email,Stage\n{rows}\n".encode()

    def work(index: int):
        if index == 0:
            return stage_delete(stage_id=stages.MQL.pk, actor=owner, move_to=stages.SQL.pk)
        if index == 1:
            return leads_import(board_id=board.pk, actor=owner, data=data)
        if index == 2:
            return stage_update(stage_id=stages.SQL.pk, actor=owner, wip_limit=rng.randint(1, 9))
        if index == 3:
            return stage_create(board_id=board.pk, actor=owner, name=f"Extra {seed}")
        lead = leads[rng.randrange(len(leads))]
        try:
            return lead_move(
                lead_id=lead.pk,
                to_stage_id=rng.choice([stages.MQL, stages.New, stages.Opportunity]).pk,
                actor=owner,
            )
        except ServiceError as refused:  # MQL gone already: a readable refusal
            return refused

    results = run_in_threads(8, work)

    problems = [r for r in results if isinstance(r, Exception) and not isinstance(r, ServiceError)]
    assert not problems, problems
    assert not isinstance(results[0], Exception), results[0]
    assert not Stage.objects.filter(pk=stages.MQL.pk).exists()
    assert not Lead.objects.filter(stage_id=stages.MQL.pk).exists()
    seqs = list(
        BoardEvent.objects.filter(board=board).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, len(seqs) + 1))
