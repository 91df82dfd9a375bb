"""Rows stored before ``leads.validation`` checked what enters: moments outside
1900-01-01 .. now (a CRM's "never" date 9999-12-31 as a creation date) are
brought to the nearest bound, campaign days outside 1900..2200 are cleared, and
lone UTF-16 surrogates in JSON (SQLite kept them as escapes) become U+FFFD.
Nothing else changes; running it twice changes nothing more."""

import datetime as dt
import json

from django.db import migrations
from django.utils import timezone

DATE_MIN = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
DAY_MIN, DAY_MAX = dt.date(1900, 1, 1), dt.date(2200, 1, 1)

MOMENTS = {
    "Lead": ("created_at", "stage_entered_at"),
    "StageTransition": ("at",),
    "LeadFeedback": ("at",),
    "BoardEvent": ("at",),
}
JSON_COLUMNS = {"Lead": "attributes", "IdempotencyKey": "response"}


def clean_text(text):
    # A lone surrogate cannot be encoded; pairs (escaped by SQLite's JSON) recombine.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value


def bound_moments(apps, now):
    # A day's slack, as for new rows: a row a little ahead of this clock stays.
    ahead = now + dt.timedelta(days=1)
    for model_name, fields in MOMENTS.items():
        model = apps.get_model("leads", model_name)
        for name in fields:
            model.objects.filter(**{f"{name}__gt": ahead}).update(**{name: now})
            model.objects.filter(**{f"{name}__lt": DATE_MIN}).update(**{name: DATE_MIN})
    campaign = apps.get_model("leads", "Campaign")
    for name in ("starts_on", "ends_on"):
        outside = campaign.objects.filter(**{f"{name}__lt": DAY_MIN}) | campaign.objects.filter(
            **{f"{name}__gte": DAY_MAX}
        )
        outside.update(**{name: None})


def clean_json(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return  # PostgreSQL's jsonb never stored a lone surrogate
    for model_name, column in JSON_COLUMNS.items():
        model = apps.get_model("leads", model_name)
        table = model._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" LIKE %s', ["%\\ud%"]
            )
            rows = cursor.fetchall()
        for pk, text in rows:
            value = json.loads(text)
            cleaned = clean(value)
            if cleaned != value:
                model.objects.filter(pk=pk).update(**{column: cleaned})


def forwards(apps, schema_editor):
    bound_moments(apps, timezone.now())
    clean_json(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("leads", "0004_webhook_delivery_lease")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
