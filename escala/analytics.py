"""The Tablero's numbers: aggregate queries over the rollups (and a few days of items) -> small tidy DataFrames.

One ``Filters`` object (mirrored in the URL) feeds every query, and the export reuses it,
so every number agrees with every list. Items are classified into three disjoint states,
one colour each on every chart: *Por vencer* (pending, not yet late), *Vencida* (pending
after its time) and *Realizada*. "Pendiente" keeps the spec's meaning everywhere (the
Estatus: every pending item, late or not), so the metric and the filter "Pendiente" count
*Por vencer* plus *Vencida*.

Counts by responsible, type and state, the overdue ageing and the completion figures come
from the rollups (escala/rollups.py), whose grain is one calendar day of the rollup zone ×
responsible × type × Estatus (× contact owner × opportunity stage in ``rollup_due``). Why
that is exact: every filter the Tablero offers is either a rollup column (kind and type,
Estatus, responsible, owner and sellers' scope, stage) or a set of whole days, and so is
every state — *Vencida* is "pending, due before now", true for every item of a day that
ended before now and for none of a day that starts after it. What a day key cannot tell is
confined to the few days that straddle a boundary (``DaySplit``): the day holding "now",
and, when the user's zone is not the rollup zone, the days holding the period's ends and
the ageing edges. Those days are counted from ``items`` with the very same filters, and the
rest from the rollups; the two parts never overlap and together cover every day.
Completion time is the *mean* whole days from creation to completion (a sum and a count,
additive like everything in a rollup; a median would need every item's value).
Whatever needs the items themselves (the items behind a bar, the opportunities' top 15,
created vs completed over time) reads ``items``, whose layout ``python -m escala compact``
keeps per person and per period.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from escala import access, rollups, times
from escala.db import Database
from escala.domain import ActivityType, Kind, Role, Stage, User, parse_day, parse_id

STATES = ("Pendiente", "Vencida", "Realizada")  # the Estado filter: Pendiente is every pending item
ON_TIME = "Por vencer"
CHART_STATES = (ON_TIME, "Vencida", "Realizada")  # disjoint: one colour each on every chart
TYPE_LABELS = (*[t.value for t in ActivityType], "Tarea")
AGE_BUCKETS = ("1–7 días", "8–30 días", "31–90 días", "Más de 90 días")
UNASSIGNED = "Sin asignar"
OTHERS = "Otros"
OTHERS_KEY = -1  # the "Otros" bar's responsible_id: see Selection.responsible_not_in
TOP = 15
KINDS = {"ambas": None, "actividades": Kind.ACTIVITY, "tareas": Kind.TASK}
BUCKET_US = 15 * 60 * 1_000_000  # 15-minute UTC buckets: exact for every zone's offset


@dataclass(frozen=True)
class Filters:
    """What the Tablero (and the export) counts. Empty tuples mean "all"."""

    date_from: date | None = None  # on Hasta (activities) / Fecha (tasks), in the user's zone
    date_to: date | None = None  # inclusive
    kind: str = "ambas"
    types: tuple[str, ...] = ()  # activity types
    states: tuple[str, ...] = ()  # Pendiente (all pending), Vencida, Realizada
    responsible_ids: tuple[int, ...] = ()  # 0 = Sin asignar
    owner_ids: tuple[int, ...] = ()
    stages: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}")

    @property
    def has_range(self) -> bool:
        return self.date_from is not None and self.date_to is not None

    def previous(self) -> Filters:
        """The same filters over the previous period of the same length."""
        length = (self.date_to - self.date_from).days + 1
        return replace(self, date_from=self.date_from - timedelta(days=length),
                       date_to=self.date_from - timedelta(days=1))

    # --------------------------------------------------------- URL round trip

    def to_query(self) -> dict[str, str]:
        """Only what differs from the defaults, as short strings for ``st.query_params``."""
        query = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value in (None, (), "ambas"):
                continue
            query[spec.name] = (",".join(str(v) for v in value) if isinstance(value, tuple)
                                else value.isoformat() if isinstance(value, date) else str(value))
        return query

    @classmethod
    def from_query(cls, query) -> Filters:
        """Rebuild from URL parameters, ignoring anything malformed or unknown."""
        return cls.parse_query(query)[0]

    @classmethod
    def parse_query(cls, query) -> tuple[Filters, list[str]]:
        """The filters in URL parameters, and the names of the parameters whose value (or
        part of it) was malformed and so ignored: days outside 1970–2100, ids that are not
        plain positive numbers, unknown words."""
        ignored: list[str] = []

        def text(name) -> str:
            value = query.get(name, "")
            return value if isinstance(value, str) else ""

        def day(name):
            raw = text(name)
            value = parse_day(raw)
            if raw and value is None:
                ignored.append(name)
            return value

        def parts(name, parse):
            raw = [v for v in text(name).split(",") if v]
            kept = tuple(dict.fromkeys(p for p in map(parse, raw) if p is not None))
            if len(kept) != len(set(raw)):
                ignored.append(name)
            return kept

        def ids(value):
            return 0 if value.strip() == "0" else parse_id(value)

        date_from, date_to = day("date_from"), day("date_to")
        if date_from and date_to and date_to < date_from:
            date_from, date_to = date_to, date_from
        kind = text("kind") or "ambas"
        if kind not in KINDS:
            ignored.append("kind")
            kind = "ambas"
        allowed_words = {"types": {t.value for t in ActivityType}, "states": set(STATES),
                         "stages": {s.value for s in Stage}}
        words = {name: parts(name, lambda v, allowed=allowed: v if v in allowed else None)
                 for name, allowed in allowed_words.items()}
        filters = cls(date_from, date_to, kind, words["types"], words["states"], parts("responsible_ids", ids),
                      parts("owner_ids", parse_id), words["stages"])
        return filters, ignored


@dataclass(frozen=True)
class Selection:
    """One bar of a chart, narrowing the filters to the items behind it (None matches all)."""

    responsible_id: int | None = None  # 0 = Sin asignar
    type: str | None = None  # an activity type or "Tarea"
    state: str | None = None  # one of CHART_STATES
    opportunity_id: int | None = None
    responsible_not_in: tuple[int, ...] | None = None  # the "Otros" bar: everyone not drawn on their own

    def __post_init__(self):
        if self.state is not None and self.state not in CHART_STATES:
            raise ValueError(f"state must be one of {CHART_STATES}")

    def clauses(self, now: datetime, a: str = "i") -> tuple[list[str], list]:
        clauses, params = [], []
        for condition, value in ((f"coalesce({a}.responsible_id, 0) = ?", self.responsible_id),
                                 (f"coalesce({a}.activity_type::VARCHAR, 'Tarea') = ?", self.type),
                                 (f"{a}.opportunity_id = ?", self.opportunity_id)):
            if value is not None:
                clauses.append(condition)
                params.append(value)
        if self.responsible_not_in is not None:
            clauses.append(f"coalesce({a}.responsible_id, 0) NOT IN (SELECT unnest(?::INTEGER[]))")
            params.append(list(self.responsible_not_in))
        if self.state is not None:
            clauses.append({"Realizada": f"{a}.status = 'Realizada'",
                            "Vencida": f"{a}.status = 'Pendiente' AND {a}.due_at < ?",
                            ON_TIME: f"{a}.status = 'Pendiente' AND {a}.due_at >= ?"}[self.state])
            params.extend([] if self.state == "Realizada" else [times.to_db(now)])
        return clauses, params


@dataclass(frozen=True)
class DaySplit:
    """Which days of the rollup zone a query may take whole from the rollups (``first`` ≤ day
    < ``end``, ``None`` = unbounded, minus ``partial``), and which it counts from ``items``."""

    rollup_zone: str
    today: date  # the rollup-zone day holding "now": always partial
    partial: tuple[date, ...]  # days that straddle a boundary, counted from items
    first: date | None = None
    end: date | None = None
    ages: tuple[date, date, date] | None = None  # rollup days of the 7/30/90-days-late edges
    items_only: bool = False  # the reference: every day from items (tests compare the two)

    def item_days(self, alias: str = "i") -> tuple[str, list]:
        """SQL restricting items to the partial days."""
        if self.items_only:
            return "TRUE", []
        bounds = []
        for day in self.partial:
            bounds.extend([times.to_db(times.start_of_day(day, self.rollup_zone)),
                           times.to_db(times.start_of_day(day + timedelta(days=1), self.rollup_zone))])
        ranges = " OR ".join(f"({alias}.due_at >= ? AND {alias}.due_at < ?)" for _ in self.partial)
        return f"({ranges})", bounds


@dataclass(frozen=True)
class Dashboard:
    """Everything the Tablero draws, each a small tidy frame."""

    metrics: dict
    by_responsible: pd.DataFrame  # responsible, state, count
    by_type: pd.DataFrame  # type, state, count
    by_opportunity: pd.DataFrame  # opportunity_id, opportunity, stage, state, count
    over_time: pd.DataFrame  # period, series (Creadas/Realizadas), count
    ageing: pd.DataFrame  # responsible, bucket, count
    comparison: pd.DataFrame  # one row per responsible
    granularity: str = "day"
    extra: dict = field(default_factory=dict)


class Analytics:
    """Aggregates over the items one user may see. ``use_rollups=False`` counts everything
    from ``items`` (the reference the rollup path is tested against)."""

    def __init__(self, db: Database, use_rollups: bool = True):
        self.db = db
        self.use_rollups = use_rollups

    # --------------------------------------------------------- rollups or items, day by day

    def split(self, filters: Filters, now: datetime, zone: str) -> DaySplit:
        rollup_zone = rollups.zone_of(self.db.cursor())
        today = times.to_local(now, rollup_zone).date()
        if not self.use_rollups:
            return DaySplit(rollup_zone, today, (), items_only=True)
        partial = {today}

        def day_of(instant: datetime) -> date:
            day = times.to_local(instant, rollup_zone).date()
            if times.start_of_day(day, rollup_zone) != instant:
                partial.add(day)  # the boundary falls inside that day
            return day

        first = day_of(times.start_of_day(filters.date_from, zone)) if filters.date_from else None
        end = day_of(times.start_of_day(filters.date_to + timedelta(days=1), zone)) if filters.date_to else None
        user_today = times.to_local(now, zone).date()
        ages = tuple(day_of(times.start_of_day(user_today - timedelta(days=n), zone)) for n in (7, 30, 90))
        return DaySplit(rollup_zone, today, tuple(sorted(partial)), first, end, ages)

    def rollup_where(self, filters: Filters, user: User, split: DaySplit, dated: bool = True) -> tuple[str, str, list]:
        """(rows, SQL over them as ``r``, values): the rollup to read (the team-wide one unless a
        filter or the user's scope needs owner or stage) and the filters on its columns and days."""
        clauses, params = ["r.day NOT IN (SELECT unnest(?::DATE[]))"], [list(split.partial)]
        finest = user.role is Role.SELLER or bool(filters.owner_ids or filters.stages)
        table = rollups.source("rollup_due" if finest else "rollup_due_team", split.rollup_zone)
        if user.role is Role.SELLER:
            clauses.append("(r.owner_id = ? OR r.responsible_id = ?)")
            params.extend([user.id, user.id])
        if dated and split.first is not None:
            clauses.append("r.day >= ?")
            params.append(split.first)
        if dated and split.end is not None:
            clauses.append("r.day < ?")
            params.append(split.end)
        if KINDS[filters.kind] is not None:
            clauses.append("r.type = 'Tarea'" if KINDS[filters.kind] is Kind.TASK else "r.type <> 'Tarea'")
        if filters.types:
            clauses.append("r.type IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(filters.types))
        if filters.states:
            wanted = []
            if "Pendiente" in filters.states:
                wanted.append("r.status = 'Pendiente'")
            elif "Vencida" in filters.states:
                wanted.append("(r.status = 'Pendiente' AND r.day < ?)")
                params.append(split.today)
            if "Realizada" in filters.states:
                wanted.append("r.status = 'Realizada'")
            clauses.append("(" + " OR ".join(wanted) + ")")
        if filters.responsible_ids:
            clauses.append("r.responsible_id IN (SELECT unnest(?::INTEGER[]))")
            params.append(list(filters.responsible_ids))
        if filters.owner_ids:
            clauses.append("r.owner_id IN (SELECT unnest(?::INTEGER[]))")
            params.append(list(filters.owner_ids))
        if filters.stages:
            clauses.append("r.stage IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(filters.stages))
        return table, " AND ".join(clauses), params

    def _both(self, rollup_sql: str | None, rollup_params: list, items_sql: str, items_params: list,
              keys: list[str]) -> pd.DataFrame:
        """The rollup part and the items part (partial days) of one aggregate, summed by ``keys``."""
        parts = [self._frame(items_sql, items_params)]
        if rollup_sql is not None:
            parts.append(self._frame(rollup_sql, rollup_params))
        frame = pd.concat(parts, ignore_index=True)
        if frame.empty:
            return frame
        return frame.groupby(keys, as_index=False, sort=True).sum()

    # --------------------------------------------------------- shared WHERE

    def where(self, filters: Filters, user: User, now: datetime, zone: str, alias: str = "i",
              dated: bool = True, selection: Selection | None = None) -> tuple[str, list]:
        """The filter as SQL over ``items`` (``alias``) plus bound values; always scoped to ``user``."""
        scope, params = access.item_scope(user, alias)
        clauses = [scope]
        a = alias
        if dated and filters.date_from is not None:
            clauses.append(f"{a}.due_at >= ?")
            params.append(times.to_db(times.start_of_day(filters.date_from, zone)))
        if dated and filters.date_to is not None:
            clauses.append(f"{a}.due_at < ?")
            params.append(times.to_db(times.start_of_day(filters.date_to + timedelta(days=1), zone)))
        if KINDS[filters.kind] is not None:
            clauses.append(f"{a}.kind = ?")
            params.append(str(KINDS[filters.kind]))
        if filters.types:
            clauses.append(f"{a}.activity_type IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(filters.types))
        if filters.states:
            wanted = []
            if "Pendiente" in filters.states:
                wanted.append(f"{a}.status = 'Pendiente'")
            elif "Vencida" in filters.states:
                wanted.append(f"({a}.status = 'Pendiente' AND {a}.due_at < ?)")
                params.append(times.to_db(now))
            if "Realizada" in filters.states:
                wanted.append(f"{a}.status = 'Realizada'")
            clauses.append("(" + " OR ".join(wanted) + ")")
        if filters.responsible_ids:
            people = [i for i in filters.responsible_ids if i]
            either = [f"{a}.responsible_id IN (SELECT unnest(?::INTEGER[]))"] if people else []
            params.extend([people] if people else [])
            if 0 in filters.responsible_ids:
                either.append(f"{a}.responsible_id IS NULL")
            clauses.append("(" + " OR ".join(either) + ")")
        if filters.owner_ids:
            clauses.append(f"{a}.contact_owner_id IN (SELECT unnest(?::INTEGER[]))")
            params.append(list(filters.owner_ids))
        if filters.stages:
            clauses.append(f"{a}.opportunity_id IN (SELECT id FROM opportunities WHERE stage IN "
                           "(SELECT unnest(?::VARCHAR[])))")
            params.append(list(filters.stages))
        if selection is not None:
            extra, values = selection.clauses(now, a)
            clauses.extend(extra)
            params.extend(values)
        return " AND ".join(clauses), params

    def _frame(self, sql: str, params: list) -> pd.DataFrame:
        return self.db.cursor().execute(sql, params).df()

    # --------------------------------------------------------- the queries

    def status_counts(self, filters: Filters, user: User, now: datetime, zone: str) -> pd.DataFrame:
        """responsible_id, type, status, count: behind the metrics, by responsible, by type."""
        split = self.split(filters, now, zone)
        where, params = self.where(filters, user, now, zone)
        days, bounds = split.item_days()
        items_sql = f"""
            SELECT responsible_id, coalesce(activity_type::VARCHAR, 'Tarea') AS type, status::VARCHAR AS status,
                   n AS count
            FROM (SELECT coalesce(i.responsible_id, 0) AS responsible_id, i.activity_type, i.status, count(*) AS n
                  FROM items i WHERE {where} AND {days} GROUP BY ALL)"""  # sql-ok: where() binds every value
        rollup_sql, rollup_params = None, []
        if not split.items_only:
            table, rwhere, rollup_params = self.rollup_where(filters, user, split)
            rollup_sql = f"""SELECT responsible_id, type, status, sum(n)::BIGINT AS count
                             FROM {table} r WHERE {rwhere} GROUP BY ALL HAVING sum(n) <> 0"""  # sql-ok
        return self._both(rollup_sql, rollup_params, items_sql, [*params, *bounds],
                          ["responsible_id", "type", "status"]).astype({"count": "int64"}, errors="ignore")

    def overdue(self, filters: Filters, user: User, now: datetime, zone: str) -> pd.DataFrame:
        """responsible_id, type, bucket, count of overdue items by calendar days late in ``zone``
        (only pending rows past their time are grouped, so this scan is cheap)."""
        split = self.split(filters, now, zone)
        where, params = self.where(filters, user, now, zone)
        days, bounds = split.item_days()
        today = times.to_local(now, zone).date()
        edge = [times.to_db(times.start_of_day(today - timedelta(days=n), zone)) for n in (7, 30, 90)]
        buckets = f"""['{"', '".join(AGE_BUCKETS)}']"""
        items_sql = f"""
            SELECT responsible_id, coalesce(activity_type::VARCHAR, 'Tarea') AS type, {buckets}[age] AS bucket,
                   n AS count
            FROM (SELECT coalesce(i.responsible_id, 0) AS responsible_id, i.activity_type,
                         CASE WHEN i.due_at >= ? THEN 1 WHEN i.due_at >= ? THEN 2 WHEN i.due_at >= ? THEN 3 ELSE 4 END
                             AS age,
                         count(*) AS n
                  FROM items i WHERE {where} AND {days} AND i.status = 'Pendiente' AND i.due_at < ?
                  GROUP BY ALL)"""  # sql-ok: constants and bound values
        rollup_sql, rollup_params = None, []
        if not split.items_only:
            table, rwhere, rollup_params = self.rollup_where(filters, user, split)
            rollup_sql = f"""
                SELECT responsible_id, type, {buckets}[age] AS bucket, sum(n)::BIGINT AS count
                FROM (SELECT r.*, CASE WHEN r.day >= ? THEN 1 WHEN r.day >= ? THEN 2 WHEN r.day >= ? THEN 3 ELSE 4 END
                                      AS age
                      FROM {table} r WHERE {rwhere} AND r.status = 'Pendiente' AND r.day < ?)
                GROUP BY ALL HAVING sum(n) <> 0"""  # sql-ok
            rollup_params = [*split.ages, *rollup_params, split.today]
        return self._both(rollup_sql, rollup_params, items_sql, [*edge, *params, *bounds, times.to_db(now)],
                          ["responsible_id", "type", "bucket"])

    def completion(self, filters: Filters, user: User, now: datetime, zone: str) -> pd.DataFrame:
        """Per responsible: done, done on time (by Hasta/Fecha), mean whole days to complete."""
        split = self.split(filters, now, zone)
        where, params = self.where(filters, user, now, zone)
        days, bounds = split.item_days()
        items_sql = f"""
            SELECT coalesce(i.responsible_id, 0) AS responsible_id, count(*) AS done,
                   count(*) FILTER (i.completed_at <= i.due_at) AS on_time,
                   coalesce(sum({rollups.WHOLE_DAYS}), 0) AS done_days
            FROM items i WHERE {where} AND {days} AND i.status = 'Realizada' GROUP BY ALL"""  # sql-ok
        rollup_sql, rollup_params = None, []
        if not split.items_only:
            table, rwhere, rollup_params = self.rollup_where(filters, user, split)
            rollup_sql = f"""SELECT responsible_id, sum(n) AS done, sum(on_time) AS on_time, sum(done_days) AS done_days
                             FROM {table} r WHERE {rwhere} AND r.status = 'Realizada'
                             GROUP BY ALL HAVING sum(n) <> 0"""  # sql-ok
        frame = self._both(rollup_sql, rollup_params, items_sql, [*params, *bounds], ["responsible_id"])
        if frame.empty:
            return pd.DataFrame(columns=["responsible_id", "done", "on_time", "mean_days"])
        frame = frame.astype({"done": "int64", "on_time": "int64", "done_days": "int64"})
        return frame.assign(mean_days=frame["done_days"] / frame["done"]).drop(columns="done_days")

    def by_opportunity(self, filters: Filters, user: User, now: datetime, zone: str) -> pd.DataFrame:
        """The 15 opportunities with most pending work, with their stage and each state's count."""
        where, params = self.where(filters, user, now, zone)
        top = [row[0] for row in self.db.query(f"""
            SELECT i.opportunity_id FROM items i
            WHERE {where} AND i.opportunity_id IS NOT NULL AND i.status = 'Pendiente'
            GROUP BY 1 ORDER BY count(*) DESC, i.opportunity_id LIMIT {TOP}""", params)]  # sql-ok: TOP constant
        return self._frame(f"""
            SELECT o.id AS opportunity_id, o.name AS opportunity, o.stage::VARCHAR AS stage, c.state, c.count
            FROM (SELECT i.opportunity_id,
                         CASE WHEN i.status = 'Realizada' THEN 'Realizada'
                              WHEN i.due_at < ? THEN 'Vencida' ELSE '{ON_TIME}' END AS state,
                         count(*) AS count
                  FROM items i WHERE {where} AND i.opportunity_id IN (SELECT unnest(?::INTEGER[]))
                  GROUP BY ALL) c
            JOIN opportunities o ON o.id = c.opportunity_id
            ORDER BY list_position(?::INTEGER[], o.id), c.state""",  # sql-ok
            [times.to_db(now), *params, top, top])

    def over_time(self, filters: Filters, user: User, now: datetime, zone: str) -> tuple[pd.DataFrame, str]:
        """Created vs completed per day, week or month of the user's calendar (by the range)."""
        where, params = self.where(filters, user, now, zone, dated=False)
        window, bounds = "", []
        if filters.date_from is not None:
            window += " AND {col} >= ?"
            bounds.append(times.to_db(times.start_of_day(filters.date_from, zone)))
        if filters.date_to is not None:
            window += " AND {col} < ?"
            bounds.append(times.to_db(times.start_of_day(filters.date_to + timedelta(days=1), zone)))
        buckets = self._frame(f"""
            SELECT 'Creadas' AS series, epoch_us(i.created_at) // {BUCKET_US} AS bucket, count(*) AS count
            FROM items i WHERE {where} {window.format(col='i.created_at')} GROUP BY ALL
            UNION ALL
            SELECT 'Realizadas', epoch_us(i.completed_at) // {BUCKET_US}, count(*)
            FROM items i WHERE {where} AND i.status = 'Realizada' {window.format(col='i.completed_at')}
            GROUP BY ALL""", [*params, *bounds, *params, *bounds])  # sql-ok: fixed fragments, bound values
        if buckets.empty:
            return pd.DataFrame(columns=["period", "series", "count"]), "day"
        first = filters.date_from or _local_day(buckets["bucket"].min(), zone)
        last = filters.date_to or _local_day(buckets["bucket"].max(), zone)
        granularity = "day" if (last - first).days <= 62 else "week" if (last - first).days <= 370 else "month"
        cursor = self.db.cursor()
        cursor.register("buckets", buckets)
        try:
            frame = cursor.execute(f"""
                SELECT date_trunc('{granularity}', timezone(?, make_timestamp((bucket * {BUCKET_US})::BIGINT)
                                                              ::TIMESTAMPTZ))::DATE AS period,
                       series, sum(count)::BIGINT AS count
                FROM buckets GROUP BY ALL ORDER BY period, series""", [zone]).df()  # sql-ok: fixed words
        finally:
            cursor.unregister("buckets")
        return frame, granularity

    def totals(self, filters: Filters, user: User, now: datetime, zone: str) -> dict:
        """Pendientes, Realizadas, Vencidas and % completado."""
        return _metrics(self.status_counts(filters, user, now, zone), self.overdue(filters, user, now, zone))

    def items_behind(self, filters: Filters, user: User, now: datetime, zone: str, selection: Selection,
                     limit: int = 200) -> tuple[pd.DataFrame, int]:
        """The items behind one bar (drill-down): the first ``limit`` by due date, and how many
        there are in all, which is exactly the bar's count."""
        condition, params = self.where(filters, user, now, zone, selection=selection)
        frame = self._frame(f"""
            SELECT i.id AS "ID", i.kind::VARCHAR AS "Clase", i.name AS "Nombre",
                   coalesce(i.activity_type::VARCHAR, '') AS "Tipo", i.due_at AS due_at,
                   coalesce(r.name, '{UNASSIGNED}') AS "Responsable", c.name AS "Contacto", i.contact_id,
                   i.status::VARCHAR AS "Estatus", count(*) OVER () AS total
            FROM items i JOIN contacts c ON c.id = i.contact_id LEFT JOIN users r ON r.id = i.responsible_id
            WHERE {condition}
            ORDER BY i.due_at, i.id LIMIT ?""", [*params, limit])  # sql-ok: conditions from fixed fragments
        total = int(frame["total"].iloc[0]) if len(frame) else 0
        frame["Vence"] = [times.format_local(times.from_db(v.to_pydatetime()), zone) for v in frame.pop("due_at")]
        return frame.drop(columns="total"), total

    # --------------------------------------------------------- the whole Tablero

    def dashboard(self, filters: Filters, user: User, now: datetime, zone: str) -> Dashboard:
        """Every metric, chart and the comparison table, for one filter set."""
        counts = self.status_counts(filters, user, now, zone)
        overdue = self.overdue(filters, user, now, zone)
        states = _states(counts, overdue)
        people = _per_person(states)
        names = self._names()
        metrics = _metrics(counts, overdue)
        if filters.has_range:
            metrics["previous"] = self.totals(filters.previous(), user, now, zone)
        series, granularity = self.over_time(filters, user, now, zone)
        return Dashboard(
            metrics=metrics,
            by_responsible=_by_responsible(people, names),
            by_type=_by_type(states),
            by_opportunity=self.by_opportunity(filters, user, now, zone),
            over_time=series,
            ageing=_ageing(overdue, names),
            comparison=_comparison(people, self.completion(filters, user, now, zone), names),
            granularity=granularity,
        )

    def _names(self) -> dict:
        return dict(self.db.query("SELECT id, name FROM users"))


def _local_day(bucket: int, zone: str) -> date:
    return times.to_local(datetime.fromtimestamp(int(bucket) * BUCKET_US / 1e6, tz=UTC), zone).date()


def _states(counts: pd.DataFrame, overdue: pd.DataFrame) -> pd.DataFrame:
    """responsible_id, type, state, count in the three disjoint states: the overdue part of
    each pending count becomes Vencida."""
    keys = ["responsible_id", "type"]
    late = overdue.groupby(keys, as_index=False)["count"].sum().rename(columns={"count": "late"})
    pending = counts[counts["status"] == "Pendiente"].merge(late, on=keys, how="left").fillna({"late": 0})
    return pd.concat([
        counts.loc[counts["status"] == "Realizada", [*keys, "count"]].assign(state="Realizada"),
        pending.assign(state="Vencida", count=pending["late"])[[*keys, "count", "state"]],
        pending.assign(state=ON_TIME, count=pending["count"] - pending["late"])[[*keys, "count", "state"]],
    ], ignore_index=True).astype({"count": "int64"})[[*keys, "state", "count"]]


def _metrics(counts: pd.DataFrame, overdue: pd.DataFrame) -> dict:
    by_status = counts.groupby("status")["count"].sum()
    pending, done = int(by_status.get("Pendiente", 0)), int(by_status.get("Realizada", 0))
    total = pending + done
    return {"Pendientes": pending, "Realizadas": done, "Vencidas": int(overdue["count"].sum()),
            "% completado": round(100 * done / total, 1) if total else None}


def _person(names: dict, responsible_id: int) -> str:
    """0 stands for "Sin asignar" (as in the filters)."""
    return UNASSIGNED if responsible_id == 0 else names.get(int(responsible_id), f"Usuario {int(responsible_id)}")


def _per_person(states: pd.DataFrame) -> pd.DataFrame:
    """One row per responsible, a column per state, plus all pending."""
    table = states.groupby(["responsible_id", "state"])["count"].sum().unstack(fill_value=0) \
        .reindex(columns=list(CHART_STATES), fill_value=0)
    table["pending"] = table[ON_TIME] + table["Vencida"]
    return table


def _by_responsible(table: pd.DataFrame, names: dict) -> pd.DataFrame:
    """Top 15 people by pending work, then "Otros" (``responsible_id`` OTHERS_KEY), then
    "Sin asignar" (0); one row per state."""
    if table.empty:
        return pd.DataFrame(columns=["responsible", "responsible_id", "state", "count"])
    people = table.drop(index=0, errors="ignore").sort_values(["pending", "Realizada"], ascending=False, kind="stable")
    rows = [(_person(names, key), int(key), table.loc[key]) for key in people.index[:TOP]]
    if len(people) > TOP:
        rows.append((OTHERS, OTHERS_KEY, people.iloc[TOP:][list(CHART_STATES)].sum()))
    if 0 in table.index:
        rows.append((UNASSIGNED, 0, table.loc[0]))
    return pd.DataFrame([{"responsible": name, "responsible_id": key, "state": state, "count": int(values[state])}
                         for name, key, values in rows for state in CHART_STATES])


def _by_type(states: pd.DataFrame) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([TYPE_LABELS, CHART_STATES], names=["type", "state"])
    return states.groupby(["type", "state"])["count"].sum().reindex(grid, fill_value=0).astype(int).reset_index()


def _ageing(overdue: pd.DataFrame, names: dict) -> pd.DataFrame:
    if overdue.empty:
        return pd.DataFrame(columns=["responsible", "bucket", "count"])
    frame = overdue.assign(responsible=[_person(names, r) for r in overdue["responsible_id"]])
    return frame.groupby(["responsible", "bucket"], as_index=False)["count"].sum()


COMPARISON_COLUMNS = ["Responsable", "Pendientes", "Realizadas", "Vencidas", "% a tiempo",
                      "Promedio de días para completar"]


def _comparison(people: pd.DataFrame, completion: pd.DataFrame, names: dict) -> pd.DataFrame:
    """Per responsible: pending, done, overdue, % done on time, mean whole days to complete."""
    if people.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    table = people.join(completion.set_index("responsible_id"), how="left")
    frame = pd.DataFrame({
        "Responsable": [_person(names, key) for key in table.index],
        "Pendientes": table["pending"].astype(int).to_numpy(),
        "Realizadas": table["Realizada"].astype(int).to_numpy(),
        "Vencidas": table["Vencida"].astype(int).to_numpy(),
        "% a tiempo": (100 * table["on_time"] / table["done"]).round(1).to_numpy(),
        "Promedio de días para completar": table["mean_days"].astype(float).round(1).to_numpy(),
    })
    return frame.sort_values(["Pendientes", "Responsable"], ascending=[False, True], ignore_index=True)
