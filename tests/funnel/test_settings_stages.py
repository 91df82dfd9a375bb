"""The settings page's stages section: the owner edits every field, adds, deletes
(saying where the leads go) and reorders (a drag posts the order; up and down
buttons for the keyboard); a refusal is readable and changes nothing; others read."""

from __future__ import annotations

import pytest
from django.test import Client

from leads.models import BoardEvent, Lead, Stage
from leads.services import lead_create


@pytest.fixture
def login():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def url(board) -> str:
    return f"/boards/{board.pk}/settings/"


def names(board) -> list[str]:
    return list(board.stages.order_by("position").values_list("name", flat=True))


def fields(stage, **changes) -> dict:
    values = {
        "action": "stage-update",
        "stage": stage.pk,
        "name": stage.name,
        "kind": stage.kind,
        "team": stage.team,
        "sla_days": stage.sla_days or "",
        "wip_limit": stage.wip_limit or "",
        "color": stage.color,
    }
    return {**values, **changes}


def test_the_owner_sees_every_field_and_the_drag_script(board, stages, owner, login):
    html = login(owner).get(url(board)).content.decode()
    assert 'id="stages"' in html
    assert f'id="stage-{stages.MQL.pk}-sla"' in html and f'id="stage-{stages.MQL.pk}-wip"' in html
    assert 'src="/static/dist/settings.js"' in html
    assert f'aria-label="Move {stages.MQL.name} up"' in html
    assert f'value="after:{stages.MQL.pk}">After MQL<' in html  # the add form offers places


def test_others_read_the_stages(board, stages, editor, login):
    client = login(editor)
    html = client.get(url(board)).content.decode()
    assert "Only the board's owner can change the stages." in html
    assert f'id="stage-{stages.MQL.pk}-name"' not in html and "settings.js" not in html
    before = list(Stage.objects.values_list())
    answer = client.post(url(board), fields(stages.MQL, name="Mine"))
    assert answer.status_code == 403
    assert list(Stage.objects.values_list()) == before


def test_edit_a_stage(board, stages, owner, login):
    answer = login(owner).post(
        url(board),
        fields(stages.MQL, name="Qualified", sla_days="3", wip_limit="9", color="#123456"),
    )
    assert answer.status_code == 303 and answer["Location"].endswith("#stages")
    mql = Stage.objects.get(pk=stages.MQL.pk)
    assert (mql.name, mql.sla_days, mql.wip_limit, mql.color) == ("Qualified", 3, 9, "#123456")
    assert BoardEvent.objects.filter(board=board, type="stage.updated").count() == 1
    # Emptied limits are none again.
    login(owner).post(url(board), fields(mql, sla_days="", wip_limit=""))
    mql.refresh_from_db()
    assert (mql.sla_days, mql.wip_limit) == (None, None)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"name": "sql"}, "already has a stage named"),
        ({"sla_days": "0"}, "An SLA is at least 1 day"),
        ({"wip_limit": "-2"}, "A WIP limit is at least 1 lead"),
        ({"wip_limit": "many"}, "WIP limit: Enter a whole number."),
        ({"color": "red"}, "A colour is written #rrggbb"),
        ({"kind": "won"}, "at most one won"),
    ],
)
def test_refusals_are_readable_and_change_nothing(board, stages, owner, login, changes, words):
    before = list(Stage.objects.order_by("id").values_list())
    answer = login(owner).post(url(board), fields(stages.MQL, **changes))
    assert answer.status_code == 400
    assert words in answer.content.decode()
    assert list(Stage.objects.order_by("id").values_list()) == before


def test_add_a_stage_where_asked(board, stages, owner, login):
    client = login(owner)
    base = {
        "action": "stage-create",
        "kind": "open",
        "team": "sales",
        "sla_days": "",
        "wip_limit": "4",
    }
    assert client.post(url(board), {**base, "name": "Demo"}).status_code == 303
    assert names(board) == ["New", "MQL", "SQL", "Opportunity", "Demo", "Won", "Lost"]
    assert (
        client.post(
            url(board), {**base, "name": "Nurture", "place": f"after:{stages.New.pk}"}
        ).status_code
        == 303
    )
    assert names(board)[:3] == ["New", "Nurture", "MQL"]
    assert Stage.objects.get(name="Demo").wip_limit == 4
    refused = client.post(url(board), {**base, "name": "Late", "place": f"after:{stages.Won.pk}"})
    assert (
        refused.status_code == 400
        and "Open stages come before Won and Lost." in refused.content.decode()
    )
    assert client.post(url(board), {**base, "name": "X", "place": "nowhere"}).status_code == 400


def test_delete_a_stage_and_its_leads_go_where_told(board, stages, owner, login):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", stage_id=stages.MQL.pk)
    client = login(owner)
    refused = client.post(url(board), {"action": "stage-delete", "stage": stages.MQL.pk})
    assert refused.status_code == 400 and "holds 1 lead" in refused.content.decode()
    answer = client.post(
        url(board), {"action": "stage-delete", "stage": stages.MQL.pk, "move_to": stages.SQL.pk}
    )
    assert answer.status_code == 303
    assert "MQL" not in names(board)
    assert Lead.objects.get(pk=lead.pk).stage_id == stages.SQL.pk
    refused = client.post(url(board), {"action": "stage-delete", "stage": stages.Won.pk})
    assert refused.status_code == 400


def test_reorder_by_buttons_and_by_a_posted_order(board, stages, owner, login):
    client = login(owner)
    assert (
        client.post(url(board), {"action": "stage-down", "stage": stages.New.pk}).status_code == 303
    )
    assert names(board)[:2] == ["MQL", "New"]
    assert (
        client.post(url(board), {"action": "stage-up", "stage": stages.New.pk}).status_code == 303
    )
    assert names(board)[:2] == ["New", "MQL"]
    # Already first: nothing to do.
    assert (
        client.post(url(board), {"action": "stage-up", "stage": stages.New.pk}).status_code == 303
    )
    # Won below Lost is refused: an open stage below a closed one.
    refused = client.post(url(board), {"action": "stage-down", "stage": stages.Opportunity.pk})
    assert refused.status_code == 400
    order = [stages.SQL, stages.New, stages.MQL, stages.Opportunity, stages.Lost, stages.Won]
    posted = client.post(
        url(board), {"action": "stages-order", "stages": ",".join(str(s.pk) for s in order)}
    )
    assert posted.status_code == 303
    assert names(board) == ["SQL", "New", "MQL", "Opportunity", "Lost", "Won"]
    for bad in ("1,2", "x,y", ""):
        assert client.post(url(board), {"action": "stages-order", "stages": bad}).status_code == 400
