"""Every Tablero aggregate against an independent pandas computation over the raw rows,
on seeded random data, across filters, time zones, roles and a contact owner change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from escala import demo
from escala.analytics import ON_TIME, OTHERS_KEY, AGE_BUCKETS, OTHERS, UNASSIGNED, Analytics, Filters, Selection
from escala.db import BaseDatabase, open_database
from escala.store import Store

NOW = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module", params=[11, 12])
def world(request, shared_location):
    """Random demo data (20 users, so the top 15 leaves "Otros"), then two contacts change owner."""
    db = open_database(shared_location("analytics"))
    db.migrate()
    demo.seed(db, demo.DemoSize(users=20, contacts=60, activities=700, tasks=500, seed=request.param, today=TODAY))
    store = Store(db)
    admin = store.get_user(1)
    store.reassign_contact(admin, 1, 5)
    store.reassign_contact(admin, 2, 6)
    yield db, store, Analytics(db)
    db.close()


def raw(db: BaseDatabase) -> pd.DataFrame:
    """Items with the responsible re-derived from the *contacts* table (not the stored column)."""
    items = db.cursor().execute("SELECT * FROM items").df()
    owners = db.cursor().execute("SELECT id AS contact_id, owner_id FROM contacts").df()
    stages = db.cursor().execute("SELECT id AS opportunity_id, stage::VARCHAR AS stage FROM opportunities").df()
    items = items.merge(owners, on="contact_id").merge(stages, on="opportunity_id", how="left")
    stored = items["responsible_id"]
    items["who"] = np.where(items["responsible_mode"] == "Dueño del contacto", items["owner_id"],
                            np.where(items["responsible_mode"] == "No asignar", np.nan, stored))
    items["who"] = items["who"].fillna(0).astype(int)
    now = NOW.replace(tzinfo=None)
    items["state"] = np.where(items["status"] == "Realizada", "Realizada",
                              np.where(items["due_at"] < now, "Vencida", ON_TIME))
    items["type"] = items["activity_type"].astype(object).fillna("Tarea")
    return items


def local(series: pd.Series, zone: str) -> pd.Series:
    return series.dt.tz_localize("UTC").dt.tz_convert(zone)


def in_range(frame: pd.DataFrame, filters: Filters, zone: str) -> pd.DataFrame:
    days = local(frame["due_at"], zone).dt.date
    keep = pd.Series(True, index=frame.index)
    if filters.date_from:
        keep &= days >= filters.date_from
    if filters.date_to:
        keep &= days <= filters.date_to
    return frame[keep]


def apply(frame: pd.DataFrame, filters: Filters, zone: str, dated: bool = True) -> pd.DataFrame:
    if dated:
        frame = in_range(frame, filters, zone)
    if filters.kind != "ambas":
        frame = frame[frame["kind"] == ("Actividad" if filters.kind == "actividades" else "Tarea")]
    if filters.types:
        frame = frame[frame["activity_type"].isin(filters.types)]
    if filters.states:
        wanted = set(filters.states) | ({ON_TIME, "Vencida"} if "Pendiente" in filters.states else set())
        frame = frame[frame["state"].isin(wanted)]
    if filters.responsible_ids:
        frame = frame[frame["who"].isin(filters.responsible_ids)]
    if filters.owner_ids:
        frame = frame[frame["owner_id"].isin(filters.owner_ids)]
    if filters.stages:
        frame = frame[frame["stage"].isin(filters.stages)]
    return frame


FILTERS = [
    Filters(),
    Filters(date_from=TODAY - timedelta(days=29), date_to=TODAY),
    Filters(kind="tareas", states=("Vencida",)),
    Filters(kind="actividades", types=("Llamada", "Reunión"), states=("Pendiente",)),
    Filters(responsible_ids=(5, 0)),
    Filters(owner_ids=(6, 7), states=("Realizada",)),
    Filters(stages=("Propuesta", "Negociación"), date_from=TODAY - timedelta(days=90), date_to=TODAY + timedelta(days=30)),
]
ZONES = ["America/Mexico_City", "America/New_York", "Asia/Kolkata"]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f.to_query()) or "todo")
@pytest.mark.parametrize("zone", ZONES)
def test_counts_by_state_type_and_responsible_match_pandas(world, filters, zone):
    db, store, analytics = world
    board = analytics.dashboard(filters, store.get_user(1), NOW, zone)
    rows = apply(raw(db), filters, zone)

    expected_types = rows.groupby(["type", "state"]).size()
    got_types = board.by_type.set_index(["type", "state"])["count"]
    assert got_types[got_types > 0].sort_index().to_dict() == expected_types.sort_index().to_dict()

    metrics = board.metrics
    assert metrics["Pendientes"] == int((rows["status"] == "Pendiente").sum())
    assert metrics["Realizadas"] == int((rows["status"] == "Realizada").sum())
    assert metrics["Vencidas"] == int((rows["state"] == "Vencida").sum())

    per_person = rows.groupby(["who", "state"]).size().unstack(fill_value=0).reindex(
        columns=[ON_TIME, "Vencida", "Realizada"], fill_value=0)
    comparison = board.comparison.set_index("Responsable")
    names = dict(db.query("SELECT id, name FROM users"))
    for who, counts in per_person.iterrows():
        row = comparison.loc[UNASSIGNED if who == 0 else names[who]]
        assert (row["Pendientes"], row["Realizadas"], row["Vencidas"]) == (
            counts[ON_TIME] + counts["Vencida"], counts["Realizada"], counts["Vencida"])
    assert len(comparison) == len(per_person)

    chart = board.by_responsible
    assert chart["count"].sum() == len(rows)
    people = per_person.drop(index=0, errors="ignore")
    if len(people) > 15:
        others = chart[chart["responsible"] == OTHERS]["count"].sum()
        ranked = people.rename_axis(None).assign(pending=people[ON_TIME] + people["Vencida"], who=people.index).sort_values(
            ["pending", "Realizada", "who"], ascending=[False, False, True])  # ties: more done, then lower id
        assert others == ranked.iloc[15:][[ON_TIME, "Vencida", "Realizada"]].to_numpy().sum()


@pytest.mark.parametrize("zone", ZONES)
def test_overdue_ageing_counts_calendar_days_in_the_users_zone(world, zone):
    db, store, analytics = world
    board = analytics.dashboard(Filters(), store.get_user(1), NOW, zone)
    rows = raw(db)
    late = rows[rows["state"] == "Vencida"]
    days = (local(pd.Series([NOW.replace(tzinfo=None)] * len(late), index=late.index), zone).dt.date
            - local(late["due_at"], zone).dt.date).map(lambda d: d.days)
    buckets = pd.cut(days, [-1, 7, 30, 90, 10**6], labels=list(AGE_BUCKETS))
    expected = late.assign(bucket=buckets).groupby("bucket", observed=True).size()
    got = board.ageing.groupby("bucket")["count"].sum()
    assert got.to_dict() == {k: v for k, v in expected.to_dict().items() if v}


@pytest.mark.parametrize("filters", FILTERS[:3], ids=["todo", "30 días", "tareas vencidas"])
def test_completion_rate_and_mean_days_match_pandas(world, filters):
    db, store, analytics = world
    zone = "America/Mexico_City"
    board = analytics.dashboard(filters, store.get_user(1), NOW, zone)
    done = apply(raw(db), filters, zone)
    done = done[done["status"] == "Realizada"]
    if done.empty:
        return
    days = (done["completed_at"] - done["created_at"]).dt.total_seconds() // 86400
    expected = done.assign(days=days, on_time=done["completed_at"] <= done["due_at"]).groupby("who").agg(
        days=("days", "sum"), on_time=("on_time", "sum"), done=("days", "size"))
    names = dict(db.query("SELECT id, name FROM users"))
    table = board.comparison.set_index("Responsable")
    for who, row in expected.iterrows():  # a mean is a sum over a count, rounded as Python rounds it
        got = table.loc[UNASSIGNED if who == 0 else names[who]]
        assert got["Promedio de días para completar"] == round(int(row["days"]) / int(row["done"]), 1)
        assert got["% a tiempo"] == round(100 * int(row["on_time"]) / int(row["done"]), 1)


@pytest.mark.parametrize("zone", ZONES)
def test_created_and_completed_per_period_match_pandas(world, zone):
    db, store, analytics = world
    filters = Filters(date_from=TODAY - timedelta(days=40), date_to=TODAY)
    board = analytics.dashboard(filters, store.get_user(1), NOW, zone)
    assert board.granularity == "day"
    rows = apply(raw(db), filters, zone, dated=False)
    got = board.over_time.set_index(["series", "period"])["count"]
    for series, column in (("Creadas", "created_at"), ("Realizadas", "completed_at")):
        days = local(rows[column].dropna(), zone).dt.date
        days = days[(days >= filters.date_from) & (days <= filters.date_to)]
        expected = {day: int(n) for day, n in days.value_counts().items()}
        assert {pd.Timestamp(day).date(): int(n) for day, n in got[series].items()} == expected


def test_longer_ranges_switch_to_weeks_then_months(world):
    db, store, analytics = world
    admin = store.get_user(1)
    weeks = analytics.dashboard(Filters(date_from=TODAY - timedelta(days=120), date_to=TODAY), admin, NOW, "UTC")
    months = analytics.dashboard(Filters(date_from=TODAY - timedelta(days=500), date_to=TODAY), admin, NOW, "UTC")
    assert weeks.granularity == "week" and months.granularity == "month"
    assert all(pd.Timestamp(p).weekday() == 0 for p in weeks.over_time["period"])
    assert all(pd.Timestamp(p).day == 1 for p in months.over_time["period"])
    rows = raw(db)
    created = local(rows["created_at"], "UTC").dt.date
    in_window = ((created >= TODAY - timedelta(days=500)) & (created <= TODAY)).sum()
    assert months.over_time.query("series == 'Creadas'")["count"].sum() == in_window


def test_top_opportunities_are_those_with_most_pending_work(world):
    db, store, analytics = world
    board = analytics.dashboard(Filters(), store.get_user(1), NOW, "America/Mexico_City")
    rows = raw(db).dropna(subset=["opportunity_id"])
    pending = rows[rows["status"] == "Pendiente"].groupby("opportunity_id").size()
    got = board.by_opportunity.groupby("opportunity_id")["count"].sum()
    assert len(got) == min(15, len(pending))
    cutoff = pending.sort_values(ascending=False).iloc[len(got) - 1]
    assert all(pending[o] >= cutoff for o in got.index)
    for opportunity, total in got.items():
        assert total == (rows["opportunity_id"] == opportunity).sum()


@pytest.mark.parametrize("zone", ["America/Mexico_City", "Asia/Kolkata"])
@pytest.mark.parametrize("user_id", [1, 5])
def test_the_previous_period_counts_the_same_length_just_before(world, zone, user_id):
    db, store, analytics = world
    user = store.get_user(user_id)
    filters = Filters(date_from=TODAY - timedelta(days=6), date_to=TODAY)
    board = analytics.dashboard(filters, user, NOW, zone)
    assert filters.previous() == Filters(date_from=TODAY - timedelta(days=13), date_to=TODAY - timedelta(days=7))
    rows = raw(db)
    if user_id != 1:
        rows = rows[(rows["owner_id"] == user_id) | (rows["responsible_id"] == user_id)]
    for period, metrics in ((filters, board.metrics), (filters.previous(), board.metrics["previous"])):
        expected = apply(rows, period, zone)
        assert metrics["Pendientes"] == int((expected["status"] == "Pendiente").sum())
        assert metrics["Realizadas"] == int((expected["status"] == "Realizada").sum())
        assert metrics["Vencidas"] == int((expected["state"] == "Vencida").sum())


def test_a_seller_counts_only_what_they_can_see(world):
    db, store, analytics = world
    seller = store.get_user(5)
    board = analytics.dashboard(Filters(), seller, NOW, "America/Mexico_City")
    rows = raw(db)
    visible = rows[(rows["owner_id"] == 5) | (rows["responsible_id"] == 5)]
    assert board.metrics["Pendientes"] + board.metrics["Realizadas"] == len(visible)
    assert visible["contact_id"].isin([1]).any()  # the contact reassigned to them is counted


def test_the_analyst_sees_the_same_totals_as_the_admin(world):
    db, store, analytics = world
    admin = analytics.dashboard(Filters(), store.get_user(1), NOW, "UTC").metrics
    analyst = analytics.dashboard(Filters(), store.get_user(2), NOW, "UTC").metrics
    assert admin == analyst


@pytest.mark.parametrize("filters", FILTERS)
def test_filters_survive_the_url_round_trip(filters):
    assert Filters.from_query(filters.to_query()) == filters


def test_malformed_url_parameters_are_ignored():
    query = {"date_from": "ayer", "date_to": "2026-02-30", "kind": "todo", "types": "Llamada,Fiesta",
             "responsible_ids": "3,x,;DROP", "stages": "Ganada"}
    assert Filters.from_query(query) == Filters(types=("Llamada",), responsible_ids=(3,), stages=("Ganada",))


@pytest.mark.parametrize("selection", [
    dict(responsible_id="busiest", state=ON_TIME), dict(responsible_id=0, state="Realizada"),
    dict(type="Tarea", state="Vencida"), dict(type="Llamada"),
])
def test_drill_down_lists_exactly_the_items_behind_the_bar(world, selection):
    db, store, analytics = world
    admin, zone = store.get_user(1), "America/Mexico_City"
    board = analytics.dashboard(Filters(), admin, NOW, zone)
    if selection.get("responsible_id") == "busiest":  # the top bar: someone who surely has one
        selection = {**selection, "responsible_id": int(board.by_responsible["responsible_id"].iloc[0])}
    frame, total = analytics.items_behind(Filters(), admin, NOW, zone, Selection(**selection), limit=10_000)
    if "responsible_id" in selection:
        bars = board.by_responsible[board.by_responsible["responsible_id"] == selection["responsible_id"]]
    else:
        bars = board.by_type[board.by_type["type"] == selection["type"]]
    if "state" in selection:
        bars = bars[bars["state"] == selection["state"]]
    assert total == len(frame) == bars["count"].sum()
    from escala.export import Exporter  # the drill-down's export button writes exactly these rows
    assert Exporter(db).count(Filters(), admin, NOW, zone, Selection(**selection)) == total


@pytest.mark.parametrize("state", [ON_TIME, "Vencida", "Realizada"])
def test_every_bar_of_every_clickable_chart_drills_down_to_its_count(world, state):
    """Each bar of Por responsable (the "Otros" bar included), Por tipo and Oportunidades:
    the drill-down's total is the bar's count."""
    db, store, analytics = world
    admin, zone = store.get_user(1), "America/Mexico_City"
    board = analytics.dashboard(Filters(), admin, NOW, zone)
    people = board.by_responsible[board.by_responsible["state"] == state]
    drawn = tuple(int(k) for k in board.by_responsible["responsible_id"].unique() if k != OTHERS_KEY)
    assert OTHERS_KEY in set(people["responsible_id"])  # the world has more than 15 people
    bars = [(Selection(state=state, responsible_not_in=drawn) if key == OTHERS_KEY
             else Selection(state=state, responsible_id=int(key)), count)
            for key, count in zip(people["responsible_id"], people["count"])]
    types = board.by_type[board.by_type["state"] == state]
    bars += [(Selection(state=state, type=kind), count) for kind, count in zip(types["type"], types["count"])]
    deals = board.by_opportunity[board.by_opportunity["state"] == state]
    bars += [(Selection(state=state, opportunity_id=int(key)), count)
             for key, count in zip(deals["opportunity_id"], deals["count"])]
    assert len(deals) > 0
    for selection, count in bars:
        _, total = analytics.items_behind(Filters(), admin, NOW, zone, selection, limit=1)
        assert total == count, selection


@pytest.mark.parametrize("query, ignored", [
    ({"responsible_ids": "²,3"}, ["responsible_ids"]),
    ({"owner_ids": "١٢"}, ["owner_ids"]),
    ({"date_to": "9999-12-31"}, ["date_to"]),
    ({"date_from": "0001-01-01", "date_to": "2026-03-01"}, ["date_from"]),
    ({"responsible_ids": "9" * 40}, ["responsible_ids"]),
    ({"kind": "todo"}, ["kind"]),
    ({"states": "Pendiente,Cancelada"}, ["states"]),
    ({"responsible_ids": "0,3", "date_from": "2026-03-01"}, []),
])
def test_malformed_url_values_are_ignored_and_named(query, ignored):
    filters, names = Filters.parse_query(query)
    assert names == ignored
    assert Filters.from_query(filters.to_query()) == filters  # what is left is well-formed
    assert all(f.date_from is None or f.date_from.year >= 1970 for f in [filters])


def test_tableros_drawn_at_once_agree_with_each_drawn_alone(world):
    """Each Tablero runs its reads side by side on a shared pool of readers; many sessions at
    once must neither wait on each other forever nor mix their numbers."""
    db, store, analytics = world
    cases = [(Filters(), 1), (Filters(date_from=TODAY - timedelta(days=29), date_to=TODAY), 5),
             (Filters(states=("Vencida",), responsible_ids=(3, 0)), 1), (Filters(kind="tareas"), 6)] * 3

    def draw(case):
        filters, user_id = case
        return analytics.dashboard(filters, store.get_user(user_id), NOW, "America/Mexico_City")

    alone = [draw(case) for case in cases]
    with ThreadPoolExecutor(len(cases)) as sessions:
        at_once = [future.result(timeout=120) for future in [sessions.submit(draw, case) for case in cases]]
    for one, other in zip(alone, at_once):
        assert one.metrics == other.metrics
        for name in ("by_responsible", "by_type", "by_opportunity", "over_time", "ageing", "comparison"):
            pd.testing.assert_frame_equal(getattr(one, name), getattr(other, name))
