"""The Tablero's numbers: aggregate queries over the rollups (and a few days of items) -> small tidy DataFrames.

One ``Filters`` object (mirrored in the URL) feeds every query, and the export reuses it,
so every number agrees with every list. Items are classified into three disjoint states,
one colour each on every chart: *Por vencer* (pending, not yet late), *Vencida* (pending
after its time) and *Realizada*. "Pendiente" keeps the spec's meaning everywhere (the
Estatus: every pending item, late or not), so the metric and the filter "Pendiente" count
*Por vencer* plus *Vencida*.

Every chart comes from the rollups (escala/rollups.py), whose grain is one calendar day of
the rollup zone × responsible (× contact owner × opportunity stage, × opportunity), with
every type × Estatus count in its own column, on the day an item is due, was created and was
completed. Why that is exact: every filter the Tablero offers is either a rollup column
(responsible, owner and sellers' scope, stage), a choice of columns (kind and type, Estatus)
or a set of whole days, and so is every state — *Vencida* is "pending, due before now",
true for every item of a day that ended before now and for none of a day that starts after
it. What a day key cannot tell is read from ``items`` with the very same filters, and never
counted twice: today's pending items already due (they move from *Por vencer* to *Vencida*;
read from ``rollups.SOON``, the pending items due around today, while it covers today);
and, when the user's zone is not the rollup zone, the days that straddle the period's ends
and the ageing edges (``DaySplit``), for which the rollups skip those days — and created vs
completed, bucketed by the user's calendar, reads ``items`` altogether.
Completion time is the *mean* whole days from creation to completion (a sum and a count,
additive like everything in a rollup; a median would need every item's value).
The items behind a bar and those of the top 15 opportunities are read from ``items``
through an index (their ids come from the rollups).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from escala import access, rollups, times
from escala.db import Database, one_of
from escala.domain import GOAL_TYPES, ActivityType, Goal, Kind, Role, Stage, User, parse_day, parse_id

STATES = ("Pendiente", "Vencida", "Realizada")  # the Estado filter: Pendiente is every pending item
ON_TIME = "Por vencer"
CHART_STATES = (ON_TIME, "Vencida", "Realizada")  # disjoint: one colour each on every chart
TYPE_LABELS = (*[t.value for t in ActivityType], "Tarea")
AGE_BUCKETS = ("1–7 días", "8–30 días", "31–90 días", "Más de 90 días")
UNASSIGNED = "Sin asignar"
OTHERS = "Otros"
OTHERS_KEY = -1  # the "Otros" bar's responsible_id: see Selection.responsible_not_in
TOP = 15
OPPORTUNITY_COLUMNS = ["opportunity_id", "opportunity", "stage", "state", "count"]  # by_opportunity's frame
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
    goals: pd.DataFrame | None = None  # goal_progress of the goals shown


class Analytics:
    """Aggregates over the items one user may see. ``use_rollups=False`` counts everything
    from ``items`` (the reference the rollup path is tested against)."""

    def __init__(self, db: Database, use_rollups: bool = True):
        self.db = db
        self.use_rollups = use_rollups
        self._rollup_zone: str | None = None  # read once per dashboard
        self._soon_day: date | None = None  # the day rollups.SOON was made for, likewise

    # --------------------------------------------------------- rollups or items, day by day

    def split(self, filters: Filters, now: datetime, zone: str) -> DaySplit:
        rollup_zone = self._rollup_zone or rollups.zone_of(self.db.cursor())
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

    def rollup_rows(self, filters: Filters, user: User, split: DaySplit, table: str, columns: str,
                    measures: list[str], params: list, dated: bool = True,
                    basis: int | tuple[int, ...] | None = rollups.DUE) -> tuple[str, list]:
        """SQL (and values) selecting ``columns`` (SQL over ``r`` reading only the rollup's keys
        and ``measures``, with ``params`` once per part) from the rollup rows the filters and
        the user's scope keep, on their whole days.
        ``table`` is the rollup for everyone (``None``: the team, owner or stage one, as the
        filters need). Type and state are left to the columns the caller sums (``Chosen``)."""
        def part(name: str, scope: list[str], scope_params: list) -> tuple[str, list]:
            clauses, values = [*scope], [*scope_params]
            if basis is not None:
                bases = basis if isinstance(basis, tuple) else (basis,)
                clauses.append(one_of("r.basis", bases))
                values.extend(bases)
            for day in split.partial:
                clauses.append("r.day <> ?")
                values.append(day)
            if dated and split.first is not None:
                clauses.append("r.day >= ?")
                values.append(split.first)
            if dated and split.end is not None:
                clauses.append("r.day < ?")
                values.append(split.end)
            for column, wanted in (("responsible_id", filters.responsible_ids), ("owner_id", filters.owner_ids)):
                if wanted:
                    clauses.append(one_of(f"r.{column}", wanted))
                    values.extend(wanted)
            if filters.stages:
                clauses.append(one_of("r.stage", filters.stages))
                values.extend(filters.stages)
            where = " AND ".join(clauses) or "TRUE"
            return f"SELECT {columns} FROM {rollups.source(name, measures)} r WHERE {where}", [*params, *values]  # sql-ok

        owners = table or "rollup_owner"  # every rollup named here has an owner column
        table = table or ("rollup_owner" if filters.owner_ids else "rollup_stage" if filters.stages else "rollup_team")
        if user.role is not Role.SELLER:
            return part(table, [], [])
        # a seller sees what they are responsible for, and the rest of what their contacts hold
        mine = part(table, ["r.responsible_id = ?"], [user.id])
        theirs = part(owners, ["r.owner_id = ?", "r.responsible_id <> ?"], [user.id, user.id])
        return f"{mine[0]} UNION ALL {theirs[0]}", [*mine[1], *theirs[1]]

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
            clauses.append(one_of(f"{a}.activity_type", filters.types))
            params.extend(filters.types)
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
            either = [one_of(f"{a}.responsible_id", people)] if people else []
            params.extend(people)
            if 0 in filters.responsible_ids:
                either.append(f"{a}.responsible_id IS NULL")
            clauses.append("(" + " OR ".join(either) + ")")
        if filters.owner_ids:
            clauses.append(one_of(f"{a}.contact_owner_id", filters.owner_ids))
            params.extend(filters.owner_ids)
        if filters.stages:
            clauses.append(f"{a}.opportunity_id IN (SELECT id FROM opportunities WHERE {one_of('stage', filters.stages)})")  # sql-ok: placeholders
            params.extend(filters.stages)
        if selection is not None:
            extra, values = selection.clauses(now, a)
            clauses.extend(extra)
            params.extend(values)
        return " AND ".join(clauses), params

    def _frame(self, sql: str, params: list) -> pd.DataFrame:
        return self.db.cursor().execute(sql, params).df()

    # --------------------------------------------------------- the queries

    def tally(self, filters: Filters, user: User, now: datetime, zone: str) -> Tally:
        """Every count by responsible, type, state and days late (see ``tallies``)."""
        return self.tallies(filters, user, now, zone)[0]

    def tallies(self, filters: Filters, user: User, now: datetime, zone: str,
                previous: bool = False) -> tuple[Tally, Tally | None]:
        """Every count by responsible, type, state and days late (age — 0: not late or done,
        1–4: AGE_BUCKETS), by the items' Hasta/Fecha: the rollups' whole days (only the
        measures the type and state filters keep) plus the partial days' items; with
        ``previous``, also the previous period's (same queries, a ``period`` column apart)."""
        chosen = Chosen.of(filters)
        span = replace(filters, date_from=filters.previous().date_from) if previous else filters
        split = self.split(span, now, zone)
        period_of, period_params = "0", []  # 0: the filters' period, 1: the one before
        if previous:
            inner = self.split(filters, now, zone)
            split = replace(split, partial=tuple(sorted({*split.partial, *inner.partial})))
            period_of = "CASE WHEN {col} >= ? THEN 0 ELSE 1 END"
            period_params = [times.to_db(times.start_of_day(filters.date_from, zone))]
        where, params = self.where(span, user, now, zone)
        today = times.to_local(now, zone).date()
        edges = [times.to_db(times.start_of_day(today - timedelta(days=n), zone)) for n in (7, 30, 90)]
        ages = "CASE WHEN {col} >= ? THEN 0 WHEN {col} >= ? THEN 1 WHEN {col} >= ? THEN 2 WHEN {col} >= ? THEN 3 ELSE 4 END"
        late_today = not split.items_only and split.partial == (split.today,)
        if not late_today:
            days, bounds = split.item_days()  # the partial days, counted from items
            narrow = f"""SELECT {period_of.format(col='i.due_at')}, {rollups.RESPONSIBLE}, {ages.format(col='i.due_at')},
                                {rollups.narrow_columns(self.db.operations)}
                         FROM items i WHERE {where} AND {days} GROUP BY 1, 2, 3, 4, 5"""  # sql-ok: bound values
            values = [*period_params, times.to_db(now), *edges, *params, *bounds]
        else:  # every day is whole, today too; only its pending items already late move to age 1
            soon = self._soon_day if self._rollup_zone else rollups.soon_day(self.db.cursor())
            late = rollups.SOON if rollups.soon_covers(soon, split.today) else "items"  # same columns
            narrow = f"""SELECT {period_of.format(col='i.due_at')}, {rollups.RESPONSIBLE}, {rollups.TYPE}, count(*)
                         FROM {late} i WHERE {where} AND {rollups.PENDING} AND i.due_at >= ? AND i.due_at < ?
                         GROUP BY 1, 2, 3"""  # sql-ok: bound values, our table names
            values = [*period_params, *params, times.to_db(times.start_of_day(split.today, split.rollup_zone)),
                      times.to_db(now)]
            split = replace(split, partial=())
        columns, summed = chosen.columns(), None
        if not split.items_only and columns:
            rows, row_values = self.rollup_rows(span, user, split, None,
                                                f"{period_of.format(col='r.day')} AS period, r.responsible_id, "
                                                f"{ages.format(col='r.day')} AS age, "
                                                + ", ".join(f"r.{c}" for c in columns), columns,
                                                [*([inner.first] if previous else []), split.today, *split.ages])
            sums = ", ".join(f"sum({column})::BIGINT" for column in columns)
            summed = (f"SELECT period, responsible_id, age, {sums} FROM ({rows}) u GROUP BY 1, 2, 3", row_values)  # sql-ok
        items, found = together(lambda: self.db.query(narrow, values),
                                lambda: self.db.query(*summed) if summed else [])
        if late_today:  # each late count leaves age 0 for age 1
            items = [(period, person, age, label, "Pendiente", sign * n, 0, 0)
                     for period, person, label, n in items for age, sign in ((1, 1), (0, -1))]
        found = np.array(found, dtype=np.int64).reshape(-1, 3 + len(columns))
        counted = [Tally.of(chosen, columns, found[found[:, 0] == period, 1:], [row[1:] for row in items if row[0] == period])
                   for period in range(2 if previous else 1)]
        return counted[0], counted[1] if previous else None

    def by_opportunity(self, filters: Filters, user: User, now: datetime, zone: str) -> pd.DataFrame:
        """The 15 opportunities with most pending work, with their stage and each state's count."""
        chosen = Chosen.of(filters)
        where, params = self.where(filters, user, now, zone)
        top = self._top_opportunities(filters, user, now, zone, chosen) if chosen.pending and chosen.types else []
        if not top:
            return pd.DataFrame(columns=OPPORTUNITY_COLUMNS)
        ids = [opportunity for opportunity, _, _ in top]
        counts = self.db.query(f"""
            SELECT i.opportunity_id, i.status = 'Realizada', i.due_at < ?, count(*)
            -- the LIMIT keeps the other filters above the index lookup by opportunity
            FROM (SELECT * FROM items WHERE {one_of("opportunity_id", ids)} LIMIT {2**62}) i
            WHERE {where} GROUP BY 1, 2, 3""", [times.to_db(now), *ids, *params])  # sql-ok: placeholders only
        found: dict[tuple[int, str], int] = {}
        for opportunity, done, late, n in counts:
            key = (opportunity, "Realizada" if done else "Vencida" if late else ON_TIME)
            found[key] = found.get(key, 0) + n
        return pd.DataFrame([(opportunity, name, stage, state, found[opportunity, state])
                             for opportunity, name, stage in top for state in sorted(CHART_STATES)
                             if (opportunity, state) in found], columns=OPPORTUNITY_COLUMNS)

    def _top_opportunities(self, filters: Filters, user: User, now: datetime, zone: str,
                           chosen: Chosen) -> list[tuple[int, str, str]]:
        """Id, name and stage of the (at most) 15 opportunities with most pending items under
        the filters, most first, then by id: from the pending-work rollups plus the partial
        days' items."""
        where, params = self.where(filters, user, now, zone)
        split = self.split(filters, now, zone)
        if not chosen.late_only:  # the count does not depend on "now": today is whole
            split = _whole_today(split)
        days, bounds = split.item_days()
        sql = f"""SELECT i.opportunity_id, count(*) AS n FROM items i
                  WHERE {where} AND {days} AND i.opportunity_id IS NOT NULL AND {rollups.PENDING}
                  GROUP BY 1"""  # sql-ok: where() binds every value
        values = [*params, *bounds]
        measures = [f"pending_{rollups.TYPES[label]}" for label in chosen.types]
        pending = " + ".join(f"r.{measure}" for measure in measures) or "0"
        everything = not (filters.date_from or filters.date_to or filters.responsible_ids or filters.owner_ids
                          or filters.stages or chosen.late_only or user.role is Role.SELLER)
        if everything and not split.items_only:  # the whole history: one row per opportunity
            return self._top_of_all(pending, measures)
        if not split.items_only:
            if chosen.late_only:  # Vencida: whole days before today
                split = replace(split, end=min(split.end or split.today, split.today))
            rows, row_values = self.rollup_rows(filters, user, split, "rollup_pending_opportunity",
                                                f"r.opportunity_id, {pending} AS n", measures, [], basis=None)
            sql = f"{rows} UNION ALL {sql}" if split.partial else rows
            values = [*row_values, *values] if split.partial else row_values
        return self.db.query(_with_names(f"""SELECT opportunity_id, sum(n) AS n FROM ({sql}) u GROUP BY 1
                                        HAVING sum(n) > 0 ORDER BY 2 DESC, 1 LIMIT {TOP}"""), values)  # sql-ok

    def _top_of_all(self, pending: str, measures: list[str]) -> list[tuple[int, str, str]]:
        """The top opportunities over the whole history without sorting them all: the folded
        rollup holds one row per opportunity, and only those in the delta can change rank, so
        the top 15 + (opportunities in the delta) by folded count, plus those in the delta,
        are the only candidates; their full sums decide."""
        changed = [row[0] for row in self.db.query(
            f"SELECT DISTINCT opportunity_id FROM {rollups.DELTA} r WHERE {rollups.WITH_OPPORTUNITY[1]}")]  # sql-ok
        return self.db.query(_with_names(f"""
            WITH candidates AS (
                SELECT opportunity_id FROM (SELECT r.opportunity_id FROM rollup_opportunity r
                                            ORDER BY {pending} DESC, r.opportunity_id LIMIT ?) c
                UNION SELECT unnest(?::INTEGER[]))
            SELECT r.opportunity_id, sum({pending}) AS n FROM {rollups.source('rollup_opportunity', measures)} r
            WHERE r.opportunity_id IN (SELECT opportunity_id FROM candidates)
            GROUP BY 1 HAVING sum({pending}) > 0 ORDER BY 2 DESC, 1 LIMIT {TOP}"""),  # sql-ok: fixed words
            [TOP + len(changed), changed])

    def over_time(self, filters: Filters, user: User, now: datetime, zone: str) -> tuple[pd.DataFrame, str]:
        """Created vs completed per day, week or month of the user's calendar (by the range)."""
        chosen = Chosen.of(filters)
        split = self.split(filters, now, zone)
        if split.items_only or zone != split.rollup_zone or chosen.late_only:
            days = self._over_time_from_items(filters, user, now, zone)
        else:  # the rollup zone's days are the user's: every day is whole
            measures = [*(f"pending_{rollups.TYPES[t]}" for t in chosen.types if chosen.pending),
                        *(f"done_{rollups.TYPES[t]}" for t in chosen.types if chosen.done)]
            created = " + ".join(f"r.{measure}" for measure in measures) or "0"
            whole = DaySplit(split.rollup_zone, split.today, (), filters.date_from,
                             filters.date_to + timedelta(days=1) if filters.date_to else None)
            # completed rows count done items only (their pending columns hold zeros)
            bases = (rollups.CREATED, rollups.COMPLETED) if chosen.done else (rollups.CREATED,)
            rows, values = self.rollup_rows(filters, user, whole, None, f"r.basis, r.day, {created} AS n",
                                            measures, [], basis=bases)
            series = {rollups.CREATED: "Creadas", rollups.COMPLETED: "Realizadas"}
            days = [(series[basis], day, n) for basis, day, n in self.db.query(
                f"SELECT basis, day, sum(n)::BIGINT FROM ({rows}) u GROUP BY 1, 2 HAVING sum(n) <> 0", values)]  # sql-ok
        return _periods(days, filters)

    def _over_time_from_items(self, filters: Filters, user: User, now: datetime, zone: str) -> list[tuple]:
        """series, day (in ``zone``), count: from 15-minute UTC buckets, exact in every zone."""
        where, params = self.where(filters, user, now, zone, dated=False)
        window, bounds = "", []
        if filters.date_from is not None:
            window += " AND {col} >= ?"
            bounds.append(times.to_db(times.start_of_day(filters.date_from, zone)))
        if filters.date_to is not None:
            window += " AND {col} < ?"
            bounds.append(times.to_db(times.start_of_day(filters.date_to + timedelta(days=1), zone)))
        ops = self.db.operations
        local = ops.local_day(ops.from_epoch_us(f"(bucket * {BUCKET_US})::BIGINT"), zone)
        bucket = lambda column: ops.int_div(ops.epoch_us(column), str(BUCKET_US))  # noqa: E731
        return self.db.query(f"""
            SELECT series, {local} AS day, sum(n)::BIGINT AS count FROM (
                SELECT 'Creadas' AS series, {bucket('i.created_at')} AS bucket, count(*) AS n
                FROM items i WHERE {where} {window.format(col='i.created_at')} GROUP BY 1, 2
                UNION ALL
                SELECT 'Realizadas', {bucket('i.completed_at')}, count(*)
                FROM items i WHERE {where} AND i.status = 'Realizada' {window.format(col='i.completed_at')}
                GROUP BY 1, 2) b
            GROUP BY 1, 2""", [*params, *bounds, *params, *bounds])  # sql-ok: fixed fragments, bound values

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

    def dashboard(self, filters: Filters, user: User, now: datetime, zone: str,
                  goals: tuple[Goal, ...] = ()) -> Dashboard:
        """Every metric, chart and the comparison table, for one filter set, and the progress
        of ``goals`` (what ``Store.goals`` lets the user see)."""
        cursor = self.db.cursor()
        self._rollup_zone, self._soon_day = rollups.reading_state(cursor)
        try:
            return self._dashboard(filters, user, now, zone, list(goals))
        finally:
            self._rollup_zone = self._soon_day = None

    def _dashboard(self, filters: Filters, user: User, now: datetime, zone: str, goals: list[Goal]) -> Dashboard:
        # three lanes: the opportunities (two reads, one after the other), the goals (one read,
        # mostly planning: ~4 ms whatever their number) and the rest, one after another; the
        # goals behind the opportunities made the 90-day view ~7 ms slower, beside them ~3 ms
        ((tally, before), (series, granularity), names), by_opportunity, progress = together(
            lambda: (self.tallies(filters, user, now, zone, previous=filters.has_range),
                     self.over_time(filters, user, now, zone), self._names()),
            lambda: self.by_opportunity(filters, user, now, zone),
            lambda: self.goal_progress(goals, now))
        metrics = tally.metrics()
        if before is not None:
            metrics["previous"] = before.metrics()
        return Dashboard(
            metrics=metrics,
            by_responsible=tally.by_responsible(names),
            by_type=tally.by_type_frame(),
            by_opportunity=by_opportunity,
            over_time=series,
            ageing=tally.ageing_frame(names),
            comparison=tally.comparison(names),
            granularity=granularity,
            goals=progress,
        )

    def _names(self) -> dict:
        return dict(self.db.query("SELECT id, name FROM users"))

    # --------------------------------------------------------- goals

    def goal_periods(self, now: datetime) -> dict[str, tuple[date, date]]:
        """The week (Monday on) and the month that ``now`` is in, in the team's calendar (the
        rollups' zone), as [first day, day after the last)."""
        today = times.to_local(now, self._rollup_zone or rollups.zone_of(self.db.cursor())).date()
        monday, first = today - timedelta(days=today.weekday()), today.replace(day=1)
        return {"Semana": (monday, monday + timedelta(days=7)),
                "Mes": (first, (first + timedelta(days=32)).replace(day=1))}

    def goal_progress(self, goals: list[Goal], now: datetime) -> pd.DataFrame:
        """Each goal beside what its user completed of its measure in its current period,
        counted by the day each item was completed (the rollups' COMPLETED days; ``items``
        without rollups). ``goals`` are what the viewer may see (``Store.goals``)."""
        columns = ["user_id", "Responsable", "Periodo", "Meta", "Objetivo", "Realizadas", "Avance"]
        if not goals:
            return pd.DataFrame(columns=columns)
        spans = self.goal_periods(now)
        done = self._completed_in(sorted({g.user_id for g in goals}), spans)
        rows = []
        for goal in goals:
            labels = GOAL_TYPES[goal.measure]
            count = sum(done.get((goal.user_id, goal.period, label), 0) for label in labels)
            rows.append((goal.user_id, goal.user_name, goal.period, goal.measure, goal.target, count,
                         count / goal.target))
        return pd.DataFrame(rows, columns=columns)

    @staticmethod
    def goal_leaderboard(progress: pd.DataFrame) -> pd.DataFrame:
        """Per user and period: goals met of goals set and the mean progress (each goal's
        capped at 100 %), best first."""
        if progress.empty:
            return pd.DataFrame(columns=["Responsable", "Periodo", "Metas cumplidas", "Avance"])
        frame = progress.assign(met=progress["Realizadas"] >= progress["Objetivo"],
                                capped=progress["Avance"].clip(upper=1.0))
        board = frame.groupby(["user_id", "Responsable", "Periodo"], sort=False).agg(
            met=("met", "sum"), goals=("met", "size"), Avance=("capped", "mean")).reset_index()
        board["Metas cumplidas"] = [f"{met} de {goals}" for met, goals in zip(board["met"], board["goals"])]
        board = board.sort_values(["Periodo", "Avance", "met", "Responsable"], ascending=[False, False, False, True])
        return board[["Responsable", "Periodo", "Metas cumplidas", "Avance"]].reset_index(drop=True)

    def _completed_in(self, user_ids: list[int], spans: dict[str, tuple[date, date]]) -> dict[tuple, int]:
        """(user, period, type label) -> items completed in the period's days."""
        first, end = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
        found: dict[tuple, int] = {}
        if self.use_rollups:
            measures = [f"done_{key}" for key in rollups.TYPES.values()]
            sums, values = [], []
            for start, stop in spans.values():
                for key in rollups.TYPES.values():
                    sums.append(f"sum(CASE WHEN r.day >= ? AND r.day < ? THEN r.done_{key} ELSE 0 END)")
                    values += [start, stop]
            rows = self.db.query(
                f"""SELECT r.responsible_id, {', '.join(sums)} FROM {rollups.source('rollup_team', measures)} r
                    WHERE r.basis = ? AND r.day >= ? AND r.day < ? AND {one_of('r.responsible_id', user_ids)}
                    GROUP BY r.responsible_id""",  # sql-ok: our names, placeholders
                [*values, rollups.COMPLETED, first, end, *user_ids])
            for user_id, *counts in rows:
                cells = iter(counts)
                for period in spans:
                    for label in rollups.TYPES:
                        found[(user_id, period, label)] = int(next(cells) or 0)
            return found
        zone = self._rollup_zone or rollups.zone_of(self.db.cursor())
        day = self.db.operations.local_day("i.completed_at", zone)
        rows = self.db.query(
            f"""SELECT i.responsible_id, {rollups.TYPE}, {day} AS day, count(*) FROM items i
                WHERE i.status = 'Realizada' AND {one_of('i.responsible_id', user_ids)}
                  AND i.completed_at >= ? AND i.completed_at < ? GROUP BY 1, 2, 3""",  # sql-ok: fixed fragments
            [*user_ids, times.to_db(times.start_of_day(first, zone)), times.to_db(times.start_of_day(end, zone))])
        for user_id, label, completed_on, count in rows:
            for period, (start, stop) in spans.items():
                if start <= completed_on < stop:
                    found[(user_id, period, label)] = found.get((user_id, period, label), 0) + count
        return found


