"""Aggregates of ``items`` kept current on write, so the Tablero never scans the items.

Rollups are sums of *signed contributions*. A write appends, in its own transaction, the
contribution of the items it touches to ``rollup_delta``: times -1 just before they change
or go, +1 just after they are written. Each rollup is its folded table plus the delta
projected to its grain (``source``); a key's value is the SUM of its rows, which is what
every query computes anyway. Appending needs no index and no lookup, so a write costs one
small INSERT per change; ``compact`` folds the delta into every rollup, one row per key, in
the order its readers filter on (``python -m escala compact``, the server as it starts, the
bench and ``rebuild``).

Why sums of contributions are exact: every measure is a count or a sum over items, which is
additive; a write changes a finite set of items, and subtracting their old contribution and
adding their new one (both computed by the same expressions from the rows themselves, in the
same transaction) leaves each key's sum equal to the aggregate over the current ``items``.
``check`` recomputes every rollup from ``items`` and lists the keys that differ; the test
suite runs it after every kind of write.

Rows are *wide*: one row per key holds every type × Estatus count side by side (``MEASURES``),
so a whole history is ~100 k rows (days × people) rather than a row per type and state, and
the type and state filters become a choice of columns. Each item counts on three calendar
days (``BASES``): when it is due (Hasta/Fecha: states, ageing, completion), when it was
created and when it was completed (the Tablero's "over time" chart). Days are calendar days
in the rollup zone (``meta.rollup_zone``, the team's zone when first built): a period of whole
local days in that zone is a set of whole keys. Other zones, and the day that contains "now"
(pending items before and after it are Vencida and Por vencer), are read from ``items`` for
the partial days only (see ``escala/analytics.py``).

The tables are derived data, made here from ``definitions`` (not by a migration): a new
version of the definitions rebuilds them once (``ensure``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np

from escala import times
from escala.meta import set_meta
from escala.engines import operations_of
from escala.engines.duckdb import OPERATIONS as SQL  # DuckDB's SQL fragments: the default, and the version's text

ITEM_ORDER = "responsible_id NULLS LAST, due_at, id"  # how `compact` stores items: per person, then per period
ZONE_KEY = "rollup_zone"
VERSION_KEY = "rollups_version"  # which rollup definitions the stored rows were built with

TYPES = {"Tarea": "tarea", "Webinar": "webinar", "Evento": "evento", "Llamada": "llamada",
         "Reunión": "reunion", "Otro": "otro"}  # type label -> the column suffix of its measures
DUE, CREATED, COMPLETED = 0, 1, 2  # the day an item counts on (``basis``)
BASES = {DUE: "i.due_at", CREATED: "i.created_at", COMPLETED: "i.completed_at"}

TYPE = "coalesce(i.activity_type::VARCHAR, 'Tarea')"  # the activity type, or "Tarea" for tasks
RESPONSIBLE = "coalesce(i.responsible_id, 0)"  # 0 = Sin asignar (keys hold no NULLs)
OWNER = "coalesce(i.contact_owner_id, 0)"
STAGE = "coalesce(o.stage::VARCHAR, '')"  # '' = no opportunity
OPPORTUNITY = "coalesce(i.opportunity_id, 0)"  # 0 = none
MEASURE_TYPE = "INTEGER"  # per key; DuckDB sums INTEGER columns in 64 bits, BIGINT ones in 128 (far slower)
PENDING = "i.status = 'Pendiente'"
DONE = "i.status = 'Realizada'"


def each_sql(ops=SQL) -> tuple[tuple[str, str], ...]:
    """Per item, what every measure is made of (SQL over ``i``, in the engine ``ops``' words)."""
    whole_days = ops.whole_days("i.created_at", "i.completed_at")
    return (("n", "1"),
            ("on_time", f"({DONE} AND i.completed_at <= i.due_at)::INTEGER"),  # sql-ok: fixed fragments
            ("done_days", f"CASE WHEN {DONE} THEN {whole_days} ELSE 0 END"))  # sql-ok


def narrow_sums(ops=SQL) -> tuple[tuple[str, str], ...]:
    """Per key, type and Estatus: each ``each_sql`` column summed."""
    return tuple((name, f"sum({expression})") for name, expression in each_sql(ops))


NARROW = narrow_sums()


@dataclass(frozen=True)
class Measure:
    """One measure column: the sum of a NARROW column over the rows of one type and Estatus
    (``None``: any). Data, so SQL (``sql``) and Python (``pivot``) read it the same way."""

    name: str
    narrow: str  # n, on_time or done_days
    type: str | None = None
    status: str | None = None

    @property
    def sql(self) -> str:
        """The aggregate over the NARROW rows ``t`` of one key."""
        return f"sum({self.each})"

    @property
    def each(self) -> str:
        """What one NARROW row ``t`` adds to it."""
        conditions = [f"t.type = '{self.type}'"] if self.type else []
        conditions += [f"t.status = '{self.status}'"] if self.status else []
        if not conditions:
            return f"t.{self.narrow}"
        return f"CASE WHEN {' AND '.join(conditions)} THEN t.{self.narrow} ELSE 0 END"  # sql-ok: fixed words

    def counts(self, type_label: str, status: str) -> bool:
        return self.type in (None, type_label) and self.status in (None, status)


def _measures() -> tuple[Measure, ...]:
    """Per type: pending and done counts, done on time (by Hasta/Fecha) and the whole days from
    creation to completion (for the mean); and the last two for every type at once (what the
    Tablero reads without a type filter). Wide aggregates straight over items are slow; over a
    handful of narrow rows per key they cost nothing."""
    measures = []
    for label, key in TYPES.items():
        measures += [Measure(f"pending_{key}", "n", label, "Pendiente"), Measure(f"done_{key}", "n", label, "Realizada"),
                     Measure(f"on_time_{key}", "on_time", label), Measure(f"done_days_{key}", "done_days", label)]
    return (*measures, Measure("on_time_all", "on_time"), Measure("done_days_all", "done_days"))


def narrow_columns(ops) -> str:
    """The type, Estatus and NARROW aggregates over items ``i`` (for a query's SELECT)."""
    return ", ".join([f"{TYPE} AS type", "i.status::VARCHAR AS status",
                      *(f"{sql} AS {name}" for name, sql in narrow_sums(ops))])


MEASURES = _measures()
PENDING_MEASURES = tuple(m for m in MEASURES if m.name.startswith("pending_"))
NARROW_NAMES = ("type", "status", *(name for name, _ in NARROW))


def pivot(signed_rows: list[tuple[int, tuple]], width: int) -> list[tuple]:
    """A pivot in Python: (sign, narrow row) pairs (``width`` key columns, then NARROW_NAMES)
    -> one row per key with every measure, each row counted times its sign; keys whose
    measures net out to nothing are left out. For the rows of the items a form or a bulk
    action touches, where binding the SQL pivot would cost more than the write."""
    at = {name: width + k for k, name in enumerate(NARROW_NAMES)}
    sums: dict[tuple, list[int]] = {}
    for sign, row in signed_rows:
        values = sums.setdefault(row[:width], [0] * len(MEASURES))
        for k, narrow in _fed_by(row[at["type"]], row[at["status"]]):
            values[k] += sign * row[at[narrow]]
    return [(*key, *values) for key, values in sums.items() if any(values)]


@lru_cache(maxsize=None)
def _fed_by(type_label: str, status: str) -> tuple[tuple[int, str], ...]:
    """The measures (index, NARROW column) that rows of this type and Estatus add to."""
    return tuple((k, measure.narrow) for k, measure in enumerate(MEASURES) if measure.counts(type_label, status))


@dataclass(frozen=True)
class Rollup:
    name: str
    dims: tuple[str, ...]  # key columns, from DIMENSIONS
    order: tuple[str, ...]  # how `compact` stores the rows: what its readers filter on first
    measures: tuple[Measure, ...] = MEASURES
    items_condition: str = "TRUE"  # which contributions it keeps, over items ``i`` and ``b.basis``
    delta_condition: str = "TRUE"  # the same over the delta's columns

    @property
    def measure_names(self) -> list[str]:
        return [measure.name for measure in self.measures]


def dimensions(zone: str, ops=SQL) -> dict[str, tuple[str, str]]:
    """Every key column: (SQL type, expression over items ``i``, its opportunity ``o`` and ``b.basis``)."""
    day = "CASE b.basis " + " ".join(f"WHEN {basis} THEN {ops.local_day(column, zone)}"
                                     for basis, column in BASES.items()) + " END"
    return {"basis": ("SMALLINT", "b.basis"), "day": ("DATE", day), "responsible_id": ("INTEGER", RESPONSIBLE),
            "owner_id": ("INTEGER", OWNER), "stage": ("VARCHAR", STAGE), "opportunity_id": ("INTEGER", OPPORTUNITY)}


DIMS = tuple(dimensions("UTC"))  # every key column, in the delta's order
KEYS = DIMS[2:]  # the key columns after basis and day
DELTA = "rollup_delta"  # contributions not yet folded, keyed by every dimension
# pending work on an opportunity: what ranks the opportunities (done items carry zeros there)
WITH_OPPORTUNITY = (f"b.basis = {DUE} AND i.opportunity_id IS NOT NULL AND {PENDING}", f"basis = {DUE} AND opportunity_id <> 0")

DEFINITIONS = (  # every key column is among the delta's, so the delta serves them all
    # everyone who sees everything, by responsible: most Tablero reads
    Rollup("rollup_team", ("basis", "responsible_id", "day"), ("basis", "responsible_id", "day")),
    # a contact owner filter, and a seller's own scope (the contacts they own)
    Rollup("rollup_owner", ("basis", "owner_id", "responsible_id", "stage", "day"), ("owner_id", "basis", "day")),
    # an opportunity stage filter
    Rollup("rollup_stage", ("basis", "stage", "responsible_id", "day"), ("stage", "basis", "responsible_id", "day")),
    # the opportunities with most pending work, over the whole history
    Rollup("rollup_opportunity", ("opportunity_id",), ("opportunity_id",), PENDING_MEASURES, *WITH_OPPORTUNITY),
    # ... and within any other filter: pending work only (what ranks them), per person and day
    Rollup("rollup_pending_opportunity", ("responsible_id", "day", "owner_id", "stage", "opportunity_id"),
           ("responsible_id", "day"), PENDING_MEASURES, *WITH_OPPORTUNITY),
)


def _finer(rollup: Rollup, candidates) -> Rollup | None:
    """The coarsest of ``candidates`` whose rows, summed at ``rollup``'s grain, are
    ``rollup``'s rows: it has every key column and measure of ``rollup``'s and keeps the same
    contributions. Sums are additive, so this is exact; and it adds far fewer rows than the
    items' contributions, with no day, type or Estatus to work out per row."""
    covering = [r for r in candidates if set(rollup.dims) < set(r.dims) and r.items_condition == rollup.items_condition
                and set(rollup.measure_names) <= set(r.measure_names)]
    return min(covering, key=lambda r: len(r.dims), default=None)


BUILD_ORDER = tuple(sorted(DEFINITIONS, key=lambda r: -len(r.dims)))  # finer first: the coarser are their sums
FINER = {r.name: _finer(r, BUILD_ORDER[:k]) for k, r in enumerate(BUILD_ORDER)}  # built before, or None: items


def source(rollup_name: str, measures: list[str] | None = None) -> str:
    """SQL for a rollup's rows: its folded table and the delta at its grain (sum them by key),
    with every key column and ``measures`` (default: all; fewer bind faster)."""
    rollup = next(r for r in DEFINITIONS if r.name == rollup_name)
    columns = ", ".join([*rollup.dims, *(rollup.measure_names if measures is None else measures)])
    return f"(SELECT {columns} FROM {rollup.name} UNION ALL {_in_delta(rollup, columns)})"  # sql-ok: our names


def _in_delta(rollup: Rollup, columns: str) -> str:
    """SQL for the delta's rows at ``rollup``'s grain (``columns``: its keys and measures)."""
    return f"SELECT {columns} FROM {DELTA} WHERE {rollup.delta_condition}"  # sql-ok: fixed conditions


def _empty_delta(cursor) -> None:
    _create(cursor, DELTA, DIMS, MEASURES)


def _version(zone: str, ops) -> str:
    """What the rollups were built from: their definitions, zone and (where the engine has
    any) their indexes; a different version is rebuilt once (``ensure``)."""
    text = repr((DEFINITIONS, dimensions(zone), MEASURE_TYPE))
    indexes = [ops.rollup_index(rollup.name, rollup.order) for rollup in DEFINITIONS]
    text += repr(indexes) if any(indexes) else ""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def zone_of(cursor) -> str:
    row = cursor.execute("SELECT value FROM meta WHERE key = ?", [ZONE_KEY]).fetchone()
    return row[0] if row else times.default_zone()


def _narrow(dims: tuple[str, ...], zone: str, selector: str, condition: str = "TRUE", *, ops) -> str:
    """The items matching ``selector`` counted at the grain ``dims`` × type × Estatus (NARROW)."""
    expressions = dimensions(zone, ops)
    keys = ", ".join(f"{expressions[name][1]} AS {name}" for name in dims)
    positions = ", ".join(str(n + 1) for n in range(len(dims) + 2))
    return (f"SELECT {keys}, {narrow_columns(ops)} FROM items i LEFT JOIN opportunities o ON o.id = i.opportunity_id "  # sql-ok
            f"CROSS JOIN (VALUES ({DUE}), ({CREATED}), ({COMPLETED})) AS b(basis) "
            f"WHERE ({selector}) AND (b.basis <> {COMPLETED} OR {DONE}) AND {condition} "  # sql-ok: callers bind values
            f"GROUP BY {positions}")


def _contributions(dims: tuple[str, ...], zone: str, condition: str, *, ops) -> str:
    """Every item's contribution on each of its days (``_narrow``'s rows before grouping): the
    key columns ``dims``, type, Estatus and EACH. Across a whole history most keys hold one or
    two of them, so grouping them first would cost more than it saves. OFFSET 0 keeps each
    row's columns computed once: PostgreSQL would otherwise inline them into every measure's
    CASE (converting the type and Estatus to text 26 times per row)."""
    expressions = dimensions(zone, ops)
    keys = ", ".join(f"{expressions[name][1]} AS {name}" for name in dims)
    each = ", ".join(f"{expression} AS {name}" for name, expression in each_sql(ops))
    return (f"SELECT {keys}, {TYPE} AS type, i.status::VARCHAR AS status, {each} "  # sql-ok: fixed fragments
            f"FROM items i LEFT JOIN opportunities o ON o.id = i.opportunity_id "
            f"CROSS JOIN (VALUES ({DUE}), ({CREATED}), ({COMPLETED})) AS b(basis) "
            f"WHERE (b.basis <> {COMPLETED} OR {DONE}) AND {condition} OFFSET 0")  # sql-ok


ITEM_FACT_COLUMNS = ("due_at", "created_at", "completed_at", "responsible_id", "contact_owner_id", "opportunity_id",
                     "activity_type", "status", "id", "kind")  # what an item's rollup rows and SOON row are made of
ITEM_FACTS = ", ".join(f"i.{c}::VARCHAR" if c in ("activity_type", "status", "kind") else f"i.{c}" for c in ITEM_FACT_COLUMNS)
DAY_US = 86_400_000_000


def facts(cursor, selector: str, params: list, limit: int) -> list[tuple]:
    """ITEM_FACTS of at most ``limit`` items matching ``selector``, as stored."""
    return cursor.execute(f"SELECT {ITEM_FACTS} FROM items i WHERE {selector} LIMIT {int(limit)}", params).fetchall()  # sql-ok


def _each(zone: str, stages: dict[int, str], item_facts: list[tuple]) -> list[tuple]:
    """Per item (its ITEM_FACTS; ``stages`` by opportunity id): its day on every basis
    (BASES' order), its other key columns, type, Estatus and EACH — what ``_narrow`` groups —
    for ``_spread`` to make narrow. Each value is made here as the SQL above makes it (a read
    that converts zones and joins opportunities binds in three times the time);
    ``rollups --check`` and the tests compare both after every kind of write."""
    tz = times.zone_info(zone)

    def day(instant):  # the operations' local_day
        return None if instant is None else instant.replace(tzinfo=UTC).astimezone(tz).date()

    each = []
    for due, created, completed, responsible, owner, opportunity, activity_type, status, *_ in item_facts:
        done = status == "Realizada"
        on_time = int(done and completed is not None and completed <= due)  # each_sql's on_time
        span = (completed - created) // timedelta(microseconds=1) if done and completed is not None else 0
        whole_days = abs(span) // DAY_US * (1 if span >= 0 else -1)  # each_sql's done_days: truncated
        each.append((day(due), day(created), day(completed),  # BASES
                     responsible or 0, owner or 0, stages.get(opportunity, ""), opportunity or 0,  # KEYS
                     activity_type or "Tarea", status, 1, on_time, whole_days))  # TYPE, Estatus, EACH
    return each


def _spread(rows: list[tuple]) -> list[tuple]:
    """``_each`` rows -> narrow rows (basis, day, KEYS..., NARROW_NAMES), as ``_narrow`` gives
    them ungrouped: every item on its due and created days, a done one on its completed day."""
    narrow = []
    for row in rows:
        days, rest = row[:len(BASES)], row[len(BASES):]
        status = rest[len(KEYS) + 1]
        for (basis, _), day in zip(BASES.items(), days):
            if basis != COMPLETED or status == "Realizada":
                narrow.append((basis, day, *rest))
    return narrow


FEW = 24  # rollup rows inserted as bound values; more as a frame (a long VALUES list binds slowly)
BY_HAND = 5000  # items whose rollup rows are made in Python; more (imports) are grouped in SQL


def record(cursor, selector: str, params: list, sign: int, many: bool = False, zone: str | None = None) -> None:
    """In the caller's write transaction: append the contribution of the items matching
    ``selector`` (SQL over ``i``, with ``params``) to the delta, times ``sign``: -1 just
    before those items change or go, +1 just after they are written. Up to BY_HAND items
    (a form, a bulk action) are read as they are and counted in Python (``add``); an import's
    ``many`` are counted in SQL."""
    zone = zone or zone_of(cursor)
    if not many:
        item_facts = facts(cursor, selector, params, BY_HAND + 1)
        if len(item_facts) <= BY_HAND:
            add(cursor, {sign: item_facts}, zone)
            return
    if sign < 0:
        _soon_forget(cursor, selector=selector, params=params)
    else:
        _soon_keep_matching(cursor, selector, params)
    # one wide row per narrow row, not per key: the readers and the fold sum a key's rows anyway,
    # and grouping 26 measures took twice as long as everything else (1 M imported items)
    listed = ", ".join(f"t.{dim}" for dim in DIMS)
    measures = ", ".join(f"({sign} * {m.each})::{MEASURE_TYPE}" for m in MEASURES)
    cursor.execute(f"INSERT INTO {DELTA} ({', '.join(DELTA_COLUMNS)}) "  # sql-ok: our names
                   f"SELECT {listed}, {measures} FROM ({_narrow(DIMS, zone, selector, ops=operations_of(cursor))}) t",  # sql-ok
                   params)


def add(cursor, signed: dict[int, list[tuple]], zone: str | None = None) -> None:
    """``record`` for items whose ITEM_FACTS the caller already holds (e.g. from ``RETURNING``),
    by sign: ``{-1: as they were, +1: as they are}`` nets out in one pass; SOON follows."""
    _insert(cursor, contribution(cursor, signed, zone))
    _soon_forget(cursor, ids=[row[ITEM_FACT_COLUMNS.index("id")] for row in signed.get(-1, ())])
    _soon_keep(cursor, signed.get(1, []))


def contribution(cursor, signed: dict[int, list[tuple]], zone: str | None = None) -> list[tuple]:
    """The delta rows of ``add`` (every dimension, then every measure; none that nets out)."""
    from escala.db import one_of  # db builds on this module

    opportunities = sorted({row[5] for rows in signed.values() for row in rows if row[5] is not None})
    if len(opportunities) > FEW:  # a long IN list binds slowly; a list scans 200 k small rows in less
        selected = "id IN (SELECT unnest(?::INTEGER[]))", [opportunities]
    else:
        selected = one_of("id", opportunities), opportunities
    stages = dict(cursor.execute(f"SELECT id, stage::VARCHAR FROM opportunities WHERE {selected[0]}",  # sql-ok
                                 selected[1]).fetchall()) if opportunities else {}
    zone = zone or zone_of(cursor)
    return pivot([(sign, row) for sign, item_facts in signed.items()
                  for row in _spread(_each(zone, stages, item_facts))], len(DIMS))


DELTA_COLUMNS = [*DIMS, *(m.name for m in MEASURES)]
DELTA_DTYPES = {name: {"DATE": "datetime64[D]", "VARCHAR": object}.get(sql_type, np.int64)  # the rest: whole numbers
                for name, (sql_type, _) in dimensions("UTC").items()} | {m.name: np.int64 for m in MEASURES}


def _insert(cursor, rows: list[tuple]) -> None:
    """Append wide rows (every dimension, then every measure) to the delta."""
    _append(cursor, DELTA, DELTA_COLUMNS, rows, DELTA_DTYPES)


def _append(cursor, table: str, names: list[str], rows: list[tuple], dtypes: dict | None = None) -> None:
    """Append ``rows`` (values of ``names``) to ``table`` in one statement: bound values for a
    few (executemany would prepare and run one per row), a frame for more (a long VALUES list
    binds slowly), its columns typed by ``dtypes`` where given (no inference)."""
    if not rows:
        return
    if len(rows) <= FEW:
        row = f"({', '.join('?' for _ in names)})"
        cursor.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join(row for _ in rows)}",  # sql-ok
                       [value for values in rows for value in values])
        return
    operations_of(cursor).append(cursor, table, names, rows, dtypes or {})


