"""Every message a board's clients receive, as one typed definition each.

The socket (``/ws/boards/<id>/``) and the log (``/api/boards/<id>/events/``)
carry two kinds of message:

- stored events (``StoredEvent``): written by a service in its transaction
  (``leads.events.log.event_append``), with a gapless ``seq``, the moment ``at``
  and the ``actor``. Replayed from the log after a gap; what the browser's
  reducer (``static/board/core/reducer.js``) applies to the state of ``/state/``.
- ephemeral messages: the socket's ``hello``, ``pong``, ``error``, presence,
  a meeting's ``meeting.follow``, an import's progress, a revoked share link.
  No seq, never stored.

A service builds a stored event's payload only through its ``...Payload`` model
here; the constructor validates it. The wire form is ``model_dump(mode="json")``
(``Wire.wire``), so what is stored, sent on the socket, answered by
``/events/`` and by the write's REST answer is one text. ``message_schema()``
is the JSON Schema of all of them (a ``oneOf`` on ``type``), served at
``GET /api/events/schema/`` and written into the front end's build
(``manage.py event_contract``), where the JavaScript fixtures are checked
against it.

Where a field's type will change (``Position``: the lead order key), it is
declared once, here.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..models import NotificationKind, Role, StageKind, StageTeam, Team, TransitionSource, Verdict

# A lead's place in its stage: opaque to clients, which only compare it (cards
# are ordered by (position, id)). The one line to change when the key changes type.
Position = str

Id = Annotated[int, Field(ge=1)]
Seq = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]


def _type_required(schema: dict[str, Any]) -> None:
    """``type`` has a default (a builder never repeats it) but every message carries it."""
    if "type" in schema.get("properties", {}):
        required = schema.setdefault("required", [])
        if "type" not in required:
            required.insert(0, "type")


class Wire(BaseModel):
    """A part of a message. Unknown fields are refused: the schema is the whole shape."""

    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        serialize_by_alias=True,
        json_schema_extra=_type_required,
        json_schema_serialization_defaults_required=True,
    )

    def wire(self) -> dict[str, Any]:
        """The wire form: JSON types only (ids, numbers, ISO 8601 moments, strings)."""
        return self.model_dump(mode="json")


# --- Parts ---


def _username_optional(schema: dict[str, Any]) -> None:
    required = schema.get("required", [])
    if "username" in required:
        required.remove("username")


class Person(Wire):
    """Who did something, or who is present. A share link's guests see no
    ``username`` anywhere (``leads.access.for_guest``); its own presence
    entry has the id ``share-<link id>``."""

    model_config = ConfigDict(json_schema_extra=_username_optional)

    id: int | str
    username: str = ""
    name: str
    team: Team | None


class You(Person):
    """The socket's own person, with its role on the board."""

    role: Role


class Card(Wire):
    """A lead as the board draws it (``leads.selectors.cards``): in events and in ``/state/``."""

    id: Id
    name: str
    company: str
    email: str
    title: str
    stage: Id
    campaign: Id | None
    owner: Id | None
    score: int
    value: float
    position: Position
    version: Annotated[int, Field(ge=1)]
    stage_entered_at: datetime
    created_at: datetime
    verdict: Verdict | None = Field(description="Sales' latest verdict on the lead, or null.")
    verdict_at: datetime | None = Field(description="When the latest verdict was given.")


class Move(Wire):
    """One lead's part of a move: enough for a client to place a card it has
    loaded (``stage_entered_at``: an undo restores the stage's old entry date)."""

    lead: Id
    from_stage: Id
    to_stage: Id
    position: Position
    version: Annotated[int, Field(ge=1)]
    stage_entered_at: datetime


class CampaignSummary(Wire):
    id: Id
    name: str
    channel: str
    color: str
    cost: float | None = Field(description="Null while the cost is not entered (cost missing).")
    archived: bool = False


class CampaignDetail(CampaignSummary):
    """A campaign as ``campaign.updated`` carries it: every field an editor sets."""

    starts_on: str | None = Field(description="ISO date, or null.")
    ends_on: str | None = Field(description="ISO date, or null.")
    external_id: str


class BoardSummary(Wire):
    id: Id
    name: str
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    archived: bool


class StageSummary(Wire):
    """A stage as ``/state/`` lists it (without its figures and cards)."""

    id: Id
    name: str
    position: Annotated[int, Field(ge=0)]
    kind: StageKind
    team: StageTeam
    sla_days: Annotated[int, Field(ge=1)] | None
    wip_limit: Annotated[int, Field(ge=1)] | None
    color: str


