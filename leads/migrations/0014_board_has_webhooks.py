from django.db import migrations, models


def has_webhooks_backfill(apps, schema_editor):
    Board = apps.get_model("leads", "Board")
    Webhook = apps.get_model("leads", "Webhook")
    Board.objects.filter(pk__in=Webhook.objects.values("board_id")).update(has_webhooks=True)


class Migration(migrations.Migration):
    dependencies = [("leads", "0013_lead_last_verdict")]

    operations = [
        migrations.AddField(
            model_name="board",
            name="has_webhooks",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(has_webhooks_backfill, migrations.RunPython.noop),
    ]