# ---------------------------------------------------------------- today's pending items
# "Vencidas" today are the pending items due between today's midnight and now: a moving edge
# the day rollups cannot draw. Read from ``items``, that takes a scan of every row group whose
# due dates reach today (a quarter of 10 M items arriving in insertion order); SOON keeps the
# pending items due around today (a few days of work), maintained with the rollups by every
# write and made anew for each new day (``refresh_soon``, by the server's minute task).
SOON = "due_soon"
SOON_KEY = "due_soon_day"  # the day (rollup zone) SOON was made for: it holds that day ± 1
SOON_COLUMNS = ("id", "kind", "activity_type", "due_at", "responsible_id", "contact_owner_id", "opportunity_id",
                "status")  # every column the Tablero's filters and a user's scope read
SOON_ORDER = ("responsible_id", "due_at")  # how a filtered Tablero reads it (an index where the engine wants one)


def create_write_tables(cursor) -> None:
    """The delta and SOON, empty: what a write appends to, in a copy of the database that
    holds only what one write needs (an import's load stage on PostgreSQL)."""
    _empty_delta(cursor)
    cursor.execute(f"CREATE TABLE {SOON} AS SELECT {', '.join(SOON_COLUMNS)} FROM items WHERE false")  # sql-ok


def _soon_span(day: date, zone: str) -> tuple[datetime, datetime]:
    """The naive-UTC span SOON holds for ``day``: from the day before to the day after."""
    return (times.to_db(times.start_of_day(day - timedelta(days=1), zone)),
            times.to_db(times.start_of_day(day + timedelta(days=2), zone)))


