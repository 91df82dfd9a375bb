"""Random histories of every write a board knows, made through the REST API as
browsers and scripts make them: what the contract test replays.

A history is a list of ``Step`` (the write's name, the board's seq after it, the
event its answer carried) and, per filter of the run, the state ``/state/``
answered after each step. Writes the server refuses (nothing left to undo, a
campaign name taken) leave no step.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from leads.api.views import BoardStateApi
from leads.models import (
    Board,
    BoardEvent,
    Lead,
    Stage,
    StageKind,
    StageTransition,
    TransitionSource,
)
from tests.conftest import client_for

STATE_VIEW = BoardStateApi.as_view()
NAMES = ("Ada", "bob", "Émile", "Zoë", "carla", "Dev", "ünal", "Yu")


@dataclass
class Step:
    write: str
    seq: int
    answer_event: dict[str, Any] | None = None  # the stored event the write's answer carried


@dataclass
class History:
    board: Board
    owner: Any
    sales: Any
    rng: random.Random
    searches: tuple[str, ...]
    steps: list[Step] = field(default_factory=list)
    states: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    clients: dict[bool, APIClient] = field(default_factory=dict)

    def client(self, sales: bool = False) -> APIClient:
        # One client each: a new one loads the middleware (and WhiteNoise's files) again.
        if sales not in self.clients:
            self.clients[sales] = client_for(self.sales if sales else self.owner)
        return self.clients[sales]

    def read(self, search: str) -> dict[str, Any]:
        """``/state/`` as its view answers (the middleware left out: it is read
        after every write, and the suite runs on a small machine)."""
        if "per_stage" in search:
            query = search
        else:
            query = f"{search}&per_stage=500" if search else "?per_stage=500"
        request = APIRequestFactory().get(f"/api/boards/{self.board.pk}/state/{query}")
        force_authenticate(request, self.owner)
        answer = STATE_VIEW(request, board_id=self.board.pk)
        answer.render()
        assert answer.status_code == 200, answer.content
        return json.loads(answer.content)

    def seq(self) -> int:
        return Board.objects.values_list("last_seq", flat=True).get(pk=self.board.pk)

    def record(self, write: str, answer_event: dict[str, Any] | None = None) -> None:
        for search in self.searches:
            self.states.setdefault(search, []).append(self.read(search))
        self.steps.append(Step(write, self.seq(), answer_event))

    # --- the writes ---

    def stages(self) -> list[int]:
        return list(
            Stage.objects.filter(board=self.board).order_by("position").values_list("id", flat=True)
        )

    def leads(self) -> list[Lead]:
        """The leads on the board (archived ones are not)."""
        return list(Lead.objects.filter(board=self.board, archived_at__isnull=True).order_by("id"))

    def bulk(self, body: dict[str, Any]) -> Any:
        return self.client().post(f"/api/boards/{self.board.pk}/bulk/", body, format="json")

    def bulk_move(self) -> None:
        r = self.rng
        leads = self.leads()
        chosen = r.sample(leads, min(len(leads), r.randint(1, 6)))
        to_stage = r.choice(self.stages())
        body: dict[str, Any] = {"leads": [lead.pk for lead in chosen], "action": "move"}
        body |= {"to_stage": to_stage, "position": r.choice([None, 0, 1, 3])}
        if r.random() < 0.5:
            body["versions"] = {str(lead.pk): lead.version for lead in chosen}
        if Stage.objects.get(pk=to_stage).kind == "lost":
            body["reason"] = "No budget"
        answer = self.bulk(body)
        if answer.status_code == 400 and all(lead.stage_id == to_stage for lead in chosen):
            return
        assert answer.status_code == 200, answer.content
        self.record("bulk_move", answer.json()["event"])

    def bulk_update(self) -> None:
        r = self.rng
        leads = self.leads()
        chosen = r.sample(leads, min(len(leads), r.randint(1, 6)))
        body: dict[str, Any] = r.choice(
            [
                {"action": "assign", "owner": r.choice([None, self.owner.pk, self.sales.pk])},
                {"action": "campaign", "campaign": r.choice([None, *self.campaigns()])},
            ]
        )
        answer = self.bulk({**body, "leads": [lead.pk for lead in chosen]})
        assert answer.status_code == 200, answer.content
        self.record("bulk_update", answer.json()["event"])

    def lead_archive(self) -> None:
        # Not the upsert's leads: their writes would meet an archived lead (409).
        leads = [lead for lead in self.leads() if not lead.external_id]
        if not leads:
            return
        lead = self.rng.choice(leads)
        answer = self.client().post(f"/api/leads/{lead.pk}/archive/")
        assert answer.status_code == 200, answer.content
        self.record("lead_archive", answer.json()["event"])

    def lead_erase(self) -> None:
        leads = [lead for lead in self.leads() if not lead.external_id]
        if not leads:
            return
        lead = self.rng.choice(leads)
        answer = self.client().post(
            f"/api/leads/{lead.pk}/erase/", {"confirm": lead.name}, format="json"
        )
        assert answer.status_code == 200, answer.content
        self.record("lead_erase", answer.json()["event"])

    def lead_restore(self) -> None:
        archived = list(
            Lead.objects.filter(
                board=self.board,
                archived_at__isnull=False,
                erased_at__isnull=True,
                stage__removed_at__isnull=True,
            ).order_by("id")
        )
        if not archived:
            return
        answer = self.client().post(f"/api/leads/{self.rng.choice(archived).pk}/restore/")
        assert answer.status_code == 200, answer.content
        self.record("lead_restore", answer.json()["event"])

    def campaigns(self) -> list[int]:
        return list(self.board.campaigns.order_by("id").values_list("id", flat=True))

    def lead_create(self) -> None:
        r = self.rng
        body = {
            "board": self.board.pk,
            "name": f"{r.choice(NAMES)} {r.randint(1, 999)}",
            "stage": r.choice(self.stages()),
            "campaign": r.choice(self.campaigns()) if r.random() < 0.7 else None,
            "score": r.randint(0, 100),
            "value": r.choice([0, 250, 1000, 99.99, 1234.5]),
            "owner": r.choice([None, self.owner.pk, self.sales.pk]),
        }
        answer = self.client().post("/api/leads/", body, format="json")
        assert answer.status_code == 201, answer.content
        self.record("lead_create")

    def lead_update(self) -> None:
        lead = self.rng.choice(self.leads())
        r = self.rng
        body = r.choice(
            [
                {"value": r.choice([0, 10, 5000.25])},
                {"score": r.randint(0, 100)},
                {"campaign": r.choice([None, *self.campaigns()])},
                {"name": f"{r.choice(NAMES)} renamed"},
                {"owner": r.choice([None, self.owner.pk, self.sales.pk])},
            ]
        )
        answer = self.client().patch(f"/api/leads/{lead.pk}/", body, format="json")
        assert answer.status_code == 200, answer.content
        self.record("lead_update")

    def is_lost(self, stage_id: int) -> bool:
        return Stage.objects.filter(pk=stage_id, kind=StageKind.LOST).exists()

    def lead_move(self) -> None:
        r = self.rng
        lead = r.choice(self.leads())
        to_stage = r.choice(self.stages())
        others = list(
            Lead.objects.filter(stage_id=to_stage).exclude(pk=lead.pk).values_list("id", flat=True)
        )
        body: dict[str, Any] = {"to_stage": to_stage, "position": r.randint(0, len(others))}
        if others and r.random() < 0.4:
            body[r.choice(["after", "before"])] = r.choice(others)
        if r.random() < 0.5:
            body["version"] = lead.version
        if self.is_lost(to_stage):  # every entry into Lost names a reason
            body["reason"] = "No budget"
        answer = self.client().post(f"/api/leads/{lead.pk}/move/", body, format="json")
        if answer.status_code == 400 and lead.stage_id == to_stage and "position" not in body:
            return
        assert answer.status_code == 200, answer.content
        self.record("lead_move", answer.json()["event"])

    def campaign_create(self) -> None:
        name = f"{self.rng.choice(NAMES)} {self.rng.choice(['Ads', 'webinar', 'Expo'])}"
        body = {"board": self.board.pk, "name": name, "channel": "ads", "cost": 100}
        answer = self.client().post("/api/campaigns/", body, format="json")
        if answer.status_code == 400:  # that name is taken
            return
        assert answer.status_code == 201, answer.content
        self.record("campaign_create")

    def campaign_update(self) -> None:
        """An edit from the chip's menu or the settings: a rename (which may reorder
        the campaigns), a colour, a channel, a cost entered or cleared (cost missing)."""
        r = self.rng
        campaign = r.choice(self.campaigns())
        body = r.choice(
            [
                {"name": f"{r.choice(NAMES)} {r.choice(['Fair', 'Ads', 'Expo'])}"},
                {"color": r.choice(["#10b981", "#ef4444", "#0ea5e9"])},
                {"channel": r.choice(["ads", "event", ""])},
                {"cost": r.choice([None, 0, "250.50", 1200])},
                {"name": f"{r.choice(NAMES)} renamed", "cost": r.choice([None, 99])},
            ]
        )
        answer = self.client().patch(f"/api/campaigns/{campaign}/", body, format="json")
        if answer.status_code == 400 and "name" in answer.json():  # that name is taken
            return
        assert answer.status_code == 200, answer.content
        if answer.json()["event"] is not None:
            self.record("campaign_update", answer.json()["event"])

    def campaign_archive(self) -> None:
        """Archive a campaign, or restore an archived one: its leads and figures stay."""
        r = self.rng
        campaign = r.choice(self.campaigns())
        archived = self.board.campaigns.filter(pk=campaign, archived_at__isnull=False).exists()
        body = {"archived": not archived}
        answer = self.client().patch(f"/api/campaigns/{campaign}/", body, format="json")
        assert answer.status_code == 200, answer.content
        self.record("campaign_archive", answer.json()["event"])

    def campaign_move(self) -> None:
        r = self.rng
        pairs = list(
            Lead.objects.filter(board=self.board, campaign__isnull=False, archived_at__isnull=True)
            .values_list("campaign_id", "stage_id")
            .distinct()
        )
        if not pairs:
            return
        campaign, from_stage = r.choice(sorted(pairs))
        to_stage = r.choice([s for s in self.stages() if s != from_stage])
        body = {"from_stage": from_stage, "to_stage": to_stage}
        if self.is_lost(to_stage):
            body["reason"] = "Bad timing"
        answer = self.client().post(f"/api/campaigns/{campaign}/move/", body, format="json")
        assert answer.status_code == 200, answer.content
        self.record("campaign_move", answer.json()["event"])

    def undo(self) -> None:
        transitions = StageTransition.objects.filter(
            board=self.board,
            from_stage__isnull=False,
            reverts__isnull=True,
            reverted_by__isnull=True,
        ).exclude(source=TransitionSource.UNDO)
        last = transitions.order_by("-id").first()
        if last is None:
            return
        body = {"batch": str(last.batch)} if last.batch else {"transition": last.pk}
        answer = self.client().post(f"/api/boards/{self.board.pk}/undo/", body, format="json")
        if answer.status_code == 409:  # already undone, or every lead moved on
            return
        assert answer.status_code == 200, answer.content
        self.record("undo", answer.json()["event"])

    def feedback(self) -> None:
        r = self.rng
        lead = r.choice(self.leads())
        verdict = r.choice(["accepted", "rejected"])
        body = {"verdict": verdict, "reason": "No budget" if verdict == "rejected" else ""}
        answer = self.client(sales=True).post(
            f"/api/leads/{lead.pk}/feedback/", body, format="json"
        )
        assert answer.status_code == 201, answer.content
        self.record("feedback", answer.json()["event"])

    def leads_import(self) -> None:
        r = self.rng
        existing = [lead for lead in self.leads() if lead.email][:2]
        rows = [f"{lead.name},{lead.email},{r.choice(['MQL', 'SQL', 'Won'])}" for lead in existing]
        rows += [f"Imported {r.randint(1, 10**6)},,{r.choice(['New', 'Nurture'])}"]
        data = ("Name,Email,Stage\n" + "\n".join(rows) + "\n").encode()
        upload = SimpleUploadedFile("leads.csv", data, content_type="text/csv")
        answer = self.client().post(
            f"/api/boards/{self.board.pk}/import/",
            {"file": upload, "create_missing": "true"},
            format="multipart",
        )
        assert answer.status_code == 200, answer.content
        if answer.json()["event"] is not None:
            self.record("leads_import", answer.json()["event"])

    def upsert(self) -> None:
        r = self.rng
        body = {
            "external_id": f"crm-{r.randint(1, 4)}",
            "name": f"{r.choice(NAMES)} (crm)",
            "stage": r.choice(["New", "MQL", "SQL"]),
            "value": r.choice([0, 300]),
        }
        answer = self.client().post(
            f"/api/boards/{self.board.pk}/leads/upsert/", body, format="json"
        )
        assert answer.status_code in (200, 201), answer.content
        self.record("upsert")

    # --- the owner's stage setup (stages it added are renamed and removed; the
    # default ones keep their names, which the import and the upsert use) ---

    def live_stages(self) -> list[Stage]:
        return list(Stage.objects.filter(board=self.board).order_by("position"))

    def added_stages(self) -> list[Stage]:
        return [s for s in self.live_stages() if s.name.startswith("Step ")]

    def stage_create(self) -> None:
        r = self.rng
        live = [s for s in self.live_stages() if s.kind == "open"]
        body: dict[str, Any] = {
            "name": f"Step {r.randint(1, 10**6)}",
            "team": r.choice(["marketing", "sales"]),
            "sla_days": r.choice([None, 1, 30]),
            "wip_limit": r.choice([None, 2, 50]),
        }
        if r.random() < 0.6:
            body[r.choice(["before", "after"])] = r.choice(live).pk
        answer = self.client().post(f"/api/boards/{self.board.pk}/stages/", body, format="json")
        assert answer.status_code == 201, answer.content
        self.record("stage_create", answer.json()["event"])

    def stage_update(self) -> None:
        r = self.rng
        stage = r.choice(self.added_stages() or self.live_stages())
        body = r.choice(
            [
                {"sla_days": r.choice([None, 1, 3, 90])},
                {"wip_limit": r.choice([None, 1, 10])},
                {"color": r.choice(["#112233", "#a0b0c0"])},
                {"team": r.choice(["marketing", "sales"])},
            ]
        )
        if stage.name.startswith("Step ") and r.random() < 0.4:
            body = {"name": f"Step {r.randint(1, 10**6)} renamed"}
        answer = self.client().patch(f"/api/stages/{stage.pk}/", body, format="json")
        assert answer.status_code == 200, answer.content
        if answer.json()["event"] is not None:
            self.record("stage_update", answer.json()["event"])

    def stages_reorder(self) -> None:
        live = self.live_stages()
        opens = [s.pk for s in live if s.kind == "open"]
        closed = [s.pk for s in live if s.kind != "open"]
        self.rng.shuffle(opens)
        self.rng.shuffle(closed)
        body = {"stages": opens + closed}
        answer = self.client().post(
            f"/api/boards/{self.board.pk}/stages/order/", body, format="json"
        )
        assert answer.status_code == 200, answer.content
        if answer.json()["event"] is not None:
            self.record("stages_reorder", answer.json()["event"])

    def stage_delete(self) -> None:
        added = self.added_stages()
        if not added:
            return
        stage = self.rng.choice(added)
        others = [s.pk for s in self.live_stages() if s.pk != stage.pk]
        body = {"move_to": self.rng.choice(others)}
        answer = self.client().delete(f"/api/stages/{stage.pk}/", body, format="json")
        assert answer.status_code == 200, answer.content
        self.record("stage_delete", answer.json()["event"])

    def stage_restore(self) -> None:
        """The board's Undo of the latest stage removal (restores even an empty one)."""
        removal = (
            BoardEvent.objects.filter(board=self.board, type="stage.deleted")
            .order_by("-seq")
            .first()
        )
        if removal is None:
            return
        body = {"batch": removal.payload["batch"]}
        answer = self.client().post(f"/api/boards/{self.board.pk}/undo/", body, format="json")
        if answer.status_code == 409:  # already undone, or its name is taken again
            return
        assert answer.status_code == 200, answer.content
        self.record("stage_restore", answer.json()["event"])

    def board_update(self) -> None:
        r = self.rng
        body = r.choice(
            [{"name": f"{r.choice(NAMES)} board"}, {"currency": r.choice(["USD", "EUR", "JPY"])}]
        )
        answer = self.client().patch(f"/api/boards/{self.board.pk}/", body, format="json")
        assert answer.status_code == 200, answer.content
        if answer.json()["event"] is not None:  # None: the board had it already
            self.record("board_update", answer.json()["event"])

    WRITES = (
        ("lead_create", 6),
        ("lead_update", 4),
        ("lead_move", 8),
        ("campaign_create", 1),
        ("campaign_update", 2),
        ("campaign_archive", 1),
        ("campaign_move", 2),
        ("undo", 2),
        ("feedback", 2),
        ("leads_import", 1),
        ("upsert", 1),
        ("stage_create", 1),
        ("stage_update", 2),
        ("stages_reorder", 1),
        ("stage_delete", 1),
        ("stage_restore", 1),
        ("board_update", 1),
        ("bulk_move", 3),
        ("bulk_update", 2),
        ("lead_archive", 2),
        ("lead_restore", 1),
        ("lead_erase", 1),
    )

    # An owner setting the board up while the others work: stage writes among moves.
    SETUP = (
        ("lead_create", 4),
        ("lead_move", 4),
        ("campaign_move", 1),
        ("feedback", 1),
        ("undo", 1),
        ("stage_create", 3),
        ("stage_update", 3),
        ("stages_reorder", 2),
        ("stage_delete", 2),
        ("stage_restore", 2),
    )

    def run(self, writes: int, mix: tuple[tuple[str, int], ...] | None = None) -> None:
        """``writes`` writes (of ``mix``: name, weight; every write by default), the
        board's first state before them."""
        self.record("start")
        mix = mix or self.WRITES
        names = [name for name, _ in mix]
        weights = [weight for _, weight in mix]
        while len(self.steps) <= writes:
            name = "lead_create" if not self.leads() else self.rng.choices(names, weights)[0]
            getattr(self, name)()