# The Tablero's reads run in lanes side by side: DuckDB plans and runs a query without holding
# the GIL, and for the small queries of a filtered view planning is most of the time.
_READERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="escala-reader")
_reader = threading.local()


def together(*calls: Callable[[], object]) -> list:
    """Each call's result: the first runs in the caller's thread, the others at once on the
    readers' threads (each on its own cursor: ``Database.cursor`` is per thread); the first
    error is raised. Called from a reader, the calls run one after another (a reader never
    waits for another, so a busy pool cannot deadlock)."""
    if getattr(_reader, "busy", False) or len(calls) < 2:
        return [call() for call in calls]
    futures = [_READERS.submit(_as_reader, call) for call in calls[1:]]
    first = calls[0]()
    return [first, *(future.result() for future in futures)]


def _as_reader(call: Callable[[], object]) -> object:
    _reader.busy = True
    return call()


@dataclass(frozen=True)
class Chosen:
    """Which measure columns the type and state filters keep (rollup rows hold them all)."""

    types: tuple[str, ...]  # labels of TYPE_LABELS
    pending: bool  # pending items count ...
    late_only: bool  # ... only those already late (Vencida without Pendiente)
    done: bool

    @classmethod
    def of(cls, filters: Filters) -> Chosen:
        kind = KINDS[filters.kind]
        types = [t for t in TYPE_LABELS if kind is None or (t == "Tarea") == (kind is Kind.TASK)]
        if filters.types:
            types = [t for t in types if t in filters.types]
        states = set(filters.states) or set(STATES)
        pending = bool(states & {"Pendiente", "Vencida"})
        return cls(tuple(types), pending, pending and "Pendiente" not in states, "Realizada" in states)

    def completion(self) -> list[str]:
        """Suffixes of the on-time and days-to-complete measures to read: every type's at once
        when no type is left out."""
        if not self.done:
            return []
        return ["all"] if len(self.types) == len(TYPE_LABELS) else [rollups.TYPES[t] for t in self.types]

    def columns(self) -> list[str]:
        """The rollup measures these filters need."""
        suffixes = [rollups.TYPES[t] for t in self.types]
        return ([f"pending_{s}" for s in suffixes if self.pending] + [f"done_{s}" for s in suffixes if self.done]
                + [f"{m}_{s}" for s in self.completion() for m in ("on_time", "done_days")])