def refresh_soon(cursor, day: date, zone: str | None = None) -> None:
    """Make SOON anew for ``day`` (in the rollup zone), in the caller's transaction."""
    zone = zone or zone_of(cursor)
    start, end = _soon_span(day, zone)
    cursor.execute(f"DROP TABLE IF EXISTS {SOON}")  # sql-ok: our name
    cursor.execute(f"CREATE TABLE {SOON} AS SELECT {', '.join(SOON_COLUMNS)} FROM items "  # sql-ok: our names
                   f"WHERE status = 'Pendiente' AND due_at >= ? AND due_at < ? ORDER BY due_at", [start, end])
    _index(cursor, SOON, SOON_ORDER)
    set_meta(cursor, {SOON_KEY: day.isoformat()})


def reading_state(cursor) -> tuple[str, date | None]:
    """``zone_of`` and ``soon_day`` in one read (what every Tablero starts with)."""
    found = dict(cursor.execute("SELECT key, value FROM meta WHERE key IN (?, ?)", [ZONE_KEY, SOON_KEY]).fetchall())
    soon = found.get(SOON_KEY)
    return found.get(ZONE_KEY) or times.default_zone(), date.fromisoformat(soon) if soon else None


def soon_day(cursor) -> date | None:
    row = cursor.execute("SELECT value FROM meta WHERE key = ?", [SOON_KEY]).fetchone()
    return date.fromisoformat(row[0]) if row else None


