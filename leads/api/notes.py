"""Notes on a lead and the caller's notifications. Thin views: the services
(``leads.services.notes``, ``leads.services.notifications``) decide who may
write; the answers say, for each note, whether the caller may still change it
(``may_edit``, ``edit_until``: ``leads.rules.may_edit_note``), so the browser
keeps no copy of the rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.api.fields import id_field, validated
from leads.api.pagination import CheckedLimitOffsetPagination
from leads.errors import InvalidInput, NotFound
from leads.events.payloads import board_teams, note_wire, notification_item
from leads.models import NOTE_MAX_LENGTH, BoardMembership, LeadNote, Notification, NotificationKind
from leads.rules import NOTE_EDIT_MINUTES, may_edit, may_edit_note
from leads.services.notes import note_create, note_delete, note_update
from leads.services.notifications import (
    digest_enabled,
    digest_set,
    lead_link,
    notifications_read,
    unread_count,
)

# Notes


class TextInput(serializers.CharField):
    """Text only: a number or a list is not a note."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class NoteInput(serializers.Serializer):
    body = TextInput(max_length=NOTE_MAX_LENGTH, trim_whitespace=False)


class NoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    lead = serializers.IntegerField()
    author = serializers.DictField(allow_null=True)
    body = serializers.CharField()
    mentions = serializers.ListField(child=serializers.IntegerField())
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    may_edit = serializers.BooleanField(
        help_text=f"The caller may change or delete it now (its author, for "
        f"{NOTE_EDIT_MINUTES} minutes)."
    )
    edit_until = serializers.DateTimeField(
        allow_null=True, help_text="Until when the caller may (null: never)."
    )


class NoteAnswerOutput(NoteOutput):
    event = serializers.DictField(help_text="The stored note event, as every socket gets it.")


def writes_on(board_id: int, user: Any) -> bool:
    """May the caller write on the board now (their role; not while it is archived)?"""
    row = (
        BoardMembership.objects.filter(board_id=board_id, user_id=user.pk)
        .values_list("role", "board__archived_at")
        .first()
    )
    return row is not None and may_edit(row[0], archived=row[1] is not None)


def note_answer(
    note: LeadNote,
    user: Any,
    now: datetime,
    teams: dict[int, str] | None = None,
    *,
    writer: bool = True,
) -> dict[str, Any]:
    """The note with ``may_edit`` / ``edit_until`` for ``user`` (``writer``: they may
    write on its board at all, ``writes_on``)."""
    may = writer and may_edit_note(note, user, now)
    until = note.created_at + timedelta(minutes=NOTE_EDIT_MINUTES) if may else None
    return {**note_wire(note, teams).wire(), "may_edit": may, "edit_until": until}


def note_of_user(note_id: int, user: Any) -> LeadNote:
    """The note when it is on a board of the caller's (else 404, like a missing one)."""
    mine = selectors.leads_for_user(user).values("pk")
    note = LeadNote.objects.filter(pk=note_id, lead_id__in=mine).select_related("lead").first()
    if note is None:
        raise NotFound("Note not found.")
    return note


class LeadNoteListCreateApi(APIView):
    @extend_schema(
        responses=NoteOutput(many=True),
        description="The lead's notes, newest first (paged: `limit`, `offset`).",
    )
    def get(self, request: Request, lead_id: int) -> Response:
        lead = selectors.lead_get(lead_id=lead_id, user=request.user)
        notes = (
            LeadNote.objects.filter(lead=lead)
            .select_related("author")
            .order_by("-created_at", "-id")
        )
        paginator = CheckedLimitOffsetPagination()
        page = paginator.paginate_queryset(notes, request, view=self)
        teams = board_teams(lead.board_id)
        writer = writes_on(lead.board_id, request.user)
        now = timezone.now()
        for note in page or []:
            note.lead = lead
        return paginator.get_paginated_response(
            [note_answer(note, request.user, now, teams, writer=writer) for note in page or []]
        )

    @extend_schema(
        request=NoteInput,
        responses={
            201: NoteAnswerOutput,
            400: OpenApiResponse(
                description="`body` empty, over 10,000 characters, or an @username that is"
                " not a member of the board."
            ),
            403: OpenApiResponse(description="Viewers read notes; they do not write them."),
        },
        description="Add a plain-text note (editors and owners). Each `@username` must be"
        " a member of the board; each one named is notified.",
    )
    def post(self, request: Request, lead_id: int) -> Response:
        lead = selectors.lead_get(lead_id=lead_id, user=request.user)
        data = validated(NoteInput, request.data)
        result = note_create(lead_id=lead.pk, actor=request.user, body=data["body"])
        body = {**note_answer(result.note, request.user, timezone.now()), "event": result.event}
        return Response(body, status=status.HTTP_201_CREATED)


