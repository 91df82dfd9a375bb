"""A team sets up its own board: templates, rename, currency, archive and restore,
copy set-up, delete, the demo board to join. Through the services and the REST
API, with who may do what, what each refusal names, and the ``board.updated``
event every change stores (checked against the one schema)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from funnel.meetings import meeting_start
from funnel.models import Meeting, ShareLink
from funnel.sharing import share_link_create
from leads.access import ARCHIVED
from leads.board_templates import BOARD_TEMPLATES
from leads.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from leads.events.schema import stored_event_adapter
from leads.models import (
    Board,
    BoardEvent,
    BoardMembership,
    Campaign,
    Lead,
    LeadFeedback,
    RejectionReason,
    Role,
    Stage,
    StageKind,
    StageTransition,
    Team,
    Webhook,
)
from leads.services import (
    board_copy,
    board_create,
    board_delete,
    board_demo_join,
    board_update,
    campaign_create,
    lead_create,
    lead_feedback_record,
    lead_move,
    rejection_reasons_set,
)
from leads.services.webhooks import webhook_create
from tests.conftest import client_for
from tests.factories import BoardFactory, UserFactory

pytestmark = pytest.mark.django_db


def error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "detail" in body, body
    if field:
        assert field in body, body
    return body


def stage_rows(board) -> list[tuple]:
    return list(
        Stage.objects.filter(board=board)
        .order_by("position")
        .values_list("name", "kind", "team", "sla_days")
    )


def events_of(board) -> list[dict]:
    board.refresh_from_db()
    answer = client_for(board.memberships.get(role=Role.OWNER).user).get(
        f"/api/boards/{board.pk}/events/?limit=1000"
    )
    assert answer.status_code == 200
    for event in answer.json()["events"]:
        stored_event_adapter.validate_python(event)  # every one fits the one schema
    return answer.json()["events"]


# --- Templates ---


SALESFORCE = [
    ("Open - Not Contacted", "open", "sales", 2),
    ("Working - Contacted", "open", "sales", 7),
    ("Qualified", "open", "sales", 14),
    ("Proposal", "open", "sales", 14),
    ("Negotiation", "open", "sales", 21),
    ("Closed Won", "won", "sales", None),
    ("Closed Lost", "lost", "sales", None),
]


def test_every_template_is_a_whole_funnel():
    assert list(BOARD_TEMPLATES) == ["b2b", "hubspot-lifecycle", "salesforce", "blank"]
    names = {tid: [s["name"] for s in t.stages] for tid, t in BOARD_TEMPLATES.items()}
    assert names == {
        "b2b": ["New", "MQL", "SQL", "Opportunity", "Won", "Lost"],
        "hubspot-lifecycle": [
            *("Subscriber", "Lead", "MQL", "SQL", "Opportunity", "Customer", "Lost"),
        ],
        "salesforce": [name for name, *_ in SALESFORCE],
        "blank": ["New", "Won", "Lost"],
    }
    for template in BOARD_TEMPLATES.values():
        kinds = [s["kind"] for s in template.stages]
        assert kinds.count(StageKind.WON) == kinds.count(StageKind.LOST) == 1
        assert kinds[-2:] == [StageKind.WON, StageKind.LOST]  # the funnel ends there
        for stage in template.stages:
            assert stage["team"] in ("marketing", "sales")
            # An SLA where a lead is worked on; none where it rests.
            if stage["kind"] == StageKind.OPEN:
                assert stage["sla_days"] and stage["sla_days"] >= 1
            else:
                assert stage["sla_days"] is None
        assert template.description


def test_the_templates_are_listed_by_the_api(owner):
    answer = client_for(owner).get("/api/board-templates/")
    assert answer.status_code == 200
    listed = {t["id"]: t for t in answer.json()}
    assert list(listed) == list(BOARD_TEMPLATES)
    assert listed["salesforce"]["name"] == "Salesforce lead and opportunity stages"
    assert [tuple(s.values()) for s in listed["salesforce"]["stages"]] == SALESFORCE
    assert set(listed["blank"]["stages"][0]) == {"name", "kind", "team", "sla_days"}


def test_a_board_from_a_template_has_its_stages_and_is_the_creators(owner):
    board = board_create(name="  EMEA pipeline ", template="salesforce", created_by=owner)
    assert board.name == "EMEA pipeline"
    assert board.currency == "USD" and board.archived_at is None
    assert stage_rows(board) == SALESFORCE
    assert board.memberships.get().role == Role.OWNER
    # Without a template or stages: the b2b funnel.
    default = board_create(name="Default", created_by=owner)
    assert [row[0] for row in stage_rows(default)] == [
        "New",
        "MQL",
        "SQL",
        "Opportunity",
        "Won",
        "Lost",
    ]


def test_post_boards_with_a_template(owner):
    answer = client_for(owner).post(
        "/api/boards/", {"name": "Lifecycle", "template": "hubspot-lifecycle"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert [s["name"] for s in body["stages"]][:3] == ["Subscriber", "Lead", "MQL"]
    assert body["currency"] == "USD" and body["archived"] is False
    assert body["me"]["role"] == "owner"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "\u200b"}, "name"),  # a zero-width space is no name
        ({"name": "x" * 201}, "name"),
        ({}, "name"),
        ({"name": "Board", "template": "pipedrive"}, "template"),
        ({"name": "Board", "template": ""}, "template"),
        (
            {"name": "Board", "template": "b2b", "stages": [{"name": "New", "kind": "open"}]},
            "template",
        ),
    ],
)
def test_post_boards_refuses_bad_input_naming_the_field(owner, body, field):
    before = Board.objects.count()
    body = error(client_for(owner).post("/api/boards/", body, format="json"), 400, field)
    assert Board.objects.count() == before  # nothing half made


def test_the_service_names_the_field_too(owner):
    with pytest.raises(InvalidInput) as unknown:
        board_create(name="B", template="nope", created_by=owner)
    assert unknown.value.field == "template"
    assert "b2b, hubspot-lifecycle, salesforce, blank" in unknown.value.detail
    with pytest.raises(InvalidInput) as both:
        board_create(name="B", template="blank", stages=[{"name": "x"}], created_by=owner)
    assert both.value.field == "template"
    with pytest.raises(InvalidInput) as blank:
        board_create(name=" ", template="blank", created_by=owner)
    assert blank.value.field == "name"
    assert not Board.objects.exists()


# --- Rename, currency ---


def test_the_owner_renames_the_board_and_every_browser_hears_it(
    board, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as published:
        answer = client_for(owner).patch(
            f"/api/boards/{board.pk}/", {"name": "EMEA pipeline"}, format="json"
        )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["name"] == "EMEA pipeline"
    assert len(body["stages"]) == 6
    event = body["event"]
    assert event["type"] == "board.updated"
    assert event["board"] == {
        "id": board.pk,
        "name": "EMEA pipeline",
        "currency": "USD",
        "archived": False,
    }
    assert event["fields"] == ["name"]
    assert event["actor"]["username"] == "olivia"
    assert published  # sent to the board's sockets after commit
    assert events_of(board)[-1] == event  # the answer carries exactly what the log holds
    board.refresh_from_db()
    assert board.name == "EMEA pipeline" and board.last_seq == event["seq"]
    assert body["last_seq"] == event["seq"]


def test_currency_takes_iso_codes_in_use(board, owner):
    api = client_for(owner)
    answer = api.patch(f"/api/boards/{board.pk}/", {"currency": "eur"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["currency"] == "EUR"
    assert answer.json()["event"]["fields"] == ["currency"]
    assert answer.json()["event"]["board"]["currency"] == "EUR"
    state = api.get(f"/api/boards/{board.pk}/state/").json()
    assert state["board"]["currency"] == "EUR" and state["board"]["archived"] is False
    for bad in ("EURO", "XYZ", "", "DEM", 12, None):  # DEM: no longer in use
        body = error(
            api.patch(f"/api/boards/{board.pk}/", {"currency": bad}, format="json"),
            400,
            "currency",
        )
        assert body["detail"]
    board.refresh_from_db()
    assert board.currency == "EUR"


def test_name_and_currency_at_once_are_one_event_and_no_change_is_none(board, owner):
    api = client_for(owner)
    both = api.patch(
        f"/api/boards/{board.pk}/", {"name": "Nordics", "currency": "SEK"}, format="json"
    ).json()
    assert both["event"]["fields"] == ["name", "currency"]
    seq = both["last_seq"]
    same = api.patch(
        f"/api/boards/{board.pk}/", {"name": "Nordics", "currency": "SEK"}, format="json"
    )
    assert same.status_code == 200 and same.json()["event"] is None
    board.refresh_from_db()
    assert board.last_seq == seq  # nothing changed, no seq taken


def test_a_refused_change_changes_nothing(board, owner):
    api = client_for(owner)
    # A good name with a bad currency: neither is kept.
    error(
        api.patch(f"/api/boards/{board.pk}/", {"name": "New", "currency": "??"}, format="json"),
        400,
        "currency",
    )
    error(api.patch(f"/api/boards/{board.pk}/", {"name": ""}, format="json"), 400, "name")
    error(api.patch(f"/api/boards/{board.pk}/", {"slug": "x"}, format="json"), 400, "slug")
    board.refresh_from_db()
    assert board.name == "Q4 Pipeline" and board.currency == "USD" and board.last_seq == 0


def test_only_the_owner_changes_the_board(board, owner, editor, viewer, outsider):
    board.refresh_from_db()
    seq = board.last_seq  # the members' arrivals are events too
    for user, status in ((editor, 403), (viewer, 403), (outsider, 404)):
        api = client_for(user)
        for body in ({"name": "Mine"}, {"currency": "EUR"}, {"archived": True}):
            error(api.patch(f"/api/boards/{board.pk}/", body, format="json"), status)
    error(client_for(None).patch(f"/api/boards/{board.pk}/", {"name": "x"}, format="json"), 401)
    with pytest.raises(PermissionDenied, match="owner"):
        board_update(board_id=board.pk, actor=editor, name="Mine")
    board.refresh_from_db()
    assert (board.name, board.currency, board.archived_at, board.last_seq) == (
        "Q4 Pipeline",
        "USD",
        None,
        seq,
    )


# --- Archive and restore ---


def test_an_archived_board_is_read_only_until_restored(board, owner, editor, stages, campaign):
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada")
    api = client_for(owner)
    archived = api.patch(f"/api/boards/{board.pk}/", {"archived": True}, format="json").json()
    assert archived["archived"] is True
    assert archived["event"]["fields"] == ["archived"]
    assert archived["event"]["board"]["archived"] is True
    board.refresh_from_db()
    assert board.archived_at is not None
    # Every write is refused, with one clear message: REST, services, the owner too.
    editor_api = client_for(editor)
    for response in (
        editor_api.post("/api/leads/", {"board": board.pk, "name": "Bob"}, format="json"),
        editor_api.post(f"/api/leads/{lead.pk}/move/", {"to_stage": stages.MQL.pk}, format="json"),
        editor_api.patch(f"/api/leads/{lead.pk}/", {"score": 3}, format="json"),
        api.post("/api/campaigns/", {"board": board.pk, "name": "Ads"}, format="json"),
        api.post(
            f"/api/campaigns/{campaign.pk}/move/",
            {"from_stage": stages.New.pk, "to_stage": stages.MQL.pk},
            format="json",
        ),
        api.patch(f"/api/boards/{board.pk}/", {"name": "Renamed"}, format="json"),
        api.patch(f"/api/boards/{board.pk}/", {"currency": "EUR"}, format="json"),
    ):
        assert error(response, 409)["detail"] == ARCHIVED
    for write in (
        lambda: lead_move(lead_id=lead.pk, to_stage_id=stages.MQL.pk, actor=owner),
        lambda: lead_create(board_id=board.pk, actor=None, name="by a script"),
        lambda: rejection_reasons_set(board_id=board.pk, actor=owner, reasons=["x"]),
        lambda: webhook_create(board_id=board.pk, actor=owner, url="https://hooks.example.com"),
    ):
        with pytest.raises(Conflict, match="archived"):
            write()
    # Reads go on.
    assert api.get(f"/api/boards/{board.pk}/state/").json()["board"]["archived"] is True
    assert Lead.objects.filter(board=board).count() == 1
    # Restoring (with a rename in the same call) opens it again.
    restored = api.patch(
        f"/api/boards/{board.pk}/", {"archived": False, "name": "Back"}, format="json"
    ).json()
    assert restored["archived"] is False and restored["name"] == "Back"
    assert restored["event"]["fields"] == ["name", "archived"]
    moved = editor_api.post(
        f"/api/leads/{lead.pk}/move/", {"to_stage": stages.MQL.pk}, format="json"
    )
    assert moved.status_code == 200
    types = [e["type"] for e in events_of(board)]
    assert types.count("board.updated") == 2


def test_only_the_owner_restores(board, owner, editor):
    board_update(board_id=board.pk, actor=owner, archived=True)
    error(
        client_for(editor).patch(f"/api/boards/{board.pk}/", {"archived": False}, format="json"),
        403,
    )
    board.refresh_from_db()
    assert board.archived_at is not None


def test_archived_boards_are_listed_with_their_flag(board, owner):
    other = BoardFactory(name="Active", created_by=owner)
    board_update(board_id=board.pk, actor=owner, archived=True)
    listed = {b["name"]: b["archived"] for b in client_for(owner).get("/api/boards/").json()}
    assert listed == {"Q4 Pipeline": True, other.name: False}


# --- Delete ---


def full_board(board, owner, editor, stages, campaign):
    """Something of everything on the board: leads, moves, verdicts, events,
    webhooks, share links, a meeting, reasons."""
    lead = lead_create(board_id=board.pk, actor=owner, name="Ada", campaign_id=campaign.pk)
    lead_move(lead_id=lead.pk, to_stage_id=stages.SQL.pk, actor=owner)
    lead_feedback_record(lead_id=lead.pk, actor=editor, verdict="accepted")
    rejection_reasons_set(board_id=board.pk, actor=owner, reasons=["Too small"])
    webhook_create(board_id=board.pk, actor=owner, url="https://hooks.example.com/x")
    share_link_create(board_id=board.pk, actor=owner)
    meeting_start(board_id=board.pk, actor=owner)


def test_delete_needs_the_boards_name(board, owner, editor, stages, campaign):
    full_board(board, owner, editor, stages, campaign)
    api = client_for(owner)
    for body in (None, {}, {"confirm": ""}, {"confirm": "q4 pipeline"}, {"confirm": "yes"}):
        response = api.delete(f"/api/boards/{board.pk}/", body, format="json")
        error(response, 400, "confirm")
    body = error(
        api.delete(f"/api/boards/{board.pk}/", {"confirm": "Q4"}, format="json"), 400, "confirm"
    )
    assert "Q4 Pipeline" in body["detail"]  # it says what to type
    assert Board.objects.filter(pk=board.pk).exists()
    assert Lead.objects.filter(board=board).count() == 1


def test_only_the_owner_deletes(board, owner, editor, viewer, outsider):
    for user, status in ((editor, 403), (viewer, 403), (outsider, 404)):
        response = client_for(user).delete(
            f"/api/boards/{board.pk}/", {"confirm": "Q4 Pipeline"}, format="json"
        )
        error(response, status)
    assert Board.objects.filter(pk=board.pk).exists()


def test_the_owner_deletes_the_board_with_everything_on_it(board, owner, editor, stages, campaign):
    full_board(board, owner, editor, stages, campaign)
    other = BoardFactory(name="Other", created_by=owner)
    kept = lead_create(board_id=other.pk, actor=owner, name="Stays")
    board_update(board_id=board.pk, actor=owner, archived=True)  # archived boards go too
    response = client_for(owner).delete(
        f"/api/boards/{board.pk}/", {"confirm": " Q4 Pipeline "}, format="json"
    )
    assert response.status_code == 204, response.content
    assert not Board.objects.filter(pk=board.pk).exists()
    for model in (Lead, StageTransition, Campaign, BoardEvent, BoardMembership, Webhook):
        assert not model.objects.filter(board_id=board.pk).exists(), model
    assert not Stage.all_objects.filter(board_id=board.pk).exists()
    assert not LeadFeedback.objects.exists()
    assert not ShareLink.objects.filter(board_id=board.pk).exists()
    assert not Meeting.objects.filter(board_id=board.pk).exists()
    assert not RejectionReason.objects.filter(board_id=board.pk).exists()
    # Another board is untouched.
    assert Lead.objects.get(pk=kept.pk).board_id == other.pk
    assert client_for(owner).get(f"/api/boards/{board.pk}/").status_code == 404
    with pytest.raises(NotFound):
        board_delete(board_id=board.pk, actor=owner, confirm="Q4 Pipeline")


# --- Copy set-up ---


def test_copy_set_up_takes_stages_reasons_and_campaigns_but_no_leads(
    board, owner, editor, stages, campaign
):
    full_board(board, owner, editor, stages, campaign)
    Stage.objects.filter(pk=stages.MQL.pk).update(sla_days=3, wip_limit=40, color="#123456")
    Stage.objects.filter(pk=stages.Opportunity.pk).update(removed_at=timezone.now(), position=99)
    board_update(board_id=board.pk, actor=owner, currency="EUR")
    ads = campaign_create(
        board_id=board.pk,
        actor=owner,
        name="Ads",
        channel="paid",
        cost=Decimal("1234.50"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 3, 31),
        color="#abcdef",
        external_id="utm-ads",
    )
    Campaign.objects.filter(pk=ads.pk).update(archived_at=timezone.now())
    seq = Board.objects.get(pk=board.pk).last_seq

    answer = client_for(editor).post(
        f"/api/boards/{board.pk}/copy/", {"name": "Q1 Pipeline"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    copy = Board.objects.get(pk=body["id"])
    assert body["name"] == "Q1 Pipeline" and body["currency"] == "EUR"
    assert body["me"] == {"role": "owner", "team": "sales", "may_judge": True}
    fields = ("name", "position", "kind", "team", "sla_days", "wip_limit", "color")
    assert list(Stage.objects.filter(board=copy).values_list(*fields)) == list(
        Stage.objects.filter(board=board).values_list(*fields)
    )  # the live stages only: a removed one stays behind
    assert "Opportunity" not in [s["name"] for s in body["stages"]]
    assert RejectionReason.labels_of(copy.pk) == ["Too small"]
    campaign_fields = (
        "name",
        "channel",
        "cost",
        "starts_on",
        "ends_on",
        "color",
        "external_id",
        "archived_at",
    )
    assert list(copy.campaigns.order_by("name").values_list(*campaign_fields)) == list(
        board.campaigns.order_by("name").values_list(*campaign_fields)
    )
    assert not Lead.objects.filter(board=copy).exists()
    assert not BoardEvent.objects.filter(board=copy).exists() and copy.last_seq == 0
    assert list(copy.memberships.values_list("user__username", "role")) == [("dana", "owner")]
    # The board copied from is as it was.
    assert Board.objects.get(pk=board.pk).last_seq == seq
    assert Lead.objects.filter(board=board).count() == 1


def test_copy_refusals(board, owner, outsider):
    api = client_for(owner)
    for bad in ("", "   ", "x" * 201):
        error(api.post(f"/api/boards/{board.pk}/copy/", {"name": bad}, format="json"), 400, "name")
    error(client_for(outsider).post(f"/api/boards/{board.pk}/copy/", {"name": "Mine"}), 404)
    with pytest.raises(NotFound):
        board_copy(board_id=board.pk, actor=outsider, name="Mine")
    assert Board.objects.count() == 1
    # An archived board can be copied: copying only reads it.
    board_update(board_id=board.pk, actor=owner, archived=True)
    copy = board_copy(board_id=board.pk, actor=owner, name="Fresh start")
    assert copy.archived_at is None and copy.stages.count() == 6


# --- The demo board ---


def test_a_new_user_joins_the_demo_board_as_a_viewer(board, owner, settings):
    settings.DEMO_BOARD = board.slug
    newcomer = UserFactory(username="newcomer", first_name="New", last_name="Comer")
    joined = board_demo_join(user=newcomer)
    assert joined.pk == board.pk
    membership = BoardMembership.objects.get(board=board, user=newcomer)
    assert (membership.role, membership.team) == (Role.VIEWER, Team.MANAGEMENT)
    event = events_of(board)[-1]
    assert event["type"] == "member.joined"
    assert event["member"]["username"] == "newcomer" and event["member"]["role"] == "viewer"
    # Again: nothing new. A member keeps their role.
    board_demo_join(user=newcomer)
    board_demo_join(user=owner)
    assert BoardMembership.objects.get(board=board, user=owner).role == Role.OWNER
    assert [e["type"] for e in events_of(board)].count("member.joined") == 1


def test_no_demo_board_to_join_unless_one_is_named_and_open(board, owner, settings):
    newcomer = UserFactory(username="newcomer")
    settings.DEMO_BOARD = ""
    with pytest.raises(NotFound):
        board_demo_join(user=newcomer)
    settings.DEMO_BOARD = "no-such-board"
    with pytest.raises(NotFound):
        board_demo_join(user=newcomer)
    settings.DEMO_BOARD = board.slug
    board_update(board_id=board.pk, actor=owner, archived=True)
    with pytest.raises(NotFound):
        board_demo_join(user=newcomer)
    assert not BoardMembership.objects.filter(user=newcomer).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deleting_a_board_while_cards_move_never_deadlocks(board, owner, stages):
    from django.db import connection

    from tests.leads.test_concurrency import run_in_threads

    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency are tested on PostgreSQL")
    leads = [lead_create(board_id=board.pk, actor=owner, name=f"L{i}").pk for i in range(12)]
    targets = [stages.MQL.pk, stages.SQL.pk, stages.Opportunity.pk, stages.New.pk]

    def work(index: int):
        if index == 0:
            return board_delete(board_id=board.pk, actor=owner, confirm="Q4 Pipeline")
        done = []
        for n in range(6):
            try:
                done.append(
                    lead_move(
                        lead_id=leads[(index + n) % len(leads)],
                        to_stage_id=targets[(index + n) % len(targets)],
                        actor=owner,
                    )
                )
            except (NotFound, InvalidInput) as gone:  # the board went first
                done.append(gone)
        return done

    results = run_in_threads(6, work)
    assert results[0] is None, results[0]  # the delete went through
    for moves in results[1:]:
        assert isinstance(moves, list), moves  # no deadlock, no other error
    assert not Board.objects.filter(pk=board.pk).exists()
    assert not Lead.objects.filter(pk__in=leads).exists()