def _with_names(top_sql: str) -> str:
    """``top_sql``'s (opportunity_id, n) rows, in its order, as (id, name, stage)."""
    return (f"SELECT t.opportunity_id, o.name, o.stage::VARCHAR FROM ({top_sql}) t "  # sql-ok: our SQL
            "JOIN opportunities o ON o.id = t.opportunity_id ORDER BY t.n DESC, t.opportunity_id")


def _whole_today(split: DaySplit) -> DaySplit:
    """For counts that do not depend on "now": today's rollup keys are whole when it is the
    only partial day."""
    return replace(split, partial=()) if split.partial == (split.today,) else split


def _periods(days: list[tuple], filters: Filters) -> tuple[pd.DataFrame, str]:
    """(series, day, count) rows -> period, series, count per day, week (from Monday) or
    month, by the length of the range (or of the data, without one)."""
    columns = ["period", "series", "count"]
    if not days:
        return pd.DataFrame(columns=columns), "day"
    first = filters.date_from or min(day for _, day, _ in days)
    last = filters.date_to or max(day for _, day, _ in days)
    granularity = "day" if (last - first).days <= 62 else "week" if (last - first).days <= 370 else "month"
    start = {"day": lambda d: d, "week": lambda d: d - timedelta(days=d.weekday()),
             "month": lambda d: d.replace(day=1)}[granularity]
    sums: dict[tuple[date, str], int] = {}
    for series, day, count in days:
        key = (start(day), series)
        sums[key] = sums.get(key, 0) + count
    keys = sorted(sums)
    return pd.DataFrame({"period": np.array([period for period, _ in keys], dtype="datetime64[ns]"),
                         "series": [series for _, series in keys],
                         "count": np.array([sums[k] for k in keys], dtype=np.int64)}), granularity


