"""Factories that keep a lead's stage and campaign on the lead's own board."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from leads.models import Board, BoardMembership, Campaign, Lead, Role, Stage, Team
from leads.services import board_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-secret-123")


class BoardFactory(factory.django.DjangoModelFactory):
    """A board with the default funnel, made through the service."""

    class Meta:
        model = Board

    name = factory.Sequence(lambda n: f"Board {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return board_create(name=kwargs["name"], created_by=kwargs.get("created_by"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoardMembership

    board = factory.SubFactory(BoardFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR
    team = Team.MARKETING


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    board = factory.SubFactory(BoardFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    channel = "webinar"
    cost = 1000


class LeadFactory(factory.django.DjangoModelFactory):
    """A bare lead row (no transition): for constraint tests. Use lead_create for behaviour."""

    class Meta:
        model = Lead

    board = factory.SubFactory(BoardFactory)
    stage = factory.LazyAttribute(
        lambda o: Stage.objects.filter(board=o.board).order_by("position").first()
    )
    campaign = factory.SubFactory(CampaignFactory, board=factory.SelfAttribute("..board"))
    name = factory.Faker("name")
    company = factory.Faker("company")
    email = factory.Faker("email")
    score = 50
    value = 1000
    stage_entered_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)