def soon_covers(day: date | None, today: date) -> bool:
    """Does SOON, made for ``day``, hold every pending item due ``today`` (both in the rollup zone)?"""
    return day is not None and abs((today - day).days) <= 1


def refresh_soon_if_stale(db, now: datetime) -> bool:
    """``refresh_soon`` for ``now``'s day unless SOON was made for it (the server checks every minute)."""
    zone, day = reading_state(db.cursor())
    today = times.to_local(now, zone).date()
    if day == today:
        return False
    with db.transaction() as cursor:
        refresh_soon(cursor, today, zone)
    return True


def _soon_forget(cursor, ids: list[int] | None = None, selector: str | None = None, params: list | None = None) -> None:
    """Take items out of SOON (before they change or go): ``ids``, or those matching
    ``selector`` over items ``i``."""
    if selector is not None:
        cursor.execute(f"DELETE FROM {SOON} WHERE id IN (SELECT i.id FROM items i WHERE {selector})", params or [])  # sql-ok
    elif ids:
        cursor.execute(f"DELETE FROM {SOON} WHERE id IN (SELECT unnest(?::BIGINT[]))", [ids])  # sql-ok: our names


def _soon_keep_matching(cursor, selector: str, params: list) -> None:
    """Put the pending items matching ``selector`` (over items ``i``) into SOON, those due
    within its span (an import's many; a form's few go in whatever their date: ``_soon_keep``)."""
    day = soon_day(cursor)
    if day is None:
        return
    start, end = _soon_span(day, zone_of(cursor))
    cursor.execute(f"INSERT INTO {SOON} SELECT {', '.join(f'i.{c}' for c in SOON_COLUMNS)} FROM items i "  # sql-ok
                   f"WHERE ({selector}) AND i.status = 'Pendiente' AND i.due_at >= ? AND i.due_at < ?",  # sql-ok
                   [*params, start, end])


