"""Input serializers check the shape and types of a request; output serializers
shape the answer. Rules about the board (which stage, who may) live in services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads.api.fields import DayInput, IntegerInput, NameInput, QueryInput, id_field
from leads.board_templates import BOARD_TEMPLATES
from leads.models import (
    Board,
    BoardMembership,
    Campaign,
    Lead,
    LeadFeedback,
    Role,
    Stage,
    StageKind,
    StageTeam,
    StageTransition,
    Team,
    Verdict,
)
from leads.rules import CARD_SORTS, attribute_label, display_name, may_judge
from leads.selectors import (
    EVENTS_LIMIT,
    EVENTS_LIMIT_MAX,
    STATE_PER_STAGE,
    STATE_PER_STAGE_MAX,
    TIMELINE_LIMIT,
    TIMELINE_LIMIT_MAX,
    boards_for_user,
)
from leads.validation import MAX_ID, ascii_integer, attributes_problem

MAX_INT = 2**31 - 1
COLOR = r"^#[0-9a-fA-F]{6}$"
ATTRIBUTES_HELP = (
    "The raw fields from the automation system: a JSON object of at most "
    "LEAD_ATTRIBUTES_MAX_KEYS keys (200), names up to LEAD_ATTRIBUTES_MAX_KEY_LENGTH "
    "characters (200), nested at most LEAD_ATTRIBUTES_MAX_DEPTH levels (5), "
    "LEAD_ATTRIBUTES_MAX_BYTES in all (64 KB)."
)


def money_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, **kwargs)


def color_field() -> serializers.RegexField:
    return serializers.RegexField(
        COLOR, required=False, allow_blank=True, error_messages={"invalid": "Use #rrggbb."}
    )


class StrictInput(serializers.Serializer):
    """Refuses keys it does not know, rather than ignoring them silently."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field; it cannot be changed here."] for name in unknown}
                )
        return attrs


