"""One query per stage, compiled once: the per-stage reads of ``/state/``.

``/state/`` asks the same question of every stage (its page of cards, its middle
entry, its overdue count) and differs only in the stage and a few numbers.
Compiling a queryset costs more than running it (about 1 ms a branch, against a
tenth of that in PostgreSQL), so each question is compiled once with ``Slot``s
where the stage and numbers go (``compiled``) and bound to each stage's values
(``Compiled.bind``); ``union_all`` runs the branches. The questions asked of a
board's live leads unfiltered, the same at every ``/state/`` of the board, are
kept compiled between requests (``kept_compiled``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import DateTimeField, Expression, Field, IntegerField, QuerySet
from django.db.models.sql.compiler import SQLCompiler


class Slot(Expression):
    """A parameter of a compiled query, named, given its value by ``Compiled.bind``:
    ``leads.filter(stage_id=Slot("stage"))``."""

    def __init__(self, name: str, output_field: Field | None = None) -> None:
        super().__init__(output_field=output_field or IntegerField())
        self.name = name

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return "%s", (self,)


def moment_slot(name: str) -> Slot:
    """A ``Slot`` for a moment (adapted as the database stores moments)."""
    return Slot(name, DateTimeField())


@dataclass(frozen=True)
class Compiled:
    """A queryset's SQL and parameters, some of them ``Slot``s; its compiler
    converts the rows (``rows``) as the queryset would have. ``empty``: a
    queryset that can have no rows (``.none()``, ``id__in=[]``) is not run."""

    sql: str
    params: tuple[Any, ...]
    compiler: SQLCompiler
    names: tuple[str, ...]
    ordered: bool = False  # ordered or LIMITed: no branch of a compound on SQLite
    empty: bool = False

    def bind(self, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL and parameters with each ``Slot`` given its value."""
        return self.sql, [
            p.output_field.get_db_prep_value(values[p.name], connection)
            if isinstance(p, Slot)
            else p
            for p in self.params
        ]

    def rows(self, raw: list[Any]) -> list[tuple[Any, ...]]:
        """The database's rows of this query as the queryset's ``values_list``."""
        return [tuple(row) for row in self.compiler.results_iter(results=[raw])]


def compiled(queryset: QuerySet[Any], *, paged: bool = False) -> Compiled:
    """``queryset`` (a ``values()`` or ``values_list()``) compiled once; ``paged``:
    followed by ``LIMIT`` and ``OFFSET`` slots (``limit``, ``offset``)."""
    query = queryset.query
    compiler = query.get_compiler(queryset.db)
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    ordered = paged or query.is_sliced or bool(query.order_by)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return Compiled("", (), compiler, names, ordered, empty=True)
    if paged:
        sql, params = f"{sql} LIMIT %s OFFSET %s", (*params, Slot("limit"), Slot("offset"))
    return Compiled(sql, tuple(params), compiler, names, ordered)


KEPT_MAX = 256  # compiled queries kept per thread; all forgotten at once past it

_kept = threading.local()


def kept_compiled(
    key: Hashable | None, build: Callable[[], QuerySet[Any]], *, paged: bool = False
) -> Compiled:
    """``compiled(build(), paged=paged)``, kept in this thread under ``key`` with
    the thread's connection: ``key`` names all that the SQL and its parameters
    depend on but the ``Slot``s (None: compiled afresh)."""
    if key is None:
        return compiled(build(), paged=paged)
    own = connections[DEFAULT_DB_ALIAS]
    kept: dict[Hashable, Compiled] = getattr(_kept, "compiled", None) or {}
    shape = kept.get((key, paged))
    if shape is None or shape.compiler.connection is not own:
        shape = compiled(build(), paged=paged)
        if shape.compiler.connection is own:
            if len(kept) >= KEPT_MAX:
                kept = {}
            kept[(key, paged)] = shape
            _kept.compiled = kept
    return shape


def union_all(branches: Sequence[tuple[Compiled, Mapping[str, Any]]]) -> list[tuple[Any, ...]]:
    """The rows of every ``(compiled, values)`` branch, as one UNION ALL unless
    some are ordered or LIMITed and the database runs no such branches (SQLite):
    one query each then. The branches share their columns; the rows come in no
    order."""
    bound = [(shape, *shape.bind(values)) for shape, values in branches if not shape.empty]
    if not bound:
        return []
    features = connection.features
    compound = features.supports_slicing_ordering_in_compound or not any(
        shape.ordered for shape, _, _ in bound
    )
    with connection.cursor() as cursor:
        moments_read_natively(cursor)
        if len(bound) > 1 and compound:
            wrap = "({})" if features.supports_parentheses_in_compound else "{}"
            cursor.execute(
                " UNION ALL ".join(wrap.format(sql) for _, sql, _ in bound),
                [p for _, _, params in bound for p in params],
            )
            return bound[0][0].rows(cursor.fetchall())
        rows = []
        for shape, sql, params in bound:
            cursor.execute(sql, params)
            rows.extend(shape.rows(cursor.fetchall()))
        return rows


def moments_read_natively(cursor: Any) -> None:
    """On PostgreSQL with the session in UTC (Django's, under ``USE_TZ``), read the
    cursor's moments with psycopg's own loader: Django's is a Python subclass of it
    that sets the tzinfo UTC that psycopg's gives already, three times slower on
    a page of cards. The same datetimes."""
    if connection.vendor != "postgresql" or connection.timezone_name != "UTC":
        return
    from psycopg.types.datetime import TimestamptzLoader

    cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