def _soon_keep(cursor, item_facts: list[tuple]) -> None:
    """Put these items (ITEM_FACTS) into SOON if pending: a form's few, whatever their date
    (rows outside SOON's span are never read, and go with the next day's ``refresh_soon``)."""
    at = [ITEM_FACT_COLUMNS.index(column) for column in SOON_COLUMNS]  # every SOON column is a fact
    status = ITEM_FACT_COLUMNS.index("status")
    _append(cursor, SOON, list(SOON_COLUMNS), [tuple(row[k] for k in at) for row in item_facts if row[status] == "Pendiente"])


def _create(cursor, name: str, dims: tuple[str, ...], measures) -> None:
    """The table ``name`` anew, empty (``_index`` indexes it once filled, where the engine wants it)."""
    types = dimensions("UTC")
    columns = [f"{dim} {types[dim][0]} NOT NULL" for dim in dims]
    columns += [f"{measure.name} {MEASURE_TYPE} NOT NULL" for measure in measures]
    cursor.execute(f"DROP TABLE IF EXISTS {name}")  # sql-ok: our names and types
    cursor.execute(f"CREATE TABLE {name} ({', '.join(columns)})")  # sql-ok


def _index(cursor, table: str, columns: tuple[str, ...]) -> None:
    """Index ``table`` on its readers' ``columns`` where the engine wants it."""
    index = operations_of(cursor).rollup_index(table, columns)
    if index:
        cursor.execute(index)