class Member(Person):
    """A member of the board with their role, and what the board's rules let them
    do (``leads.rules``): the browser takes these answers, it has no copy of the rules."""

    role: Role
    may_edit: bool = Field(description="May they change the board (leads.rules.may_edit)?")
    may_judge: bool = Field(
        description="May they accept or reject handed-off leads (leads.rules.may_judge)?"
    )
    may_set_up: bool = Field(
        description="May they change the board's set-up: stages (leads.rules.may_set_up)?"
    )


class Note(Wire):
    """A note on a lead (``leads.models.LeadNote``): plain text, never HTML."""

    id: Id
    lead: Id
    author: Person | None
    body: str
    mentions: list[Id] = Field(description="The members its @usernames named (user ids).")
    created_at: datetime
    edited_at: datetime | None


class NotificationItem(Wire):
    """One thing the board tells one person; ``lead`` is where it links."""

    id: Id
    board: Id
    lead: Id | None
    kind: NotificationKind
    text: str
    actor: Person | None
    created_at: datetime
    read: bool


LOST_REASON_HELP = (
    "Why the lead was lost (one of the board's lost reasons) when it entered a lost"
    " stage; empty otherwise."
)


class UndoneTransition(Wire):
    transition: Id


class UndoneBatch(Wire):
    batch: uuid.UUID


# --- Stored events: what a service says (payload), and the message it becomes ---


class Payload(Wire):
    """What a service says; ``event_append`` adds ``seq``, ``at`` and ``actor``."""

    event_type: ClassVar[str]


class LeadCreatedPayload(Payload):
    event_type = "lead.created"
    lead: Card
    transition: Id


class LeadUpdatedPayload(Payload):
    event_type = "lead.updated"
    lead: Card
    fields: list[str] = Field(description="The lead fields the update changed.")


class LeadMovedPayload(Payload):
    """One lead moved: a drag, a script, an upsert, or the undo of one transition
    (``source`` "undo", with ``undoes``). ``transition`` is null for a reorder
    inside one stage."""

    event_type = "lead.moved"
    lead: Card
    from_stage: Id
    to_stage: Id
    transition: Id | None
    batch: None = None
    source: TransitionSource
    moves: list[Move] = Field(min_length=1, max_length=1)
    undoes: UndoneTransition | None = None
    reason: str = Field(default="", description=LOST_REASON_HELP)


class CampaignCreatedPayload(Payload):
    event_type = "campaign.created"
    campaign: CampaignSummary


class CampaignMovedPayload(Payload):
    """Every lead of ``campaign`` in ``from_stage`` moved on top of ``to_stage``,
    in one batch."""

    event_type = "campaign.moved"
    campaign: Id
    from_stage: Id
    to_stage: Id
    batch: uuid.UUID
    source: Literal[TransitionSource.CAMPAIGN] = TransitionSource.CAMPAIGN
    moves: list[Move] = Field(min_length=1)
    reason: str = Field(default="", description=LOST_REASON_HELP)


class LeadsMovedPayload(Payload):
    """Many leads moved as one batch: the undo of a batch (a campaign move, an
    import, a bulk move; ``source`` "undo", with ``undoes``), or a bulk move of
    selected cards (``source`` "bulk", one undo for all)."""

    event_type = "leads.moved"
    batch: uuid.UUID
    source: Literal[TransitionSource.UNDO, TransitionSource.BULK] = TransitionSource.UNDO
    moves: list[Move] = Field(min_length=1)
    undoes: UndoneBatch | None = None
    reason: str = Field(default="", description=LOST_REASON_HELP)


class LeadsUpdatedPayload(Payload):
    """Many leads changed as one batch (a bulk assign or campaign): each card as it is now."""

    event_type = "leads.updated"
    batch: uuid.UUID
    leads: list[Card] = Field(min_length=1)
    fields: list[str] = Field(description="The lead fields the update changed.")


class LeadArchivedPayload(Payload):
    """A lead left the board (and its current counts); its history stays."""

    event_type = "lead.archived"
    lead: Id
    stage: Id


class LeadRestoredPayload(Payload):
    """An archived lead is back on the board, where it stood."""

    event_type = "lead.restored"
    lead: Card


class LeadErasedPayload(Payload):
    """A lead's personal data was erased for good (GDPR); its anonymised
    transitions stay in the numbers of the past. ``archived``: it was off the
    board already."""

    event_type = "lead.erased"
    lead: Id
    stage: Id
    archived: bool


