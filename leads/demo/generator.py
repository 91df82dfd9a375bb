"""Demo data: a board with six months of generated funnel history (``manage.py seed_demo``).

The board, its people and its campaigns go through the services. The history
(leads, their transitions, handoff feedback) is generated, not lived: it is
bulk-inserted in the same transaction and appends no lead events, since
nobody watched it happen.

The generator is deterministic: one ``random.Random(seed)`` stream, consumed
lead by lead in creation order, every time kept as whole seconds before a
fixed ``now``. The same seed and ``now`` give the same leads and transitions.
Each lead's transitions are strictly increasing in time, start with its
creation (``from_stage`` None, ``at`` = ``created_at``) and replay to its
stage; none lies after ``now``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate, batched
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import NotSupportedError, connection
from django.db.models import Model
from django.utils import timezone

from leads.demo.rebuild import indexes_dropped, tables_vacuumed
from leads.models import (
    DEFAULT_REJECTION_REASONS,
    Board,
    Lead,
    LeadFeedback,
    Role,
    Stage,
    StageTransition,
    Team,
    Verdict,
)
from leads.models import TransitionSource as Source
from leads.ranks import rank_of_index
from leads.services.boards import DEFAULT_STAGES, board_create
from leads.services.campaigns import campaign_create
from leads.services.people import board_member_add
from leads.services.tallies import board_tallies_rebuild
from leads.services.tx import write_transaction

DEMO_BOARD_NAME = "Q4 Pipeline"
DEMO_PASSWORD = "funnelboard-demo"
DEMO_LOGINS = ("marketing", "sales", "manager")

DAY, HOUR = 86_400, 3_600
HISTORY_DAYS = 180
CHUNK = 5_000  # leads generated and written per round: bounds memory at any count
# From this many leads on (PostgreSQL), the history's tables lose their indexes and foreign
# keys for the load and get them back after it: one build each instead of a million updates.
BIG_SEED = 50_000
PILOT_LEADS = 2_000  # leads simulated to calibrate --transitions-per-lead

# Stage indices in the default funnel (DEFAULT_STAGES order).
NEW, MQL, SQL, OPPORTUNITY, WON, LOST = range(6)
SALES_STAGES = (SQL, OPPORTUNITY, WON)


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    team: str
    role: str = Role.EDITOR


PEOPLE = (
    Person("manager", "Morgan", "Lee", Team.MANAGEMENT, Role.OWNER),
    Person("marketing", "Mara", "Keller", Team.MARKETING),
    Person("sales", "Sam", "Ortega", Team.SALES),
    Person("mia.novak", "Mia", "Novak", Team.MARKETING),
    Person("liam.brooks", "Liam", "Brooks", Team.MARKETING),
    Person("ava.chen", "Ava", "Chen", Team.SALES),
    Person("noah.weber", "Noah", "Weber", Team.SALES),
    Person("zoe.martin", "Zoe", "Martin", Team.SALES),
    Person("omar.haddad", "Omar", "Haddad", Team.SALES),
)
MARKETERS = tuple(p.username for p in PEOPLE if p.team == Team.MARKETING)
SALES_REPS = tuple(p.username for p in PEOPLE if p.team == Team.SALES)


@dataclass(frozen=True)
class CampaignProfile:
    name: str
    channel: str
    cost: int
    start_days_ago: int
    end_days_ago: int
    share: float  # of the leads
    quality: float  # scales every conversion of its leads
    tail_days: int = 5  # leads keep arriving this long after the end

    @property
    def utm(self) -> str:
        return "-".join(self.name.lower().replace(":", "").split())


CAMPAIGNS = (
    CampaignProfile("RevOps Webinar Series", "webinar", 14_500, 165, 60, 0.12, 1.15),
    CampaignProfile("Google Ads: Funnel Analytics", "paid search", 38_000, 180, 0, 0.22, 0.55),
    CampaignProfile("LinkedIn Ads: Ops Leaders", "linkedin ads", 26_000, 150, 20, 0.14, 0.8),
    CampaignProfile("Logistics Tech Expo Booth", "trade show", 45_000, 121, 119, 0.08, 1.05, 12),
    CampaignProfile("Ebook: Funnel Metrics That Matter", "content", 6_500, 175, 0, 0.15, 0.85),
    CampaignProfile("Email Nurture: Dormant Accounts", "email", 2_500, 140, 0, 0.09, 1.0),
    CampaignProfile("Partner Referral Program", "partner referral", 8_000, 180, 0, 0.04, 1.8),
    CampaignProfile("Cold Outbound: DACH Mid-Market", "cold outbound", 18_000, 90, 10, 0.12, 0.7),
)
WEBSITE = CampaignProfile("", "website", 0, HISTORY_DAYS, 0, 0.04, 1.0)  # leads of no campaign
PROFILES = (*CAMPAIGNS, WEBSITE)
CUM_SHARES = list(accumulate(p.share for p in PROFILES))

# The reasons every new board starts with (see leads.models.RejectionReason).
REJECT_REASONS = DEFAULT_REJECTION_REASONS
# After these, sales may hand the lead back to marketing's nurture instead of losing it.
RECYCLABLE = frozenset(REJECT_REASONS[:3])
# Per channel: how often sales rejects its leads for each of REJECT_REASONS ...
REASON_WEIGHTS = {
    "webinar": (3, 3, 1, 1, 1),
    "paid search": (2, 3, 3, 2, 5),
    "linkedin ads": (3, 4, 2, 1, 1),
    "trade show": (2, 2, 5, 2, 1),
    "content": (3, 3, 2, 1, 3),
    "email": (4, 2, 2, 3, 0),
    "partner referral": (4, 1, 1, 1, 0),
    "cold outbound": (3, 5, 2, 1, 1),
    "website": (3, 3, 2, 2, 2),
}
# ... and what the marketing automation system records as the lead's source detail.
SOURCE_DETAILS = {
    "webinar": ("Attended live", "Watched recording", "Registered, no show"),
    "paid search": ("kw: funnel analytics software", "kw: sales dashboard", "kw: free crm"),
    "linkedin ads": ("Lead gen form", "Sponsored post", "Conversation ad"),
    "trade show": ("Badge scan", "Booth demo", "Dinner invite"),
    "content": ("Ebook download", "Checklist download", "Blog signup"),
    "email": ("Clicked case study", "Replied to email", "Pricing page visit"),
    "partner referral": ("Referred by Acme Consulting", "Referred by Nordic IT Partners"),
    "cold outbound": ("Sequence reply", "Cold call", "LinkedIn InMail"),
    "website": ("Contact form", "Pricing page", "Demo request"),
}
ATTRIBUTE_NAMES = ("industry", "country", "employees", "lead_source_detail", "utm_campaign")

# Days in an open stage before the next move: triangular (low, high, mode).
DWELL_DAYS = {NEW: (1.5, 6, 3), MQL: (2, 12, 5), SQL: (4, 18, 8), OPPORTUNITY: (8, 45, 20)}

# fmt: off
FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Karin",
    "Lukas", "Maria", "Nils", "Olga", "Paul", "Rosa", "Simon", "Tara", "Jan", "Lea", "Marco",
    "Nina", "Oscar", "Priya", "Rahul", "Sofia", "Tom", "Ulla", "Victor", "Wei", "Yara", "Amir",
    "Chloe", "Emil", "Fatima", "Hannah", "Ivan", "Julia", "Kenji", "Laura", "Mateo", "Noor",
)
LAST_NAMES = (
    "Schmidt", "Johnson", "Dubois", "Rossi", "Garcia", "Jansen", "Nielsen", "Kowalski", "Novak",
    "Smith", "Brown", "Fischer", "Weber", "Meyer", "Lindqvist", "Moreau", "Bianchi", "Lopez",
    "Visser", "Hansen", "Silva", "Tanaka", "Patel", "Khan", "Murphy", "Kelly", "Berg", "Wagner",
    "Becker", "Hoffmann", "Martin", "Bernard", "Costa", "Santos", "Olsen", "Walker", "Young",
)
COMPANY_HEADS = (
    "Northwind", "Bluepeak", "Ironbridge", "Silverline", "Brightwater", "Redwood", "Oakridge",
    "Clearpath", "Summit", "Harbor", "Granite", "Evergreen", "Lakeside", "Quantum", "Vertex",
    "Nimbus", "Atlas", "Pioneer", "Crescent", "Falcon", "Meridian", "Sterling", "Cobalt",
    "Horizon", "Keystone", "Maple", "Orion", "Polar", "Riverbend", "Tidewater",
)
TITLES = (
    "Head of Marketing", "VP Sales", "Revenue Operations Manager", "Marketing Ops Lead", "CFO",
    "COO", "CEO", "Head of Growth", "Sales Director", "IT Director", "Demand Generation Manager",
    "Business Analyst", "Procurement Manager", "Customer Success Lead",
)
# fmt: on
INDUSTRIES = {  # industry: words that end its companies' names
    "Software": ("Software", "Labs", "Cloud"),
    "Logistics": ("Logistics", "Freight", "Transport"),
    "Manufacturing": ("Manufacturing", "Industries", "Works"),
    "Healthcare": ("Health", "Medical", "Care"),
    "Retail": ("Retail", "Stores", "Commerce"),
    "Financial services": ("Capital", "Finance", "Payments"),
    "Energy": ("Energy", "Power", "Renewables"),
    "Professional services": ("Consulting", "Partners", "Advisory"),
}
INDUSTRY_NAMES = tuple(INDUSTRIES)
COUNTRIES = {  # country: legal form of its companies, share of the leads
    "DE": ("GmbH", 22),
    "US": ("Inc.", 20),
    "GB": ("Ltd", 12),
    "FR": ("SAS", 8),
    "NL": ("B.V.", 7),
    "SE": ("AB", 5),
    "CH": ("AG", 5),
    "AT": ("GmbH", 5),
    "ES": ("S.L.", 4),
    "CA": ("Inc.", 4),
    "DK": ("ApS", 4),
    "PL": ("Sp. z o.o.", 4),
}
COUNTRY_CODES = tuple(COUNTRIES)
COUNTRY_SHARES = tuple(share for _, share in COUNTRIES.values())
EMPLOYEES = (8, 15, 30, 60, 120, 250, 500, 1_200, 3_000, 10_000)
POOR_TITLES = ("Student", "Intern", "Freelancer", "Assistant", "Consultant")


@dataclass(slots=True)
class Step:
    """One transition of a generated lead; ``ago``: seconds before ``now``."""

    from_stage: int | None
    to_stage: int
    ago: int
    actor: str | None
    note: str = ""


@dataclass(slots=True)
class Review:
    """Sales' verdict on a handoff (a LeadFeedback)."""

    verdict: str
    reason: str
    valuable: list[str]
    useless: list[str]
    ago: int
    actor: str


