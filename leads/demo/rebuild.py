"""Bulk loads on PostgreSQL without the cost of keeping indexes and foreign keys up to date
row by row: drop them, load, build them again in one pass each.

The definitions are read from the catalog (``pg_get_indexdef`` / ``pg_get_constraintdef``),
so whatever the migrations made is what comes back. PostgreSQL's DDL is transactional: run
inside the load's transaction, an interrupted or failed load rolls back the drops too, and
no reader ever sees the tables without their indexes (the drops hold an exclusive lock on
the tables until the commit, which a big seed is entitled to).

Kept: the primary keys (other tables' foreign keys point at them), check and not-null
constraints (cheap), and unique constraints or indexes that a foreign key relies on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.db.models import Model

# Constraints that own an index or check other rows: costly per row, cheap to build at once.
DROPPED_CONSTRAINTS = ("f", "u", "x")  # foreign key, unique, exclusion

CONSTRAINTS = """
SELECT c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.conrelid = %s::regclass
  AND c.contype = ANY(%s)
  AND NOT (c.contype <> 'f' AND EXISTS (
        SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))
ORDER BY c.conname
"""

# Indexes of their own (not the primary key, not one that backs a constraint).
INDEXES = """
SELECT i.relname, pg_get_indexdef(x.indexrelid)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = %s::regclass
  AND NOT x.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid
                  AND c.conrelid = x.indrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f'
                  AND f.conindid = x.indexrelid)
ORDER BY i.relname
"""


@dataclass(frozen=True)
class TableDefinitions:
    table: str
    constraints: list[tuple[str, str]]  # (name, definition)
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX statement)


def definitions(table: str) -> TableDefinitions:
    with connection.cursor() as cursor:
        cursor.execute(CONSTRAINTS, [table, list(DROPPED_CONSTRAINTS)])
        constraints = [(name, definition) for name, definition in cursor.fetchall()]
        cursor.execute(INDEXES, [table])
        indexes = [(name, statement) for name, statement in cursor.fetchall()]
    return TableDefinitions(table, constraints, indexes)


def drop(found: TableDefinitions) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name, _ in found.constraints:
            cursor.execute(f"ALTER TABLE {quote(found.table)} DROP CONSTRAINT {quote(name)}")
        for name, _ in found.indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")


def create(found: TableDefinitions) -> None:
    """Indexes first: the unique ones back the constraints' checks."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for _, statement in found.indexes:
            cursor.execute(statement)
        for name, definition in found.constraints:
            cursor.execute(
                f"ALTER TABLE {quote(found.table)} ADD CONSTRAINT {quote(name)} {definition}"
            )
        cursor.execute(f"ANALYZE {quote(found.table)}")


@contextmanager
def indexes_dropped(models: Iterable[type[Model]]) -> Iterator[list[TableDefinitions]]:
    """Drop the foreign keys, unique constraints and indexes of ``models``' tables for the
    block, build them again after it. PostgreSQL only.

    Precondition: inside a transaction (the seed's), so that an exception, or the process
    dying, leaves the tables as they were."""
    assert connection.vendor == "postgresql", "indexes_dropped is for PostgreSQL"
    assert connection.in_atomic_block, "indexes_dropped needs the load's transaction"
    with connection.cursor() as cursor:
        # Deferred checks queued earlier in the transaction (the board, its stages) run now:
        # a table with pending trigger events cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    found = [definitions(model._meta.db_table) for model in models]
    for table in found:
        drop(table)
    yield found
    for table in found:
        create(table)


def tables_vacuumed(models: Iterable[type[Model]]) -> None:
    """``VACUUM (ANALYZE)`` the tables of ``models`` after a bulk load has committed: the
    visibility map set lets the board's reads (``/state/``'s counts and medians) scan
    their indexes only, as autovacuum would, some time later. PostgreSQL, outside a
    transaction."""
    assert connection.vendor == "postgresql", "tables_vacuumed is for PostgreSQL"
    assert not connection.in_atomic_block, "VACUUM cannot run in a transaction"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {quote(model._meta.db_table)}")