class NoteCreatedPayload(Payload):
    event_type = "note.created"
    note: Note


class NoteUpdatedPayload(Payload):
    event_type = "note.updated"
    note: Note


class NoteDeletedPayload(Payload):
    event_type = "note.deleted"
    note: Id
    lead: Id


class LeadFeedbackPayload(Payload):
    """Sales' verdict on a lead; the event's ``at`` is the verdict's moment."""

    event_type = "lead.feedback"
    lead: Id
    feedback: Id
    verdict: Verdict
    reason: str
    valuable_fields: list[str]
    useless_fields: list[str]


class LeadsImportedPayload(Payload):
    """A whole import, summed up: the cards come from ``/state/`` (an import may
    write thousands), so a client refetches. It may have added stages and
    campaigns too."""

    event_type = "leads.imported"
    batch: uuid.UUID
    created: Count
    updated: Count
    moved: Count
    stages_created: list[str]
    campaigns_created: list[str]


class BoardUpdatedPayload(Payload):
    """The board's name, currency or archived state changed."""

    event_type = "board.updated"
    board: BoardSummary
    fields: list[str]


HANDOFF_HELP = (
    "The board's handoff stage after the change (leads.rules.handoff_stage: the first"
    " sales-owned open stage), or null: where the handoff lane is."
)
ORDER_HELP = "Every live stage of the board, in funnel order, after the change (positions 0..n-1)."


class StageCreatedPayload(Payload):
    """A stage was added (or a removed one restored by an undo, before the
    ``leads.moved`` that brings its leads back): an empty column."""

    event_type = "stage.created"
    stage: StageSummary
    order: list[Id] = Field(description=ORDER_HELP)
    handoff: Id | None = Field(description=HANDOFF_HELP)


class StageUpdatedPayload(Payload):
    """A stage's fields changed. A kind change may move it (open stages come before
    Won and Lost), hence ``order``. A rename keeps the stage: its past is its own."""

    event_type = "stage.updated"
    stage: StageSummary
    fields: list[str] = Field(description="The stage fields the update changed.")
    order: list[Id] = Field(description=ORDER_HELP)
    handoff: Id | None = Field(description=HANDOFF_HELP)


class StageDeletedPayload(Payload):
    """A stage left the board. Its leads moved on top of ``move_to`` in one batch
    (``moves``; empty and ``move_to`` null when it held none); the undo of
    ``batch`` restores the stage and moves them back. Its transitions of the past
    stay in the log."""

    event_type = "stage.deleted"
    stage: Id
    move_to: Id | None
    batch: uuid.UUID
    moves: list[Move]
    order: list[Id] = Field(description=ORDER_HELP)
    handoff: Id | None = Field(description=HANDOFF_HELP)


class StagesReorderedPayload(Payload):
    event_type = "stages.reordered"
    stages: list[Id] = Field(min_length=1, description="Every stage, in the new funnel order.")
    handoff: Id | None = Field(description=HANDOFF_HELP)


class CampaignUpdatedPayload(Payload):
    """A campaign's fields changed (archived: ``campaign.archived`` true)."""

    event_type = "campaign.updated"
    campaign: CampaignDetail
    fields: list[str]


class MemberJoinedPayload(Payload):
    event_type = "member.joined"
    member: Member


class MemberUpdatedPayload(Payload):
    """A member's role or team changed: it applies at once (a viewer made editor
    drags without a reload)."""

    event_type = "member.updated"
    member: Member
    fields: list[str]


class MemberRemovedPayload(Payload):
    """A member left or was removed: their sockets close (4403)."""

    event_type = "member.removed"
    user: Id


class Stored(Wire):
    """The envelope of every stored event."""

    type: str
    seq: Seq
    at: datetime
    actor: Person | None = Field(description="Who wrote it; null for the system.")


class LeadCreated(LeadCreatedPayload, Stored):
    type: Literal["lead.created"] = "lead.created"


class LeadUpdated(LeadUpdatedPayload, Stored):
    type: Literal["lead.updated"] = "lead.updated"


class LeadMoved(LeadMovedPayload, Stored):
    type: Literal["lead.moved"] = "lead.moved"


class CampaignCreated(CampaignCreatedPayload, Stored):
    type: Literal["campaign.created"] = "campaign.created"


class CampaignMoved(CampaignMovedPayload, Stored):
    type: Literal["campaign.moved"] = "campaign.moved"


class LeadsMoved(LeadsMovedPayload, Stored):
    type: Literal["leads.moved"] = "leads.moved"