@dataclass(slots=True)
class Path:
    steps: list[Step]
    reviews: list[Review] = field(default_factory=list)
    reached_sales: bool = False
    lost_from: int | None = None

    @property
    def stage(self) -> int:
        return self.steps[-1].to_stage

    def move(self, to_stage: int, ago: int, actor: str, note: str = "") -> None:
        if to_stage == LOST:
            self.lost_from = self.stage
        self.reached_sales |= to_stage in SALES_STAGES
        self.steps.append(Step(self.stage, to_stage, ago, actor, note))


@dataclass(slots=True)
class LeadPlan:
    index: int  # in creation order
    profile: int  # index in PROFILES
    name: str
    email: str
    company: str
    title: str
    owner: str
    score: int
    value: int
    attributes: dict[str, Any]
    path: Path


def dwell(rng: random.Random, stage: int) -> int:
    low, high, mode = DWELL_DAYS[stage]
    return int(rng.triangular(low, high, mode) * DAY)


def chance(p: float) -> float:
    return min(0.95, max(0.02, p))


def origin(rng: random.Random) -> tuple[int, int]:
    """A lead's campaign (index in PROFILES) and creation time (seconds ago)."""
    index = rng.choices(range(len(PROFILES)), cum_weights=CUM_SHARES)[0]
    profile = PROFILES[index]
    first_day = max(0, profile.end_days_ago - profile.tail_days)
    return index, int(rng.uniform(first_day, profile.start_days_ago) * DAY)