def _counted(rollup: Rollup, zone: str, finer: Rollup | None, ops, basis: int | None = None) -> str:
    """SQL for rows (the rollup's key columns and measures) whose sums per key are what the
    rollup must hold: ``finer``'s rows (its table and the delta), or without ``finer`` the
    items' contributions, each with what it adds to every measure; only those on ``basis``
    if given."""
    names = rollup.measure_names
    if finer is not None:
        part = "TRUE" if basis is None else f"f.basis = {int(basis)}"
        return f"SELECT {', '.join([*rollup.dims, *names])} FROM {source(finer.name, names)} f WHERE {part}"  # sql-ok
    condition = rollup.items_condition if basis is None else f"{rollup.items_condition} AND b.basis = {int(basis)}"
    each = ", ".join(f"{measure.each} AS {measure.name}" for measure in rollup.measures)
    return (f"SELECT {', '.join(f't.{dim}' for dim in rollup.dims)}, {each} "  # sql-ok: our names and expressions
            f"FROM ({_contributions(rollup.dims, zone, condition, ops=ops)}) t")


def rebuild(cursor, zone: str | None = None) -> None:
    """Recompute every rollup from ``items`` (in the caller's transaction), one row per key,
    in its readers' order where the engine reads by it (``storage_order``); ``zone`` changes
    the rollup zone. Only the finest are counted from the items; each coarser one is the sum
    of a finer one just built (``FINER``)."""
    zone = zone or zone_of(cursor)
    ops = operations_of(cursor)
    ops.prepare_totals(cursor)
    _empty_delta(cursor)
    (empty,) = cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM items)").fetchone()
    for rollup in BUILD_ORDER:
        _create(cursor, rollup.name, rollup.dims, rollup.measures)
        if not empty:
            keys = ", ".join(rollup.dims)
            sums = ", ".join(f"sum({name})::{MEASURE_TYPE}" for name in rollup.measure_names)
            cursor.execute(f"INSERT INTO {rollup.name} SELECT {keys}, {sums} "  # sql-ok: our names
                           f"FROM ({_counted(rollup, zone, FINER[rollup.name], ops)}) c GROUP BY {keys}"
                           f"{ops.storage_order(rollup.order)}")
        _index(cursor, rollup.name, rollup.order)  # once filled: cheaper than kept up row by row
    set_meta(cursor, {ZONE_KEY: zone, VERSION_KEY: _version(zone, ops)})
    refresh_soon(cursor, soon_day(cursor) or times.to_local(times.now_utc(), zone).date(), zone)