class LeadsUpdated(LeadsUpdatedPayload, Stored):
    type: Literal["leads.updated"] = "leads.updated"


class LeadArchived(LeadArchivedPayload, Stored):
    type: Literal["lead.archived"] = "lead.archived"


class LeadRestored(LeadRestoredPayload, Stored):
    type: Literal["lead.restored"] = "lead.restored"


class LeadErased(LeadErasedPayload, Stored):
    type: Literal["lead.erased"] = "lead.erased"


class NoteCreated(NoteCreatedPayload, Stored):
    type: Literal["note.created"] = "note.created"


class NoteUpdated(NoteUpdatedPayload, Stored):
    type: Literal["note.updated"] = "note.updated"


class NoteDeleted(NoteDeletedPayload, Stored):
    type: Literal["note.deleted"] = "note.deleted"


class LeadFeedback(LeadFeedbackPayload, Stored):
    type: Literal["lead.feedback"] = "lead.feedback"


class LeadsImported(LeadsImportedPayload, Stored):
    type: Literal["leads.imported"] = "leads.imported"


class BoardUpdated(BoardUpdatedPayload, Stored):
    type: Literal["board.updated"] = "board.updated"


class StageCreated(StageCreatedPayload, Stored):
    type: Literal["stage.created"] = "stage.created"


class StageUpdated(StageUpdatedPayload, Stored):
    type: Literal["stage.updated"] = "stage.updated"


class StageDeleted(StageDeletedPayload, Stored):
    type: Literal["stage.deleted"] = "stage.deleted"


class StagesReordered(StagesReorderedPayload, Stored):
    type: Literal["stages.reordered"] = "stages.reordered"


class CampaignUpdated(CampaignUpdatedPayload, Stored):
    type: Literal["campaign.updated"] = "campaign.updated"


class MemberJoined(MemberJoinedPayload, Stored):
    type: Literal["member.joined"] = "member.joined"


class MemberUpdated(MemberUpdatedPayload, Stored):
    type: Literal["member.updated"] = "member.updated"


class MemberRemoved(MemberRemovedPayload, Stored):
    type: Literal["member.removed"] = "member.removed"


STORED_EVENTS: tuple[type[Stored], ...] = (
    LeadCreated,
    LeadUpdated,
    LeadMoved,
    CampaignCreated,
    CampaignMoved,
    LeadsMoved,
    LeadFeedback,
    LeadsImported,
    BoardUpdated,
    StageCreated,
    StageUpdated,
    StageDeleted,
    StagesReordered,
    CampaignUpdated,
    MemberJoined,
    MemberUpdated,
    MemberRemoved,
    LeadsUpdated,
    LeadArchived,
    LeadRestored,
    LeadErased,
    NoteCreated,
    NoteUpdated,
    NoteDeleted,
)

# A payload's message class: the payload class is the message's first base.
EVENT_OF_PAYLOAD: dict[type[Payload], type[Stored]] = {cls.__mro__[1]: cls for cls in STORED_EVENTS}


# --- Ephemeral messages (no seq) ---


class Hello(Wire):
    """The socket's first message: the board's seq when it joined (every stored
    event after it follows), who is here, and who you are."""

    type: Literal["hello"] = "hello"
    seq: Annotated[int, Field(ge=0)]
    presence: list[Person]
    you: You


class Pong(Wire):
    type: Literal["pong"] = "pong"


class Error(Wire):
    """A message the socket could not act on; the socket stays open."""

    type: Literal["error"] = "error"
    detail: str


class PresenceJoined(Wire):
    type: Literal["presence.joined"] = "presence.joined"
    user: Person


class PresenceLeft(Wire):
    type: Literal["presence.left"] = "presence.left"
    user: Person


class MeetingFollow(Wire):
    """The view a meeting's presenter shows, relayed to everyone else on the board."""

    type: Literal["meeting.follow"] = "meeting.follow"
    view: dict[str, Any]
    actor: Person


ImportPhase = Literal["check", "write"]


class ImportProgress(Wire):
    """How far an import is (``import``: the id its client gave, or null)."""

    type: Literal["import.progress"] = "import.progress"
    phase: ImportPhase
    done: Count
    total: Count
    import_: str | None = Field(default=None, alias="import")


class ShareRevoked(Wire):
    """A share link stopped working: its sockets close (4410); a member's open
    list of links refreshes."""

    type: Literal["share.revoked"] = "share.revoked"
    link: Id


class MeetingSummary(Wire):
    id: Id
    started_at: datetime
    started_by: str | None = Field(description="Who started it, by display name.")


