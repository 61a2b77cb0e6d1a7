"""Aggregates of ``items`` kept current on write, so the Tablero never scans the items.

Rollups are sums of *signed contributions*. A write appends, in its own transaction, the
contribution of the items it touches to ``rollup_delta`` (at the finest grain): times -1
just before they change or go, +1 just after they are written. Each rollup is its folded
table plus the delta projected to its grain (``source``); a key's value is the SUM of its
rows, which is what every query computes anyway. Appending needs no index and no lookup, so
a write costs one small INSERT per change; ``compact`` folds the delta into every rollup,
one row per key, sorted by responsible and day (``python -m escala compact``, the bench, and
``rebuild``).

Why sums of contributions are exact: every measure is a count or a sum over items, which is
additive; a write changes a finite set of items, and subtracting their old contribution and
adding their new one (both computed by the same expressions from the rows themselves, in the
same transaction) leaves each key's sum equal to the aggregate over the current ``items``.
``check`` recomputes every rollup from ``items`` and lists the keys that differ; the test
suite runs it after every kind of write.

Days are calendar days in the rollup zone (``meta.rollup_zone``, the team's zone when first
built): a period of whole local days in that zone is a set of whole keys. Other zones, and
the day that contains "now" (pending items before and after it are Vencida and Por vencer),
are read from ``items`` for the partial days only (see ``escala/analytics.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from escala import times

ITEM_ORDER = "responsible_id NULLS LAST, due_at, id"  # how `compact` stores items: per person, then per period
ZONE_KEY = "rollup_zone"
VERSION_KEY = "rollups_version"  # which rollup definitions the stored rows were built with


@dataclass(frozen=True)
class Rollup:
    name: str
    dims: tuple[tuple[str, str], ...]  # (column, SQL over items ``i`` and its opportunity ``o``)
    measures: tuple[tuple[str, str], ...] = ()  # (column, additive SQL aggregate)

    @property
    def dim_names(self) -> list[str]:
        return [name for name, _ in self.dims]

    @property
    def measure_names(self) -> list[str]:
        return [name for name, _ in self.measures]


def local_day(column: str, zone: str) -> str:
    """The calendar day of a UTC instant in ``zone`` (a validated zone name)."""
    if not times.is_valid_zone(zone):
        raise ValueError(f"unknown time zone {zone!r}")
    return f"CAST(timezone('{zone}', timezone('UTC', {column})) AS DATE)"


TYPE = "coalesce(i.activity_type::VARCHAR, 'Tarea')"  # the activity type, or "Tarea" for tasks
RESPONSIBLE = "coalesce(i.responsible_id, 0)"  # 0 = Sin asignar (keys hold no NULLs)
OWNER = "coalesce(i.contact_owner_id, 0)"
STAGE = "coalesce(o.stage::VARCHAR, '')"  # '' = no opportunity
DONE = "i.status = 'Realizada'"
WHOLE_DAYS = "(epoch_us(i.completed_at) - epoch_us(i.created_at)) // 86400000000"
MEASURES = (
    ("n", "count(*)"),
    ("on_time", f"count(*) FILTER (WHERE {DONE} AND i.completed_at <= i.due_at)"),  # sql-ok: fixed fragments
    ("done_days", f"coalesce(sum({WHOLE_DAYS}) FILTER (WHERE {DONE}), 0)"),  # sql-ok: for the mean days to complete
)


DELTA = "rollup_delta"  # contributions not yet folded, at the finest grain (rollup_due's)


def definitions(zone: str) -> tuple[Rollup, ...]:
    """Every rollup, from the finest (all the Tablero's filters) to the team-wide one. Each
    coarser one's columns are a subset of the first's, so the delta serves them all."""
    due = ("day", local_day("i.due_at", zone))
    return (
        # every filter: period, kind/type, state, responsible, owner (and sellers' scope), stage
        Rollup("rollup_due", (due, ("responsible_id", RESPONSIBLE), ("owner_id", OWNER), ("type", TYPE),
                              ("status", "i.status::VARCHAR"), ("stage", STAGE)), MEASURES),
        # the same without owner and stage: a sixth of the rows, for everyone who sees everything
        Rollup("rollup_due_team", (due, ("responsible_id", RESPONSIBLE), ("type", TYPE),
                                   ("status", "i.status::VARCHAR")), MEASURES),
    )


def source(rollup_name: str, zone: str) -> str:
    """SQL for a rollup's rows: its folded table and the delta at its grain (sum them by key)."""
    rollup = next(r for r in definitions(zone) if r.name == rollup_name)
    columns = ", ".join([*rollup.dim_names, *rollup.measure_names])
    return f"(SELECT {columns} FROM {rollup.name} UNION ALL SELECT {columns} FROM {DELTA})"  # sql-ok: our names


def _version(zone: str) -> str:
    text = repr(definitions(zone))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def zone_of(cursor) -> str:
    row = cursor.execute("SELECT value FROM meta WHERE key = ?", [ZONE_KEY]).fetchone()
    return row[0] if row else times.default_zone()


def _finest(cursor) -> Rollup:
    return definitions(zone_of(cursor))[0]


def _contribution(rollup: Rollup, selector: str, sign: int = 1) -> str:
    dims = ", ".join(f"{expression} AS {name}" for name, expression in rollup.dims)
    measures = ", ".join(f"{sign} * {expression} AS {name}" for name, expression in rollup.measures)
    positions = ", ".join(str(n + 1) for n in range(len(rollup.dims)))
    return (f"SELECT {dims}, {measures} FROM items i LEFT JOIN opportunities o ON o.id = i.opportunity_id "  # sql-ok
            f"WHERE ({selector}) GROUP BY {positions} ORDER BY {positions}")  # sql-ok: callers bind the values


def record(cursor, selector: str, params: list, sign: int) -> None:
    """In the caller's write transaction: append the contribution of the items matching
    ``selector`` (SQL over ``i``, with ``params``) to the delta, times ``sign``: -1 just
    before those items change or go, +1 just after they are written."""
    finest = _finest(cursor)
    columns = ", ".join([*finest.dim_names, *finest.measure_names])
    cursor.execute(f"INSERT INTO {DELTA} ({columns}) {_contribution(finest, selector, sign)}", params)  # sql-ok


def rebuild(cursor, zone: str | None = None) -> None:
    """Recompute every rollup from ``items`` (in the caller's transaction), one row per key,
    sorted by responsible and day; ``zone`` changes the rollup zone."""
    zone = zone or zone_of(cursor)
    cursor.execute(f"DELETE FROM {DELTA}")  # sql-ok: our table names
    for rollup in definitions(zone):
        cursor.execute(f"DELETE FROM {rollup.name}")  # sql-ok
        columns = ", ".join([*rollup.dim_names, *rollup.measure_names])
        cursor.execute(f"INSERT INTO {rollup.name} ({columns}) {_contribution(rollup, 'TRUE')}")  # sql-ok
    cursor.execute("INSERT OR REPLACE INTO meta VALUES (?, ?), (?, ?)", [ZONE_KEY, zone, VERSION_KEY, _version(zone)])


def compact(cursor) -> None:
    """Fold the delta into every rollup, one row per key (dropping keys that sum to nothing),
    sorted by responsible and day. Same sums, fewer rows."""
    zone = zone_of(cursor)
    for rollup in definitions(zone):
        keys = ", ".join(rollup.dim_names)
        sums = ", ".join(f"sum({name})::BIGINT AS {name}" for name in rollup.measure_names)
        order = ", ".join(["responsible_id", "day", *(n for n in rollup.dim_names if n not in ("responsible_id", "day"))])
        cursor.execute(f"CREATE TEMP TABLE folded AS SELECT {keys}, {sums} FROM {source(rollup.name, zone)} "  # sql-ok
                       f"GROUP BY ALL HAVING sum(n) <> 0 OR sum(on_time) <> 0 OR sum(done_days) <> 0 ORDER BY {order}")
        cursor.execute(f"DELETE FROM {rollup.name}")  # sql-ok
        cursor.execute(f"INSERT INTO {rollup.name} SELECT * FROM folded")  # sql-ok
        cursor.execute("DROP TABLE folded")
    cursor.execute(f"DELETE FROM {DELTA}")  # sql-ok


def compact_if_grown(db, share: float = 0.05) -> bool:
    """Fold the delta when it holds more than ``share`` of the finest rollup's rows (the
    server does this as it starts): keeps every Tablero read close to one row per key."""
    cursor = db.cursor()
    (delta,) = cursor.execute(f"SELECT count(*) FROM {DELTA}").fetchone()  # sql-ok
    (folded,) = cursor.execute(f"SELECT count(*) FROM {_finest(cursor).name}").fetchone()  # sql-ok
    if delta == 0 or delta <= share * folded:
        return False
    with db.transaction() as cursor:
        compact(cursor)
    return True


def ensure(db) -> bool:
    """Build the rollups if they were never built, or were built with other definitions
    (a new version of Escala): once, in one transaction. True if it rebuilt them."""
    def current(cursor) -> bool:
        stored = cursor.execute("SELECT value FROM meta WHERE key = ?", [VERSION_KEY]).fetchone()
        return bool(stored) and stored[0] == _version(zone_of(cursor))

    if current(db.cursor()):  # the usual case: a read, no transaction
        return False
    with db.transaction() as cursor:
        if current(cursor):
            return False
        rebuild(cursor)
    return True


def check(db, limit: int = 20) -> list[str]:
    """Every rollup recomputed from ``items`` and compared key by key with the stored sums:
    one line per difference (at most ``limit`` per rollup); empty when all agree."""
    cursor = db.cursor()
    problems = []
    zone = zone_of(cursor)
    for rollup in definitions(zone):
        keys = ", ".join(rollup.dim_names)
        stored_sums = ", ".join(f"sum({name})::BIGINT AS {name}" for name in rollup.measure_names)
        differs = " OR ".join(f"coalesce(e.{name}, 0) <> coalesce(s.{name}, 0)" for name in rollup.measure_names)
        shown = ", ".join(f"coalesce(e.{name}, 0), coalesce(s.{name}, 0)" for name in rollup.measure_names)
        rows = cursor.execute(f"""
            WITH expected AS ({_contribution(rollup, 'TRUE')}),
                 stored AS (SELECT {keys}, {stored_sums} FROM {source(rollup.name, zone)} GROUP BY ALL)
            SELECT {", ".join(f"coalesce(e.{k}, s.{k})" for k in rollup.dim_names)}, {shown}
            FROM expected e FULL OUTER JOIN stored s USING ({keys})
            WHERE {differs} LIMIT {int(limit)}""").fetchall()  # sql-ok: our names and expressions
        width = len(rollup.dim_names)
        for row in rows:
            key = ", ".join(f"{name}={value}" for name, value in zip(rollup.dim_names, row[:width], strict=True))
            values = row[width:]
            pairs = ", ".join(f"{name}: {values[2 * k + 1]} guardado, {values[2 * k]} real"
                              for k, name in enumerate(rollup.measure_names))
            problems.append(f"{rollup.name} [{key}] {pairs}")
    return problems