def _folded(rollup: Rollup, rows: str | None = None) -> str:
    """The rollup's rows (or ``rows``, SQL with its columns) summed per key, dropping keys
    whose every sum is zero."""
    sums = ", ".join(f"sum({name})::{MEASURE_TYPE} AS {name}" for name in rollup.measure_names)
    nonzero = " OR ".join(f"sum({name}) <> 0" for name in rollup.measure_names)
    keys = ", ".join(rollup.dims)
    return f"SELECT {keys}, {sums} FROM {rows or source(rollup.name)} s GROUP BY {keys} HAVING {nonzero}"  # sql-ok


# Read as one row per key (the top opportunities over the whole history): ``fold`` makes it
# anew (100 k rows) rather than appending to it.
ONE_ROW_PER_KEY = frozenset({"rollup_opportunity"})
FOLD_ROWS = 2000  # the server folds the delta once it holds this many rows (checked every minute)


def fold(cursor) -> None:
    """Move the delta into the rollups in time proportional to the delta: its rows summed per
    key are appended to each rollup (readers sum a key's rows anyway), and the delta starts
    empty. ``compact`` later makes each key one row again, in its readers' order."""
    for rollup in DEFINITIONS:
        if rollup.name in ONE_ROW_PER_KEY:
            _rewrite(cursor, rollup)
        else:
            delta = f"({_in_delta(rollup, ', '.join([*rollup.dims, *rollup.measure_names]))})"
            cursor.execute(f"INSERT INTO {rollup.name} {_folded(rollup, delta)}")  # sql-ok
    _empty_delta(cursor)


def fold_if_grown(db, rows: int | None = None) -> bool:
    """``fold`` when the delta holds more than ``rows`` (default FOLD_ROWS) rows (the server
    checks every minute)."""
    (delta,) = db.cursor().execute(f"SELECT count(*) FROM {DELTA}").fetchone()  # sql-ok
    if delta <= (FOLD_ROWS if rows is None else rows):
        return False
    with db.transaction() as cursor:
        fold(cursor)
    return True


def _rewrite(cursor, rollup: Rollup) -> None:
    """The rollup with the delta folded in, one row per key, in its readers' order (where the
    engine reads by it: ``storage_order``)."""
    order = operations_of(cursor).storage_order(rollup.order)
    cursor.execute(f"CREATE TEMP TABLE folded AS {_folded(rollup)}{order}")  # sql-ok
    _create(cursor, rollup.name, rollup.dims, rollup.measures)  # anew: deleted rows would still be scanned
    cursor.execute(f"INSERT INTO {rollup.name} SELECT * FROM folded")  # sql-ok
    cursor.execute("DROP TABLE folded")
    _index(cursor, rollup.name, rollup.order)


def compact(cursor) -> None:
    """Fold the delta into every rollup, one row per key (dropping keys that sum to nothing),
    in its readers' order. Same sums, fewer rows."""
    for rollup in DEFINITIONS:
        _rewrite(cursor, rollup)
    _empty_delta(cursor)


def compact_if_grown(db, share: float = 0.05) -> bool:
    """Fold the delta when it holds more than ``share`` of the team rollup's rows, one row per
    key again (the server does this as it starts; ``fold_if_grown`` keeps the delta small
    while it runs): keeps every Tablero read close to one row per key."""
    cursor = db.cursor()
    (delta,) = cursor.execute(f"SELECT count(*) FROM {DELTA}").fetchone()  # sql-ok
    (folded,) = cursor.execute(f"SELECT count(*) FROM {DEFINITIONS[0].name}").fetchone()  # sql-ok
    if delta == 0 or delta <= share * folded:
        return False
    with db.transaction() as cursor:
        compact(cursor)
    return True


def ensure(db) -> bool:
    """Build the rollups if they were never built, or were built with other definitions
    (a new version of Escala): once, in one transaction. True if it rebuilt them. SOON is
    made for today if it was never made."""
    def built(cursor) -> bool:
        stored = cursor.execute("SELECT value FROM meta WHERE key = ?", [VERSION_KEY]).fetchone()
        return bool(stored) and stored[0] == _version(zone_of(cursor), operations_of(cursor))

    reader = db.cursor()
    if built(reader) and soon_day(reader) is not None:  # the usual case: a read, no transaction
        return False
    with db.transaction() as cursor:
        if not built(cursor):
            rebuild(cursor)  # SOON too
            return True
        if soon_day(cursor) is None:
            refresh_soon(cursor, times.to_local(times.now_utc(), zone_of(cursor)).date())
    return False