class NoteDetailApi(APIView):
    @extend_schema(
        request=NoteInput,
        responses={200: NoteAnswerOutput},
        description=f"Change a note: its author, for {NOTE_EDIT_MINUTES} minutes after"
        " writing it (403 otherwise). Newly mentioned members are notified.",
    )
    def patch(self, request: Request, note_id: int) -> Response:
        note = note_of_user(note_id, request.user)
        data = validated(NoteInput, request.data)
        result = note_update(note_id=note.pk, actor=request.user, body=data["body"])
        body = {**note_answer(result.note, request.user, timezone.now()), "event": result.event}
        return Response(body)

    @extend_schema(
        responses={200: OpenApiResponse(description='`{"event": <the note.deleted event>}`')},
        description=f"Delete a note: its author, for {NOTE_EDIT_MINUTES} minutes.",
    )
    def delete(self, request: Request, note_id: int) -> Response:
        note = note_of_user(note_id, request.user)
        event = note_delete(note_id=note.pk, actor=request.user)
        return Response({"event": event})


# Notifications


class NotificationQueryInput(serializers.Serializer):
    unread = serializers.ChoiceField(choices=["0", "1"], required=False)


class NotificationReadInput(serializers.Serializer):
    ids = serializers.ListField(child=id_field(), max_length=1000, required=False)
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("all") and "ids" not in data:
            raise serializers.ValidationError({"ids": ['Give "ids" or "all": true.']})
        return data


class DigestInput(serializers.Serializer):
    enabled = serializers.BooleanField()


def notification_answer(row: Notification, teams: dict[int, str]) -> dict[str, Any]:
    return {**notification_item(row, teams).wire(), "url": lead_link(row.board_id, row.lead_id)}


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    board = serializers.IntegerField()
    lead = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField(help_text=f"One of {', '.join(NotificationKind.values)}.")
    text = serializers.CharField()
    actor = serializers.DictField(allow_null=True)
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()
    url = serializers.CharField(help_text="The board with the lead's drawer open.")


class NotificationPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = NotificationOutput(many=True)
    unread = serializers.IntegerField(help_text="How many of the caller's are unread, in all.")
    digest = serializers.BooleanField(help_text="The caller gets the daily email digest.")


class NotificationListApi(APIView):
    @extend_schema(
        responses=NotificationPageOutput,
        parameters=[
            OpenApiParameter("unread", str, enum=["0", "1"], description="1: unread ones only.")
        ],
        description="The caller's notifications, newest first (paged: `limit`, `offset`),"
        " each with the `url` of its lead; `unread`: how many are unread in all;"
        " `digest`: whether the caller gets the daily email digest.",
    )
    def get(self, request: Request) -> Response:
        query = validated(NotificationQueryInput, request.query_params)
        user_id = int(request.user.pk or 0)
        rows = Notification.objects.filter(user_id=user_id).select_related("actor")
        if query.get("unread") == "1":
            rows = rows.filter(read_at__isnull=True)
        paginator = CheckedLimitOffsetPagination()
        page = paginator.paginate_queryset(rows.order_by("-created_at", "-id"), request, self)
        teams: dict[int, dict[int, str]] = {}
        results = []
        for row in page or []:
            if row.board_id not in teams:
                teams[row.board_id] = board_teams(row.board_id)
            results.append(notification_answer(row, teams[row.board_id]))
        response = paginator.get_paginated_response(results)
        response.data["unread"] = unread_count(user_id)
        response.data["digest"] = digest_enabled(request.user)
        return response


class NotificationReadApi(APIView):
    @extend_schema(
        request=NotificationReadInput,
        responses={200: OpenApiResponse(description='`{"unread": <count after>}`')},
        description='Mark notifications read: `{"ids": [...]}` (the caller\'s; others are'
        ' ignored) or `{"all": true}`.',
    )
    def post(self, request: Request) -> Response:
        data = validated(NotificationReadInput, request.data)
        unread = notifications_read(user=request.user, ids=data.get("ids"), all=data["all"])
        return Response({"unread": unread})


class NotificationDigestApi(APIView):
    @extend_schema(
        responses={200: OpenApiResponse(description='`{"enabled": bool}`')},
        description="Whether the caller gets the daily email digest of unread notifications.",
    )
    def get(self, request: Request) -> Response:
        return Response({"enabled": digest_enabled(request.user)})

    @extend_schema(
        request=DigestInput,
        responses={200: OpenApiResponse(description='`{"enabled": bool}`')},
        description="Turn the daily email digest on or off (off by default; one email a"
        " day for all of the caller's boards, sent by `manage.py send_digests`).",
    )
    def put(self, request: Request) -> Response:
        data = validated(DigestInput, request.data)
        if data["enabled"] and not getattr(request.user, "email", ""):
            raise InvalidInput(
                "Your account has no email address to send a digest to.", field="enabled"
            )
        digest_set(user=request.user, enabled=data["enabled"])
        return Response({"enabled": digest_enabled(request.user)})
