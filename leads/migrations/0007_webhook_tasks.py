# Webhook delivery moved to a task queue (django.tasks + django-tasks-db): one
# task per webhook drains its outbox, kept to one deliverer by a lock that ends
# with its holder (leads.locks), so the hand-made lease goes.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0006_fractional_rank"),
    ]

    operations = [
        migrations.RemoveField(model_name="webhook", name="lease_owner"),
        migrations.RemoveField(model_name="webhook", name="lease_until"),
    ]