def review(rng: random.Random, profile: CampaignProfile, m: float, ago: int, rep: str) -> Review:
    """Sales' verdict on a handoff of a lead of quality ``m``."""
    rejected = rng.random() < min(0.85, max(0.03, 0.28 / m))
    reason = rng.choices(REJECT_REASONS, REASON_WEIGHTS[profile.channel])[0] if rejected else ""
    # A rejection names few useful fields and some useless ones; an acceptance the reverse.
    valuable = rng.sample(ATTRIBUTE_NAMES, rng.randint(0, 2) if rejected else rng.randint(1, 3))
    rest = [name for name in ATTRIBUTE_NAMES if name not in valuable]
    useless = rng.sample(rest, rng.randint(1, 2) if rejected else rng.randint(0, 1))
    verdict = Verdict.REJECTED if rejected else Verdict.ACCEPTED
    return Review(verdict, reason, valuable, useless, ago, rep)


def walk(
    rng: random.Random, profile: CampaignProfile, fit: float, born: int, rework: float,
    marketer: str, rep: str,
) -> Path:  # fmt: skip
    """The lead's way through the funnel from ``born`` (seconds ago) until now.

    ``fit`` (0-1) is how well the lead matches the customer profile; with the
    campaign's quality it scales every conversion. ``rework`` (0-1) makes loops
    likelier: lost leads re-engaged, rejected handoffs recycled, deals pushed
    back to qualification, and fewer leads left stalled.
    """
    m = profile.quality * (0.55 + 0.9 * fit)
    stall = 1 - 0.9 * rework  # scales the share of unworked leads that stall rather than get lost
    path = Path(steps=[Step(None, NEW, born, None)])
    t, accepted = born, False
    for _ in range(200):
        stage = path.stage
        if stage == WON:
            break
        if stage == LOST:
            if path.lost_from == OPPORTUNITY or rng.random() >= 0.12 + 0.85 * rework:
                break
            t -= int(rng.uniform(10, 40) * (1 - 0.85 * rework) * DAY)
            if t < 0:
                break
            path.move(MQL, t, marketer, "Re-engaged by nurture")
            continue
        if stage == SQL and not accepted:
            t_review = t - int(rng.uniform(0.1, 2.0) * DAY)
            if t_review < 0:
                break  # the handoff still waits for sales' review
            verdict = review(rng, profile, m, t_review, rep)
            path.reviews.append(verdict)
            if verdict.verdict == Verdict.REJECTED:
                back = verdict.reason in RECYCLABLE and rng.random() < 0.55 + 0.4 * rework
                path.move(MQL if back else LOST, t_review, rep, f"Rejected: {verdict.reason}")
                t = t_review
                continue
            accepted = True
            t_next = min(t - dwell(rng, stage), t_review - HOUR)
        else:
            t_next = t - dwell(rng, stage)
        if t_next < 0:
            break  # still in the stage today
        t, r = t_next, rng.random()
        actor = marketer if stage in (NEW, MQL) else rep
        if stage == NEW:
            if r < chance(0.55 * m):
                path.move(SQL if rng.random() < 0.06 else MQL, t, actor)
            elif rng.random() >= 0.35 * stall:
                path.move(LOST, t, actor, "Disqualified")
            else:
                break  # stalled: nobody picked it up
        elif stage == MQL:
            if r < chance(0.42 * m):
                target = OPPORTUNITY if rng.random() < 0.03 else SQL
                path.move(target, t, actor)
                accepted = target == OPPORTUNITY  # skipping SQL skips its review
            elif rng.random() >= 0.4 * stall:
                path.move(LOST, t, actor, "No engagement")
            else:
                break
        elif stage == SQL:
            if r < chance(0.62 * m):
                path.move(OPPORTUNITY, t, actor)
            elif rng.random() >= 0.25 * stall:
                path.move(LOST, t, actor, "Went dark")
            else:
                break
        elif stage == OPPORTUNITY:
            if r < chance(0.36 * m):
                path.move(WON, t, actor)
            elif rng.random() < 0.06 + 0.5 * rework:
                path.move(SQL, t, actor, "Pushed back to qualification")
            elif rng.random() >= 0.2 * stall:
                path.move(LOST, t, actor, "Lost to competitor" if r > 0.8 else "No decision")
            else:
                break
    return path


