"""A lead's ``position`` becomes a rank (``leads.ranks``): a string key compared by
its bytes, so a drop writes one row and nothing is ever renumbered.

Each stage's cards keep their order: in (old position, id) order they get the
ranks "a0", "a1", ... (cards that shared a float get distinct ranks, in id
order, as they were shown). Moves now record the rank the lead left
(``StageTransition.from_position``, empty for the moves stored before), so an
undo puts the card back where it was. Back to floats, the ranks' order becomes
0.0, 1.0, ... per stage."""

import importlib

from django.db import migrations, models

import leads.models
from leads.ranks import rank_of_index

BATCH = 2000
# SQLite rebuilds leads_lead here, which drops the triggers that keep a lead's
# stage and campaign on its board (0002): they are made again, both ways.
INTEGRITY = importlib.import_module("leads.migrations.0002_lead_board_integrity")


def lead_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name in ("lead_on_board_insert", "lead_on_board_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")
        for statement in INTEGRITY.SQLITE_UP:
            schema_editor.execute(statement)


def renumbered(apps, order, field, value_of):
    """Write ``field`` of every lead from its index in its stage's ``order``."""
    Lead = apps.get_model("leads", "Lead")
    stages = Lead.objects.order_by().values_list("stage_id", flat=True).distinct()
    for stage_id in list(stages):
        ids = list(
            Lead.objects.filter(stage_id=stage_id).order_by(*order).values_list("id", flat=True)
        )
        for start in range(0, len(ids), BATCH):
            chunk = [
                Lead(pk=pk, **{field: value_of(start + offset)})
                for offset, pk in enumerate(ids[start : start + BATCH])
            ]
            Lead.objects.bulk_update(chunk, [field])


def floats_to_ranks(apps, schema_editor):
    renumbered(apps, ("position", "id"), "rank", rank_of_index)


def ranks_to_floats(apps, schema_editor):
    renumbered(apps, ("rank", "id"), "position", float)


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_bounded_dates_and_text")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, lead_triggers, elidable=False),
        migrations.RemoveIndex(model_name="lead", name="lead_stage_order"),
        migrations.AddField(
            model_name="lead",
            name="rank",
            field=leads.models.RankField(default="a0", max_length=2048),
        ),
        migrations.RunPython(floats_to_ranks, ranks_to_floats, elidable=False),
        migrations.RemoveField(model_name="lead", name="position"),
        migrations.RenameField(model_name="lead", old_name="rank", new_name="position"),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                fields=["board", "stage", "position", "id"], name="lead_stage_order"
            ),
        ),
        migrations.AddField(
            model_name="stagetransition",
            name="from_position",
            field=models.CharField(blank=True, default="", max_length=2048),
        ),
        migrations.RunPython(lead_triggers, migrations.RunPython.noop, elidable=False),
    ]