def check(db, limit: int = 20) -> list[str]:
    """Every rollup recomputed from ``items`` and compared key by key with the stored sums:
    one line per difference (at most ``limit`` per rollup); empty when all agree. All in one
    snapshot. A rollup whose finer one (``FINER``) was just found equal to the items is
    compared with that one's sums (the same numbers, far cheaper to add up)."""
    with db.own_cursor() as cursor:
        cursor.begin()  # writes nothing: closing the cursor ends it
        ops = operations_of(cursor)
        ops.prepare_totals(cursor)
        zone = zone_of(cursor)
        stored = " + ".join(f"(SELECT count(*) FROM {table})" for table in (DELTA, *(r.name for r in DEFINITIONS)))  # sql-ok
        if cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM items) AND {stored} = 0").fetchone()[0]:  # sql-ok
            return []  # nothing counted, nothing to count
        problems: dict[str, list[str]] = {}
        for rollup in BUILD_ORDER:
            finer = FINER[rollup.name]
            agreed = finer is not None and problems[finer.name] == []
            problems[rollup.name] = _differences(cursor, rollup, zone, finer if agreed else None, ops, limit)
        return [line for rollup in DEFINITIONS for line in problems[rollup.name]] + _check_soon(cursor, zone, limit)


def _differences(cursor, rollup: Rollup, zone: str, finer: Rollup | None, ops, limit: int) -> list[str]:
    """The keys (at most ``limit``) where the rollup's stored sums differ from those of the
    rows it counts from ``finer`` or the items (``_counted``), one line each: one aggregate of
    the counted rows minus the stored ones (no join of two aggregates), a basis at a time where
    it is a key (a third of the keys per statement: their sums stay in memory for ten times as
    many items), then the stored sums of the keys it found."""
    keys, names = ", ".join(rollup.dims), rollup.measure_names
    differing: list[tuple] = []
    for basis in BASES if "basis" in rollup.dims else (None,):
        part = "TRUE" if basis is None else f"s.basis = {basis}"
        stored = f"SELECT {keys}, {', '.join(f'-{name}' for name in names)} FROM {source(rollup.name)} s WHERE {part}"  # sql-ok
        differing += cursor.execute(
            f"SELECT {keys}, {', '.join(f'sum({name})' for name in names)} "  # sql-ok: our names
            f"FROM ({_counted(rollup, zone, finer, ops, basis)} UNION ALL {stored}) d GROUP BY {keys} "
            f"HAVING {' OR '.join(f'sum({name}) <> 0' for name in names)} LIMIT {int(limit) - len(differing)}").fetchall()
        if len(differing) >= limit:
            break
    if not differing:
        return []
    width = len(rollup.dims)
    match = " OR ".join("(" + " AND ".join(f"{dim} = ?" for dim in rollup.dims) + ")" for _ in differing)
    kept = {row[:width]: row[width:] for row in cursor.execute(
        f"SELECT * FROM ({_folded(rollup)}) s WHERE {match}", [v for row in differing for v in row[:width]]  # sql-ok
    ).fetchall()}
    lines = []
    for row in differing:
        key, difference = row[:width], row[width:]
        was = kept.get(key, (0,) * len(names))
        named = ", ".join(f"{dim}={value}" for dim, value in zip(rollup.dims, key, strict=True))
        pairs = ", ".join(f"{name}: {stored} guardado, {stored + more} real"
                          for name, stored, more in zip(names, was, difference, strict=True) if more)
        lines.append(f"{rollup.name} [{named}] {pairs}")
    return lines


def _check_soon(cursor, zone: str, limit: int) -> list[str]:
    """SOON against ``items``: each of its rows is a pending item as it is now (once), and
    every pending item due within its span is there."""
    day = soon_day(cursor)
    if day is None:
        return [f"{SOON}: nunca se preparó"]
    columns = ", ".join(SOON_COLUMNS)
    pending = f"SELECT {columns} FROM items WHERE status = 'Pendiente'"  # sql-ok: our names
    stale = cursor.execute(f"SELECT id FROM (SELECT {columns} FROM {SOON} EXCEPT ALL {pending}) t LIMIT {int(limit)}"  # sql-ok
                           ).fetchall()
    missing = cursor.execute(f"SELECT id FROM ({pending} AND due_at >= ? AND due_at < ? EXCEPT ALL "  # sql-ok
                             f"SELECT {columns} FROM {SOON}) t LIMIT {int(limit)}",  # sql-ok: our names
                             list(_soon_span(day, zone))).fetchall()
    return ([f"{SOON} [id={item_id}] no coincide con un elemento pendiente" for (item_id,) in stale]
            + [f"{SOON} [id={item_id}] falta: pendiente con vencimiento cerca del {day}" for (item_id,) in missing])