def _person(names: dict, responsible_id: int) -> str:
    """0 stands for "Sin asignar" (as in the filters)."""
    return UNASSIGNED if responsible_id == 0 else names.get(int(responsible_id), f"Usuario {int(responsible_id)}")


COMPARISON_COLUMNS = ["Responsable", "Pendientes", "Realizadas", "Vencidas", "% a tiempo",
                      "Promedio de días para completar"]


@dataclass
class Tally:
    """Counts in the three disjoint states (*Por vencer*, *Vencida*, *Realizada*) of the chosen
    types, summed from rollup rows and item rows by responsible and age with numpy: a few
    thousand rows, where pandas or a Python loop would cost more than the query."""

    chosen: Chosen
    people: dict[int, dict[str, int]] = field(default_factory=dict)  # responsible_id -> state -> count
    types: dict[tuple[str, str], int] = field(default_factory=dict)  # (type, state) -> count
    ageing: dict[tuple[int, str], int] = field(default_factory=dict)  # (responsible_id, bucket) -> late items
    done: dict[int, list[int]] = field(default_factory=dict)  # responsible_id -> [done, on time, days to complete]

    @classmethod
    def of(cls, chosen: Chosen, columns: list[str], rollup_rows: np.ndarray, item_rows: list[tuple]) -> Tally:
        """``rollup_rows``: (responsible_id, age, *columns) as ``Chosen.columns`` lists them;
        ``item_rows``: (responsible_id, age, type, Estatus, count, done on time, days to complete).
        Both become one matrix of responsible_id, age, pending per type, done per type, on
        time, days to complete."""
        k = len(chosen.types)
        at = {name: n + 2 for n, name in enumerate(columns)}
        matrix = np.zeros((len(rollup_rows) + len(item_rows), 4 + 2 * k), dtype=np.int64)
        if len(rollup_rows):
            block = matrix[:len(rollup_rows)]
            block[:, :2] = rollup_rows[:, :2]
            for n, label in enumerate(chosen.types):
                for offset, measure in ((2, "pending"), (2 + k, "done")):
                    if f"{measure}_{rollups.TYPES[label]}" in at:
                        block[:, offset + n] = rollup_rows[:, at[f"{measure}_{rollups.TYPES[label]}"]]
            for suffix in chosen.completion():
                block[:, 2 + 2 * k] += rollup_rows[:, at[f"on_time_{suffix}"]]
                block[:, 3 + 2 * k] += rollup_rows[:, at[f"done_days_{suffix}"]]
        for row, (person, age, label, status, n, on_time, days) in enumerate(item_rows, start=len(rollup_rows)):
            matrix[row, :2] = person, age
            if label in chosen.types:
                column = chosen.types.index(label)
                if status == "Realizada":
                    matrix[row, [2 + k + column, 2 + 2 * k, 3 + 2 * k]] = n, on_time, days
                else:
                    matrix[row, 2 + column] = n
        return cls(chosen)._count(matrix)

    def _count(self, matrix: np.ndarray) -> Tally:
        chosen, k = self.chosen, len(self.chosen.types)
        person, age = matrix[:, 0], matrix[:, 1]
        late = age > 0
        pending = matrix[:, 2:2 + k] * (late[:, None] if chosen.late_only else 1) * chosen.pending
        done = matrix[:, 2 + k:2 + 2 * k] * chosen.done
        ids, group = np.unique(person, return_inverse=True)

        def by_person(values: np.ndarray, rows=slice(None)) -> np.ndarray:
            return np.bincount(group[rows], weights=values[rows], minlength=len(ids)).round().astype(np.int64)

        waiting, overdue = (pending * ~late[:, None]).sum(axis=1), (pending * late[:, None]).sum(axis=1)
        finished = done.sum(axis=1)
        states = {ON_TIME: by_person(waiting), "Vencida": by_person(overdue), "Realizada": by_person(finished)}
        completion = [by_person(finished), by_person(matrix[:, 2 + 2 * k] * chosen.done),
                      by_person(matrix[:, 3 + 2 * k] * chosen.done)]
        for n, key in enumerate(ids.tolist()):
            counts = {state: int(values[n]) for state, values in states.items()}
            if any(counts.values()):
                self.people[key] = counts
            if completion[0][n]:
                self.done[key] = [int(values[n]) for values in completion]
        for n, label in enumerate(chosen.types):
            for state, values in ((ON_TIME, pending[:, n] * ~late), ("Vencida", pending[:, n] * late),
                                  ("Realizada", done[:, n])):
                self.types[(label, state)] = int(values.sum())
        for bucket, name in enumerate(AGE_BUCKETS, start=1):
            counts = by_person(overdue, age == bucket)
            self.ageing.update({(key, name): int(count) for key, count in zip(ids.tolist(), counts) if count})
        return self

    @staticmethod
    def _add(counts: dict, key, value: int) -> None:
        counts[key] = counts.get(key, 0) + value

    def metrics(self) -> dict:
        pending = sum(c[ON_TIME] + c["Vencida"] for c in self.people.values())
        done = sum(c["Realizada"] for c in self.people.values())
        total = pending + done
        return {"Pendientes": pending, "Realizadas": done, "Vencidas": sum(self.ageing.values()),
                "% completado": round(100 * done / total, 1) if total else None}

    def by_responsible(self, names: dict) -> pd.DataFrame:
        """Top 15 people by pending work (then done), then "Otros" (``responsible_id``
        OTHERS_KEY), then "Sin asignar" (0); one row per state."""
        columns = ["responsible", "responsible_id", "state", "count"]
        if not self.people:
            return pd.DataFrame(columns=columns)
        people = sorted((p for p in self.people if p != 0),
                        key=lambda p: (-(self.people[p][ON_TIME] + self.people[p]["Vencida"]),
                                       -self.people[p]["Realizada"], p))
        shown = [(_person(names, p), p, self.people[p]) for p in people[:TOP]]
        if len(people) > TOP:
            shown.append((OTHERS, OTHERS_KEY, {state: sum(self.people[p][state] for p in people[TOP:])
                                               for state in CHART_STATES}))
        if 0 in self.people:
            shown.append((UNASSIGNED, 0, self.people[0]))
        return pd.DataFrame([(name, key, state, counts[state]) for name, key, counts in shown
                             for state in CHART_STATES], columns=columns)

    def by_type_frame(self) -> pd.DataFrame:
        return pd.DataFrame([(label, state, self.types.get((label, state), 0))
                             for label in TYPE_LABELS for state in CHART_STATES], columns=["type", "state", "count"])

    def ageing_frame(self, names: dict) -> pd.DataFrame:
        by_name: dict[tuple[str, str], int] = {}
        for (person, bucket), count in self.ageing.items():
            self._add(by_name, (_person(names, person), bucket), count)
        return pd.DataFrame([(name, bucket, count) for (name, bucket), count in sorted(by_name.items())],
                            columns=["responsible", "bucket", "count"])

    def comparison(self, names: dict) -> pd.DataFrame:
        """Per responsible: pending, done, overdue, % done on time, mean whole days to complete."""
        if not self.people:
            return pd.DataFrame(columns=COMPARISON_COLUMNS)
        nan = float("nan")
        rows = []
        for person, counts in self.people.items():
            done, on_time, days = self.done.get(person, (0, 0, 0))
            rows.append((_person(names, person), counts[ON_TIME] + counts["Vencida"], counts["Realizada"],
                         counts["Vencida"], round(100 * on_time / done, 1) if done else nan,
                         round(days / done, 1) if done else nan))
        rows.sort(key=lambda row: (-row[1], row[0]))
        return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