def lead_plans(*, count: int, seed: int, rework: float) -> Iterator[LeadPlan]:
    """``count`` generated leads, oldest first."""
    rng = random.Random(seed)
    # Creation times first, so that leads (and their ids) follow creation order.
    origins = sorted((origin(rng) for _ in range(count)), key=lambda o: -o[1])
    for index, (profile_index, born) in enumerate(origins):
        profile = PROFILES[profile_index]
        fit = rng.random()
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        industry = rng.choice(INDUSTRY_NAMES)
        country = rng.choices(COUNTRY_CODES, weights=COUNTRY_SHARES)[0]
        head, tail = rng.choice(COMPANY_HEADS), rng.choice(INDUSTRIES[industry])
        employees = int(rng.choice(EMPLOYEES) * rng.uniform(0.7, 1.3))
        title = rng.choice(POOR_TITLES) if fit < 0.12 else rng.choice(TITLES)
        marketer, rep = rng.choice(MARKETERS), rng.choice(SALES_REPS)
        score = round(18 + 55 * fit + 14 * (profile.quality - 1) + rng.gauss(0, 7))
        deal = (4_000 + 25 * employees**0.85) * rng.uniform(0.6, 1.6)
        detail = rng.choice(SOURCE_DETAILS[profile.channel])
        path = walk(rng, profile, fit, born, rework, marketer, rep)
        with_sales = path.stage in SALES_STAGES or (
            path.stage == LOST and path.lost_from in SALES_STAGES
        )
        yield LeadPlan(
            index=index,
            profile=profile_index,
            name=f"{first} {last}",
            email=f"{first}.{last}@{head}-{tail}.example".lower(),
            company=f"{head} {tail} {COUNTRIES[country][0]}",
            title=title,
            owner=rep if with_sales else marketer,
            score=min(100, max(0, score)),
            value=round(deal / 100) * 100 if path.reached_sales else 0,
            attributes={
                "industry": industry,
                "country": country,
                "employees": employees,
                "lead_source_detail": detail,
                "utm_campaign": profile.utm,
            },
            path=path,
        )