class MeetingStarted(Wire):
    type: Literal["meeting.started"] = "meeting.started"
    meeting: MeetingSummary


class MeetingEnded(Wire):
    type: Literal["meeting.ended"] = "meeting.ended"
    meeting: Id


class NotificationNew(Wire):
    """Something for the socket's own person (only their sockets get it, on every
    board they have open): the bell counts ``unread``."""

    type: Literal["notification"] = "notification"
    notification: NotificationItem
    unread: Count


class NumbersUpdated(Wire):
    """The board's numbers after its latest changes, for open panels and headers
    (``funnel.realtime.numbers_push``): the default view (live, no filter, period or
    channel) of ``GET /funnel/`` and ``GET /charts/`` at ``seq``, sent once things
    settle. ``charts`` is null when too big to push: fetch ``/charts/`` then. Not a
    stored event: its ``seq`` is the one the numbers count to."""

    type: Literal["numbers.updated"] = "numbers.updated"
    seq: Annotated[int, Field(ge=0)]
    funnel: dict[str, Any]
    charts: dict[str, Any] | None


EPHEMERAL_MESSAGES: tuple[type[Wire], ...] = (
    Hello,
    Pong,
    Error,
    PresenceJoined,
    PresenceLeft,
    MeetingFollow,
    ImportProgress,
    ShareRevoked,
    MeetingStarted,
    MeetingEnded,
    NotificationNew,
    NumbersUpdated,
)


def _type_of(cls: type[Wire]) -> str:
    return str(cls.model_fields["type"].default)


STORED_TYPES: tuple[str, ...] = tuple(_type_of(cls) for cls in STORED_EVENTS)
EPHEMERAL_TYPES: tuple[str, ...] = tuple(_type_of(cls) for cls in EPHEMERAL_MESSAGES)

# Spelled out for mypy; the test checks they name the tuples above.
StoredEvent = Annotated[
    LeadCreated
    | LeadUpdated
    | LeadMoved
    | CampaignCreated
    | CampaignMoved
    | LeadsMoved
    | LeadFeedback
    | LeadsImported
    | BoardUpdated
    | StageCreated
    | StageUpdated
    | StageDeleted
    | StagesReordered
    | CampaignUpdated
    | MemberJoined
    | MemberUpdated
    | MemberRemoved
    | LeadsUpdated
    | LeadArchived
    | LeadRestored
    | LeadErased
    | NoteCreated
    | NoteUpdated
    | NoteDeleted,
    Field(discriminator="type"),
]
Message = Annotated[
    LeadCreated
    | LeadUpdated
    | LeadMoved
    | CampaignCreated
    | CampaignMoved
    | LeadsMoved
    | LeadFeedback
    | LeadsImported
    | BoardUpdated
    | StageCreated
    | StageUpdated
    | StageDeleted
    | StagesReordered
    | CampaignUpdated
    | MemberJoined
    | MemberUpdated
    | MemberRemoved
    | LeadsUpdated
    | LeadArchived
    | LeadRestored
    | LeadErased
    | NoteCreated
    | NoteUpdated
    | NoteDeleted
    | Hello
    | Pong
    | Error
    | PresenceJoined
    | PresenceLeft
    | MeetingFollow
    | ImportProgress
    | ShareRevoked
    | MeetingStarted
    | MeetingEnded
    | NotificationNew
    | NumbersUpdated,
    Field(discriminator="type"),
]

stored_event_adapter: TypeAdapter[Any] = TypeAdapter(StoredEvent)
message_adapter: TypeAdapter[Any] = TypeAdapter(Message)
moment_adapter: TypeAdapter[datetime] = TypeAdapter(datetime)


def moment(value: datetime) -> str:
    """A moment on the wire (ISO 8601, UTC as ``Z``), as every message writes it."""
    return str(moment_adapter.dump_python(value, mode="json"))


@functools.cache
def message_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of every message: a ``oneOf`` over the types,
    each with its ``type`` const. Fields a message always carries are required."""
    schema = message_adapter.json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "/api/events/schema/",
        "title": "Funnelboard board messages",
        "description": (
            "Every message on a board's socket and in its event log. Stored events"
            f" ({', '.join(STORED_TYPES)}) carry seq, at and actor; the others"
            f" ({', '.join(EPHEMERAL_TYPES)}) are never stored."
        ),
        "x-stored-types": list(STORED_TYPES),
        "x-ephemeral-types": list(EPHEMERAL_TYPES),
        "type": "object",
        **schema,
    }
