"""Share links keep only their token's SHA-256 (``funnel.models.token_digest``).

Existing links keep working: each row's token is hashed in place before the
clear column goes. Going back cannot bring a token back, so it revokes every
link that was still open and gives each row a fresh token nobody holds.
"""

import hashlib
import secrets

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone


def hash_tokens(apps, schema_editor):
    ShareLink = apps.get_model("funnel", "ShareLink")
    links = ShareLink.objects.exclude(token__isnull=True).only("pk", "token")
    for link in links.iterator(chunk_size=500):
        # The digest of funnel.models.token_digest, spelled out: a migration must not
        # change when the model's module does.
        link.token_hash = hashlib.sha256(link.token.encode()).hexdigest()
        link.save(update_fields=["token_hash"])


def revoke_unrecoverable(apps, schema_editor):
    ShareLink = apps.get_model("funnel", "ShareLink")
    now = timezone.now()
    for pk in ShareLink.objects.values_list("pk", flat=True).iterator(chunk_size=500):
        # One UPDATE per row: a row updated twice in one transaction would leave
        # PostgreSQL foreign-key checks pending, and the ALTER TABLE that follows
        # refuses to run with those.
        ShareLink.objects.filter(pk=pk).update(
            token=secrets.token_urlsafe(32), revoked_at=Coalesce("revoked_at", Value(now))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("funnel", "0002_meeting"),
    ]

    operations = [
        migrations.AddField(
            model_name="sharelink",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        # Nullable and not unique while both columns live, so that going back can
        # re-add the clear column empty and fill it row by row.
        migrations.AlterField(
            model_name="sharelink",
            name="token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, revoke_unrecoverable, elidable=False),
        migrations.RemoveField(
            model_name="sharelink",
            name="token",
        ),
        migrations.AlterField(
            model_name="sharelink",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