def rework_for(transitions_per_lead: float | None, seed: int) -> float:
    """The ``rework`` that brings the average transitions per lead near the target
    (bisection on a pilot sample); 0, the natural history, without a target."""
    if transitions_per_lead is None:
        return 0.0

    def average(rework: float) -> float:
        rng = random.Random(seed)
        total = 0
        for _ in range(PILOT_LEADS):
            index, born = origin(rng)
            total += len(walk(rng, PROFILES[index], rng.random(), born, rework, "", "").steps)
        return total / PILOT_LEADS

    low, high = 0.0, 1.0
    if average(low) >= transitions_per_lead:
        return low
    if average(high) <= transitions_per_lead:
        return high
    for _ in range(12):
        middle = (low + high) / 2
        low, high = (middle, high) if average(middle) < transitions_per_lead else (low, middle)
    return (low + high) / 2


# Writing the history in bulk. Not bulk_create: it spends ~10 us per value compiling
# the statement, minutes for a million transitions where the database needs seconds.
# Values arrive adapted for the database. The column lists name every concrete field
# but the primary key, so a field added to a model later fails loudly here.
LEAD_COLUMNS = (
    "board_id", "stage_id", "campaign_id", "name", "email", "company", "title", "source",
    "owner_id", "score", "value", "attributes", "external_id", "crm_id", "position", "version",
    "stage_entered_at", "created_at", "updated_at", "archived_at", "erased_at", "last_verdict_at",
)  # fmt: skip
TRANSITION_COLUMNS = (
    "board_id", "lead_id", "from_stage_id", "to_stage_id", "actor_id", "at", "source", "batch",
    "reverts_id", "note", "from_position", "reason",
)  # fmt: skip
FEEDBACK_COLUMNS = (
    "lead_id", "actor_id", "verdict", "reason", "valuable_fields", "useless_fields", "at",
)  # fmt: skip