@extend_schema_field(OpenApiTypes.INT)
class UserBoardField(serializers.PrimaryKeyRelatedField):
    """A board id, among the boards of the requesting user (others look unknown)."""

    def get_queryset(self) -> Any:
        return boards_for_user(self.context["request"].user)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or (isinstance(data, str) and not ascii_integer(data)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


# A stage's team has fewer choices than a member's: its own schema component,
# so the schema does not get two enums both named after "team".
@extend_schema_field({"type": "string", "enum": StageTeam.values}, component_name="StageTeamEnum")
class StageTeamField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(StageTeam.choices, **kwargs)


# Auth


class TokenInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


# Boards


class StageInput(serializers.Serializer):
    name = NameInput(max_length=100)
    kind = serializers.ChoiceField(StageKind.choices, default=StageKind.OPEN)
    team = StageTeamField(default=StageTeam.MARKETING)
    sla_days = IntegerInput(min_value=0, max_value=32767, required=False, allow_null=True)
    wip_limit = IntegerInput(min_value=0, max_value=MAX_INT, required=False, allow_null=True)
    color = color_field()


class BoardCreateInput(serializers.Serializer):
    name = NameInput(max_length=200)
    template = serializers.CharField(
        required=False,
        max_length=50,
        help_text="A template's id (`GET /api/board-templates/`): "
        f"{', '.join(BOARD_TEMPLATES)}. Not with `stages`.",
    )
    stages = serializers.ListField(
        child=StageInput(),
        required=False,
        allow_empty=False,
        max_length=50,
        help_text="Explicit stages, not with `template`. Neither: the `b2b` template "
        "(New, MQL, SQL, Opportunity, Won, Lost).",
    )
    team = serializers.ChoiceField(
        Team.choices, default=Team.MANAGEMENT, help_text="The creator's team on the board."
    )


class StageOutput(serializers.ModelSerializer):
    team = StageTeamField(read_only=True)

    class Meta:
        model = Stage
        fields: tuple[str, ...] = (
            "id",
            "name",
            "position",
            "kind",
            "team",
            "sla_days",
            "wip_limit",
            "color",
        )


class MeOutput(serializers.Serializer):
    role = serializers.ChoiceField(Role.choices, source="my_role")
    team = serializers.ChoiceField(Team.choices, source="my_team")
    may_judge = serializers.SerializerMethodField(
        help_text="May the caller accept or reject leads handed to sales (leads.rules.may_judge)."
    )

    def get_may_judge(self, board: Board) -> bool:
        return may_judge(board.my_role, board.my_team)  # type: ignore[attr-defined]


class BoardSummaryOutput(serializers.ModelSerializer):
    me = MeOutput(source="*", read_only=True, help_text="The caller's role and team.")
    currency = serializers.CharField(read_only=True, help_text="ISO 4217 code of its money.")
    archived = serializers.SerializerMethodField(
        help_text="An archived board is read-only until its owner restores it."
    )

    class Meta:
        model = Board
        fields: tuple[str, ...] = (
            "id",
            "name",
            "slug",
            "last_seq",
            "created_at",
            "currency",
            "archived",
            "me",
        )

    def get_archived(self, board: Board) -> bool:
        return board.archived_at is not None


class BoardOutput(BoardSummaryOutput):
    stages = StageOutput(many=True, source="stage_list", read_only=True)

    class Meta(BoardSummaryOutput.Meta):
        fields = (*BoardSummaryOutput.Meta.fields, "stages")


class BoardUpdateInput(StrictInput):
    name = NameInput(max_length=200, required=False)
    currency = serializers.CharField(
        required=False, allow_blank=True, help_text="An ISO 4217 code in use, such as EUR."
    )
    archived = serializers.BooleanField(
        required=False, help_text="true archives the board (read-only); false restores it."
    )


class BoardDeleteInput(serializers.Serializer):
    confirm = serializers.CharField(
        trim_whitespace=False, allow_blank=True, help_text="The board's name, exactly."
    )


class BoardCopyInput(serializers.Serializer):
    name = NameInput(max_length=200, help_text="The new board's name.")


class StageTemplateOutput(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(StageKind.choices)
    team = StageTeamField()
    sla_days = serializers.IntegerField(allow_null=True)


class BoardTemplateOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    stages = StageTemplateOutput(many=True)


class MemberInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(Role.choices)
    team = serializers.ChoiceField(Team.choices)


class MemberOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = BoardMembership
        fields = ("id", "user", "username", "name", "role", "team", "created_at")

    def get_name(self, membership: BoardMembership) -> str:
        return display_name(membership.user)


# The board's state and events (documentation of dict answers)


class CardOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    company = serializers.CharField()
    email = serializers.CharField()
    title = serializers.CharField()
    stage = serializers.IntegerField()
    campaign = serializers.IntegerField(allow_null=True)
    owner = serializers.IntegerField(allow_null=True)
    score = serializers.IntegerField()
    value = serializers.FloatField()
    position = serializers.CharField(
        help_text="The card's rank in its stage: cards are shown by (position, id), "
        "comparing positions by their bytes (ASCII), not by language."
    )
    version = serializers.IntegerField()
    stage_entered_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    verdict = serializers.ChoiceField(
        Verdict.choices, allow_null=True, help_text="Sales' latest verdict on the lead, or null."
    )
    verdict_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the latest verdict was given. In the handoff stage a lead waits "
        "for sales while it has no verdict given since its stage_entered_at.",
    )


class HandoffLaneOutput(serializers.Serializer):
    stage = serializers.IntegerField(help_text="The first sales-owned open stage.")
    count = serializers.IntegerField(help_text="Leads waiting there for sales' verdict.")
    leads = CardOutput(many=True, help_text="The longest waiting first (at most 100).")


class StateQueryInput(QueryInput):
    per_stage = IntegerInput(
        min_value=1,
        max_value=STATE_PER_STAGE_MAX,
        default=STATE_PER_STAGE,
        help_text="Cards per stage.",
    )
    stage = id_field(required=False, help_text="Answer only this stage (to page it).")
    cursor = serializers.CharField(
        required=False, max_length=200, help_text="A stage's `next` from an earlier answer."
    )
    as_of = serializers.CharField(
        required=False, max_length=64, help_text="The board as it stood then (ISO 8601)."
    )
    sort = serializers.ChoiceField(
        list(CARD_SORTS),
        required=False,
        help_text="With `stage`: its cards in this order (default: the person's remembered"
        " sort of it, `/me/card-sort/`, else `position`).",
    )


class CountValueOutput(serializers.Serializer):
    count = serializers.IntegerField()
    value = serializers.FloatField()


class StageStateOutput(StageOutput):
    count = serializers.IntegerField()
    value = serializers.FloatField()
    overdue = serializers.IntegerField(
        help_text="Leads past the stage's SLA (more whole days in it than sla_days), now;"
        " 0 without an SLA."
    )
    median_age_days = serializers.FloatField(
        allow_null=True,
        help_text="Here now: the median of (now - stage_entered_at) over the (filtered) leads"
        " in the stage now, in days; null for an empty stage. Not the funnel's median_days,"
        " which counts the visits that left the stage.",
    )
    sort = serializers.ChoiceField(
        list(CARD_SORTS),
        help_text="The order of `leads` and of the pages after (the cursor carries it):"
        " position (board order), age (oldest in stage first), value or score (highest first).",
    )
    leads = CardOutput(many=True)
    next = serializers.CharField(allow_null=True, help_text="Cursor of the next page, or null.")

    class Meta(StageOutput.Meta):
        fields = (
            *StageOutput.Meta.fields,
            *("count", "value", "overdue", "median_age_days", "sort", "leads", "next"),
        )


class CampaignStateOutput(CountValueOutput):
    id = serializers.IntegerField()
    name = serializers.CharField()
    channel = serializers.CharField()
    color = serializers.CharField()
    cost = serializers.FloatField(allow_null=True, help_text="Null: cost missing.")
    archived = serializers.BooleanField(help_text="Archived: no chip, in no picker.")
    stages = serializers.DictField(child=CountValueOutput(), help_text="By stage id.")


GUEST_ABSENT = "Absent for a share link's guest (display names only)."


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(required=False, help_text=GUEST_ABSENT)
    name = serializers.CharField()
    team = serializers.ChoiceField(Team.choices, allow_null=True)


class StateOutput(serializers.Serializer):
    board = BoardSummaryOutput()
    seq = serializers.IntegerField(help_text="Apply events after this seq.")
    stages = StageStateOutput(many=True)
    campaigns = CampaignStateOutput(many=True)
    people = serializers.DictField(child=PersonOutput(), help_text="By user id.")
    handoff = HandoffLaneOutput(
        allow_null=True, required=False, help_text="The handoff lane (not on a stage's page)."
    )


class EventsQueryInput(QueryInput):
    after = IntegerInput(min_value=0, max_value=MAX_ID, default=0)
    limit = IntegerInput(min_value=1, max_value=EVENTS_LIMIT_MAX, default=EVENTS_LIMIT)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "A stored event exactly as the socket and `/events/` carry it"
        " (`type`, `seq`, `at`, `actor` and its payload); the JSON Schema of every"
        " event type is `GET /api/events/schema/`.",
    }
)
class StoredEventField(serializers.JSONField):
    """A write's own stored event, in its wire form (``leads.events.schema``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)


class EventOutput(serializers.Serializer):
    type = serializers.CharField()
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.DictField(allow_null=True)


class EventsOutput(serializers.Serializer):
    events = EventOutput(many=True, help_text="Each event also carries its own payload fields.")
    seq = serializers.IntegerField()
    has_more = serializers.BooleanField()


class BoardUpdateOutput(BoardOutput):
    event = StoredEventField(
        allow_null=True, help_text="The `board.updated` event; null when nothing changed."
    )

    class Meta(BoardOutput.Meta):
        fields = (*BoardOutput.Meta.fields, "event")


# Campaigns


COST_HELP = (
    "In the board's currency, at most 2 decimals; null (or left out) while it is not "
    'known: the campaign is then flagged "cost missing" and its cost per SQL and per '
    "Won are null, not 0."
)


class CampaignFieldsInput(StrictInput):
    name = NameInput(max_length=200)
    channel = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    cost = money_field(required=False, allow_null=True, default=None, help_text=COST_HELP)
    starts_on = DayInput(required=False, allow_null=True)
    ends_on = DayInput(required=False, allow_null=True)
    external_id = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class CampaignCreateInput(CampaignFieldsInput):
    board = UserBoardField()
    color = color_field()


class CampaignUpdateInput(CampaignFieldsInput):
    """Any of the fields; ``archived`` true archives the campaign, false restores it."""

    color = serializers.RegexField(
        COLOR, required=False, error_messages={"invalid": "Use #rrggbb."}
    )
    archived = serializers.BooleanField(
        required=False,
        help_text="true: off the board's chips and pickers (its leads and numbers stay); "
        "false: back on the board.",
    )


class CampaignOutput(serializers.ModelSerializer):
    cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, read_only=True, help_text=COST_HELP
    )
    archived = serializers.SerializerMethodField(help_text="Archived: off the chips and pickers.")

    class Meta:
        model = Campaign
        fields: tuple[str, ...] = (
            "id",
            "board",
            "name",
            "channel",
            "cost",
            "starts_on",
            "ends_on",
            "color",
            "external_id",
            "created_at",
            "archived",
            "archived_at",
        )

    def get_archived(self, campaign: Campaign) -> bool:
        return campaign.archived_at is not None


class CampaignUpdateOutput(CampaignOutput):
    changed = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The fields that changed (`archived` for an archive or a restore); "
        "empty when nothing did.",
    )
    event = StoredEventField(
        allow_null=True, help_text="The `campaign.updated` event; null when nothing changed."
    )

    class Meta(CampaignOutput.Meta):
        fields = (*CampaignOutput.Meta.fields, "changed", "event")


class CampaignMoveInput(serializers.Serializer):
    from_stage = id_field()
    to_stage = id_field()
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Into a lost stage: one of the board's lost reasons, for the whole batch.",
    )


class CampaignMoveOutput(serializers.Serializer):
    moved = serializers.IntegerField()
    batch = serializers.UUIDField(allow_null=True)
    seq = serializers.IntegerField()
    event = StoredEventField(
        allow_null=True, help_text="The `campaign.moved` event; null when nothing moved."
    )


# Leads


class LeadFieldsInput(serializers.Serializer):
    name = NameInput(max_length=200)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source = serializers.CharField(  # type: ignore[assignment]  # the lead's source, not Field.source
        max_length=100, required=False, allow_blank=True
    )
    campaign = id_field(required=False, allow_null=True)
    owner = id_field(required=False, allow_null=True, help_text="A member of the board.")
    score = IntegerInput(min_value=0, max_value=100, required=False)
    value = money_field(required=False)
    attributes = serializers.JSONField(required=False, help_text=ATTRIBUTES_HELP)
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    crm_id = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_attributes(self, value: Any) -> dict[str, Any]:
        problem = attributes_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class LeadCreateInput(LeadFieldsInput):
    board = UserBoardField()
    stage = id_field(required=False, allow_null=True, help_text="Default: the first stage.")


class LeadUpdateInput(StrictInput, LeadFieldsInput):
    version = IntegerInput(
        min_value=1, max_value=MAX_INT, required=False, help_text="409 when the lead moved on."
    )


class LeadOutput(serializers.ModelSerializer):
    """Every field the lead drawer shows, with ``attribute_labels``: how each
    ``attributes`` key reads (``leads.rules.attribute_label``)."""

    attribute_labels = serializers.SerializerMethodField()
    archived = serializers.SerializerMethodField()

    def get_attribute_labels(self, lead: Lead) -> dict[str, str]:
        return {key: attribute_label(key) for key in (lead.attributes or {})}

    def get_archived(self, lead: Lead) -> bool:
        return lead.archived_at is not None

    class Meta:
        model = Lead
        fields = (
            "id",
            "board",
            "stage",
            "campaign",
            "name",
            "email",
            "company",
            "title",
            "source",
            "owner",
            "score",
            "value",
            "attributes",
            "external_id",
            "crm_id",
            "position",
            "version",
            "stage_entered_at",
            "created_at",
            "updated_at",
            "archived",
            "archived_at",
            "erased_at",
            "attribute_labels",
        )


class TimelineQueryInput(QueryInput):
    before = serializers.CharField(max_length=200, required=False)
    limit = IntegerInput(min_value=1, max_value=TIMELINE_LIMIT_MAX, default=TIMELINE_LIMIT)


class LeadMoveInput(serializers.Serializer):
    to_stage = id_field()
    position = IntegerInput(
        min_value=0,
        max_value=MAX_INT,
        required=False,
        allow_null=True,
        help_text="Index in the stage, 0 = top (default).",
    )
    version = IntegerInput(min_value=1, max_value=MAX_INT, required=False, allow_null=True)
    after = IntegerInput(
        min_value=1,
        max_value=MAX_INT,
        required=False,
        allow_null=True,
        help_text="Place the card right after this lead of the stage (wins over position).",
    )
    before = IntegerInput(
        min_value=1,
        max_value=MAX_INT,
        required=False,
        allow_null=True,
        help_text="Place the card right before this lead of the stage (wins over position).",
    )
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Into a lost stage (required there): one of the board's lost reasons.",
    )
    note = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="An optional note on the move (why, in words).",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("after") is not None and attrs.get("before") is not None:
            raise serializers.ValidationError({"before": ["Give after or before, not both."]})
        return attrs


class ActorOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    username = serializers.CharField(source="get_username", required=False, help_text=GUEST_ABSENT)
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return display_name(user)


class TransitionOutput(serializers.ModelSerializer):
    actor = ActorOutput(allow_null=True, read_only=True)

    class Meta:
        model = StageTransition
        fields = (
            "id",
            "lead",
            "from_stage",
            "to_stage",
            "actor",
            "at",
            "source",
            "batch",
            "reverts",
            "note",
            "reason",
        )


class LeadMoveOutput(serializers.Serializer):
    lead = CardOutput()
    transition = TransitionOutput(allow_null=True)
    seq = serializers.IntegerField()
    event = StoredEventField(help_text="The `lead.moved` event every other client receives.")


class ConflictOutput(serializers.Serializer):
    detail = serializers.CharField()
    lead = CardOutput(help_text="The lead as it is now.")


class FeedbackInput(serializers.Serializer):
    verdict = serializers.ChoiceField(Verdict.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    valuable_fields = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=100, required=False, default=list
    )
    useless_fields = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=100, required=False, default=list
    )
    then = serializers.ChoiceField(
        ("stay", "recycle", "lost"),
        required=False,
        default="stay",
        help_text='A rejection: "recycle" back to the last marketing stage before the handoff,'
        ' "lost" with the rejection reason as the lost reason, or "stay" (default).',
    )


class FeedbackOutput(serializers.ModelSerializer):
    class Meta:
        model = LeadFeedback
        fields: tuple[str, ...] = (
            "id",
            "lead",
            "actor",
            "verdict",
            "reason",
            "valuable_fields",
            "useless_fields",
            "at",
        )


class FeedbackAnswerOutput(FeedbackOutput):
    event = StoredEventField(help_text="The `lead.feedback` event every other client receives.")

    class Meta(FeedbackOutput.Meta):
        fields = (*FeedbackOutput.Meta.fields, "event")


# Undo


class UndoInput(serializers.Serializer):
    batch = serializers.UUIDField(required=False, allow_null=True)
    transition = id_field(required=False, allow_null=True)


class UndoOutput(serializers.Serializer):
    undone = serializers.IntegerField()
    transitions = serializers.ListField(child=serializers.IntegerField())
    batch = serializers.UUIDField(allow_null=True)
    seq = serializers.IntegerField()
    skipped = serializers.ListField(
        child=serializers.IntegerField(), help_text="Leads moved on since."
    )
    event = StoredEventField(help_text="The `lead.moved` or `leads.moved` event of the undo.")
