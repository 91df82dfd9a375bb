"""A lead's stage and campaign are on the lead's own board, enforced by the database.

PostgreSQL: composite foreign keys onto the (board_id, id) unique constraints.
SQLite cannot add constraints to a table, so triggers do the same check there.
A later migration that makes SQLite rebuild leads_lead drops these triggers: it
must create them again (tests/leads/test_constraints.py fails until it does).
"""

from django.db import migrations

POSTGRES_UP = """
ALTER TABLE leads_lead ADD CONSTRAINT lead_stage_on_board
    FOREIGN KEY (board_id, stage_id) REFERENCES leads_stage (board_id, id);
ALTER TABLE leads_lead ADD CONSTRAINT lead_campaign_on_board
    FOREIGN KEY (board_id, campaign_id) REFERENCES leads_campaign (board_id, id);
"""
POSTGRES_DOWN = """
ALTER TABLE leads_lead DROP CONSTRAINT lead_stage_on_board;
ALTER TABLE leads_lead DROP CONSTRAINT lead_campaign_on_board;
"""

SQLITE_CHECK = """
SELECT RAISE(ABORT, 'lead_on_board: stage or campaign of another board')
WHERE (SELECT board_id FROM leads_stage WHERE id = NEW.stage_id) IS NOT NEW.board_id
   OR (NEW.campaign_id IS NOT NULL
       AND (SELECT board_id FROM leads_campaign WHERE id = NEW.campaign_id) IS NOT NEW.board_id);
"""
SQLITE_UP = [
    f"CREATE TRIGGER lead_on_board_insert BEFORE INSERT ON leads_lead BEGIN {SQLITE_CHECK} END;",
    f"CREATE TRIGGER lead_on_board_update BEFORE UPDATE OF board_id, stage_id, campaign_id ON leads_lead BEGIN {SQLITE_CHECK} END;",
]
SQLITE_DOWN = ["DROP TRIGGER lead_on_board_insert;", "DROP TRIGGER lead_on_board_update;"]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