# The lost reason (of DEFAULT_LOST_REASONS) a seeded path's note stands for.
LOST_REASON_OF_NOTE = {
    "Disqualified": "Not a fit",
    "No engagement": "Unresponsive",
    "Went dark": "Unresponsive",
    "Lost to competitor": "Chose a competitor",
    "No decision": "No decision",
}


def lost_reason(note: str, lead_id: int) -> str:
    if note.startswith("Rejected: No budget"):
        return "No budget"
    if note.startswith("Rejected:"):
        return "Not a fit"
    # Deals lost without a stated cause spread over budget and timing.
    return LOST_REASON_OF_NOTE.get(note, ("No budget", "Bad timing")[lead_id % 2])


def table_columns(model: type[Model], columns: tuple[str, ...]) -> tuple[str, str]:
    """The quoted table and column list for an INSERT or COPY into ``model``."""
    quote = connection.ops.quote_name
    fields = {f.attname: f.column for f in model._meta.concrete_fields if f.column is not None}
    pk = model._meta.pk
    unfilled = set(fields) - set(columns) - {pk.attname if pk else ""}
    assert not unfilled, f"the seed leaves out {model.__name__}.{sorted(unfilled)}"
    return quote(model._meta.db_table), ", ".join(quote(fields[c]) for c in columns)


def insert_rows(
    model: type[Model], columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Insert rows (PostgreSQL: COPY; others: executemany); returns their count."""
    table, names = table_columns(model, columns)
    rows = list(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    return len(rows)


def insert_rows_returning_ids(
    model: type[Model], columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> list[int]:
    """Insert rows; returns their new ids in row order."""
    rows, pk = list(rows), model._meta.pk
    assert pk is not None and pk.column is not None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Ids from the table's own sequence (no clash with other writers), then COPY.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(rows)],
            )
            ids = sorted(row[0] for row in cursor.fetchall())
            with_ids = ((i, *row) for i, row in zip(ids, rows, strict=True))
            insert_rows(model, (pk.attname, *columns), with_ids)
            return ids
        table, names = table_columns(model, columns)
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        returning = connection.ops.quote_name(pk.column)
        per_statement = (connection.features.max_query_params or 999) // len(columns)
        ids = []
        for batch in batched(rows, max(1, min(1_000, per_statement))):
            values = ", ".join([one] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values} RETURNING {returning}",
                [value for row in batch for value in row],
            )
            # Returned in row order, which bulk_create relies on too.
            ids.extend(row[0] for row in cursor.fetchall())
        return ids


@dataclass
class HistoryWriter:
    """Writes generated leads, their transitions and feedback.

    Precondition: inside the seed's transaction."""

    board_id: int
    now: datetime
    count: int
    stage_ids: list[int]
    campaign_ids: list[int | None]  # by PROFILES index
    user_ids: dict[str, int]
    leads: int = 0
    transitions: int = 0
    feedback: int = 0

    def __post_init__(self) -> None:
        vendor, features = connection.vendor, connection.features
        if vendor != "postgresql" and not features.can_return_rows_from_bulk_insert:
            raise NotSupportedError("Seeding needs INSERT ... RETURNING (SQLite >= 3.35).")
        self.time = self.timestamps()

    def timestamps(self) -> Callable[[int], Any]:
        """Seconds before ``now`` -> the database's value for that moment."""
        adapt = connection.ops.adapt_datetimefield_value
        now, adapted = self.now, adapt(self.now)
        if isinstance(adapted, str):
            # SQLite keeps str() of the naive time in the connection's zone: do the
            # same without converting a million times between time zones.
            naive = timezone.make_naive(now, connection.timezone)
            if str(naive) == adapted:
                return lambda ago: str(naive - timedelta(seconds=ago))
        return lambda ago: adapt(now - timedelta(seconds=ago))

    def lead_row(self, plan: LeadPlan) -> tuple[Any, ...]:
        path, time, json = plan.path, self.time, connection.ops.adapt_json_value
        entered = time(path.steps[-1].ago)
        # Newest arrival on top of its stage; the index parts arrivals in the same second.
        position = rank_of_index(path.steps[-1].ago * (self.count + 1) + plan.index)
        # Its latest verdict, as lead_feedback_record keeps it.
        judged = time(min(r.ago for r in path.reviews)) if path.reviews else None
        return (
            self.board_id, self.stage_ids[path.stage], self.campaign_ids[plan.profile],
            plan.name, plan.email, plan.company, plan.title, PROFILES[plan.profile].channel,
            self.user_ids[plan.owner], plan.score,
            connection.ops.adapt_decimalfield_value(Decimal(plan.value)),
            json(plan.attributes, None), f"MA-{plan.index + 1:07d}",
            f"CRM-{plan.index + 1:07d}" if path.reached_sales else "", position, 1,
            entered, time(path.steps[0].ago), entered, None, None, judged,
        )  # fmt: skip

    def transition_rows(self, lead_id: int, plan: LeadPlan) -> Iterator[tuple[Any, ...]]:
        stage_ids, user_ids = self.stage_ids, self.user_ids
        for step in plan.path.steps:
            yield (
                self.board_id, lead_id,
                None if step.from_stage is None else stage_ids[step.from_stage],
                stage_ids[step.to_stage], None if step.actor is None else user_ids[step.actor],
                self.time(step.ago), Source.SEED.value, None, None, step.note, "",
                lost_reason(step.note, lead_id) if step.to_stage == LOST else "",
            )  # fmt: skip

    def feedback_rows(self, lead_id: int, plan: LeadPlan) -> Iterator[tuple[Any, ...]]:
        json = connection.ops.adapt_json_value
        for r in plan.path.reviews:
            yield (
                lead_id, self.user_ids[r.actor], r.verdict, r.reason,
                json(r.valuable, None), json(r.useless, None), self.time(r.ago),
            )  # fmt: skip

    def write(self, plans: tuple[LeadPlan, ...]) -> None:
        ids = insert_rows_returning_ids(Lead, LEAD_COLUMNS, map(self.lead_row, plans))
        self.transitions += insert_rows(
            StageTransition,
            TRANSITION_COLUMNS,
            (
                row
                for i, plan in zip(ids, plans, strict=True)
                for row in self.transition_rows(i, plan)
            ),
        )
        self.feedback += insert_rows(
            LeadFeedback,
            FEEDBACK_COLUMNS,
            (
                row
                for i, plan in zip(ids, plans, strict=True)
                for row in self.feedback_rows(i, plan)
            ),
        )
        self.leads += len(ids)


@dataclass(frozen=True)
class DemoSeedResult:
    board: Board
    leads: int
    transitions: int
    feedback: int
    campaigns: int
    people: int
    existing_users: list[str]


def demo_now() -> datetime:
    """The default anchor of the history: the start of today (UTC)."""
    return timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)


def demo_users_ensure(password: str) -> tuple[dict[str, Any], list[str]]:
    """The demo people by username, made when missing; existing users are left as
    they are, passwords too. Also returns the usernames that existed."""
    User = get_user_model()
    usernames = [p.username for p in PEOPLE]
    existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    hashed = make_password(password)  # hashed once: every demo login has the same password
    User.objects.bulk_create(
        User(
            username=p.username,
            first_name=p.first_name,
            last_name=p.last_name,
            email=f"{p.username}@funnelboard.example",
            password=hashed,
        )
        for p in PEOPLE
        if p.username not in existing
    )
    users = {u.get_username(): u for u in User.objects.filter(username__in=usernames)}
    return users, sorted(existing)


HISTORY_MODELS = (Lead, StageTransition, LeadFeedback)  # the tables HistoryWriter fills


def loads_bare(leads: int) -> bool:
    """Does a seed of ``leads`` load the history's tables bare (PostgreSQL, big)?"""
    return connection.vendor == "postgresql" and leads >= BIG_SEED


def bulk_load(leads: int) -> AbstractContextManager[object]:
    """Around the history's writes: a big seed on PostgreSQL loads its tables bare
    (leads.demo.rebuild); any other seed writes into them as they are."""
    return indexes_dropped(HISTORY_MODELS) if loads_bare(leads) else nullcontext()


def bulk_loaded(leads: int) -> None:
    """After a bare load has committed: its tables vacuumed and analysed
    (``leads.demo.rebuild.tables_vacuumed``). Inside an outer transaction (VACUUM
    cannot run there) that is left to autovacuum."""
    if loads_bare(leads) and not connection.in_atomic_block:
        tables_vacuumed(HISTORY_MODELS)


@write_transaction
def demo_seed(
    *,
    board_name: str = DEMO_BOARD_NAME,
    leads: int = 2_000,
    seed: int = 42,
    now: datetime | None = None,
    password: str = DEMO_PASSWORD,
    transitions_per_lead: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSeedResult:
    """A demo board: the default funnel, the demo people, eight campaigns and
    ``leads`` leads with history up to ``now`` (default: the start of today).

    ``transitions_per_lead`` asks for more rework loops (benchmarks: 10 gives
    about a million transitions for 100,000 leads); the natural history has
    about 2.6 per lead.
    """
    if leads < 0:
        raise ValueError("leads must be 0 or more")
    now = now or demo_now()
    users, existing = demo_users_ensure(password)
    manager = users["manager"]
    board = board_create(name=board_name, created_by=manager, team=Team.MANAGEMENT)
    for person in PEOPLE:
        if person.username != manager.get_username():
            board_member_add(
                board_id=board.pk, actor=manager, username=person.username,
                role=person.role, team=person.team,
            )  # fmt: skip
    campaigns = [
        campaign_create(
            board_id=board.pk,
            actor=manager,
            name=profile.name,
            channel=profile.channel,
            cost=profile.cost,
            starts_on=(now - timedelta(days=profile.start_days_ago)).date(),
            ends_on=(now - timedelta(days=profile.end_days_ago)).date(),
            external_id=profile.utm,
        )
        for profile in CAMPAIGNS
    ]
    stages = list(Stage.objects.filter(board=board).order_by("position"))
    assert [s.name for s in stages] == [spec["name"] for spec in DEFAULT_STAGES]
    writer = HistoryWriter(
        board_id=board.pk,
        now=now,
        count=leads,
        stage_ids=[s.pk for s in stages],
        campaign_ids=[*(c.pk for c in campaigns), None],
        user_ids={username: user.pk for username, user in users.items()},
    )
    plans = lead_plans(count=leads, seed=seed, rework=rework_for(transitions_per_lead, seed))
    with bulk_load(leads):
        for chunk in batched(plans, CHUNK):
            writer.write(chunk)
            if progress is not None:
                progress(writer.leads, leads)
    board_tallies_rebuild(board)  # the history is written in bulk, past the write paths
    return DemoSeedResult(
        board=board,
        leads=writer.leads,
        transitions=writer.transitions,
        feedback=writer.feedback,
        campaigns=len(campaigns),
        people=len(users),
        existing_users=existing,
    )
