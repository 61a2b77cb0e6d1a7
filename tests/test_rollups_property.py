"""Property: on random data and random filters, the Tablero computed from the rollups (plus the
partial days from items) equals the Tablero computed from the items alone, to the item, for
every role and for time zones that do and do not share the rollup zone's midnights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escala import demo, rollups
from escala.analytics import STATES, Analytics, Filters
from escala.db import open_database
from escala.domain import ActivityType, Stage, Status
from escala.store import Store
from tests.conftest import activity, task

TODAY = date(2026, 3, 2)
ZONES = ["America/Mexico_City", "UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Pacific/Auckland"]


@pytest.fixture(scope="module")
def world(shared_location):
    db = open_database(shared_location("property"))
    db.migrate()
    demo.seed(db, demo.DemoSize(users=8, contacts=40, activities=500, tasks=400, seed=21, today=TODAY))
    store = Store(db)
    admin = store.get_user(1)
    store.reassign_contact(admin, 3, 4)  # owner-mode items follow a new owner
    store.set_status(admin, range(1, 60), Status.DONE)  # written after seeding, as contributions
    store.set_status(admin, range(30, 45), Status.PENDING)
    for hour in range(0, 24, 3):  # pending work due through today, late or not depending on the hour
        for contact_id, kind in ((1, "tarea"), (2, "Llamada"), (5, "Reunión")):
            due = datetime(2026, 3, 2, hour, 30)
            draft = (task(contact_id, start=due) if kind == "tarea" else
                     activity(contact_id, start=due - timedelta(minutes=30), end=due, activity_type=kind))
            store.create_item(admin, draft)
    yield db, store
    db.close()


def frames(board) -> dict:
    tidy = {}
    for name in ("by_responsible", "by_type", "ageing", "comparison", "by_opportunity", "over_time"):
        frame = getattr(board, name)
        tidy[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True) if len(frame) else frame
    return tidy


filters_strategy = st.builds(
    Filters,
    date_from=st.one_of(st.none(), st.dates(TODAY - timedelta(days=200), TODAY + timedelta(days=60))),
    date_to=st.none(),
    kind=st.sampled_from(["ambas", "actividades", "tareas"]),
    types=st.lists(st.sampled_from([t.value for t in ActivityType]), max_size=2, unique=True).map(tuple),
    states=st.lists(st.sampled_from(STATES), max_size=2, unique=True).map(tuple),
    responsible_ids=st.lists(st.integers(0, 8), max_size=2, unique=True).map(tuple),
    owner_ids=st.lists(st.integers(3, 8), max_size=2, unique=True).map(tuple),
    stages=st.lists(st.sampled_from([s.value for s in Stage]), max_size=2, unique=True).map(tuple),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=filters_strategy, length=st.integers(0, 120), user_id=st.sampled_from([1, 2, 3, 5]),
       zone=st.sampled_from(ZONES), minutes=st.integers(0, 24 * 60 - 1),
       soon=st.sampled_from([-3, -1, 0, 1, 3]))
def test_the_tablero_from_rollups_equals_the_tablero_from_items(world, filters, length, user_id, zone, minutes, soon):
    db, store = world
    with db.transaction() as cursor:  # today's late items from rollups.SOON (made within a day of today) or items
        rollups.refresh_soon(cursor, TODAY + timedelta(days=soon))
    if filters.date_from is not None:
        filters = Filters(filters.date_from, filters.date_from + timedelta(days=length), filters.kind, filters.types,
                          filters.states, filters.responsible_ids, filters.owner_ids, filters.stages)
    user = store.get_user(user_id)
    now = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=minutes)
    fast = Analytics(db).dashboard(filters, user, now, zone)
    reference = Analytics(db, use_rollups=False).dashboard(filters, user, now, zone)
    assert fast.metrics == reference.metrics and fast.granularity == reference.granularity
    for name, frame in frames(fast).items():
        pd.testing.assert_frame_equal(frame, frames(reference)[name], check_dtype=False, check_index_type=False)


@pytest.mark.parametrize("soon", [-3, -1, 0, 1, 3])
@pytest.mark.parametrize("user_id", [1, 3])
def test_todays_late_items_count_alike_whatever_day_soon_was_made_for(world, soon, user_id):
    db, store = world
    with db.transaction() as cursor:
        rollups.refresh_soon(cursor, TODAY + timedelta(days=soon))
    user, now = store.get_user(user_id), datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 14:00 in Mexico City
    fast = Analytics(db).dashboard(Filters(), user, now, "America/Mexico_City")
    reference = Analytics(db, use_rollups=False).dashboard(Filters(), user, now, "America/Mexico_City")
    assert fast.metrics == reference.metrics
    pd.testing.assert_frame_equal(frames(fast)["ageing"], frames(reference)["ageing"], check_dtype=False)
    late_today = db.query_one("SELECT count(*) FROM items WHERE status = 'Pendiente' AND due_at >= ? AND due_at < ?",
                              [datetime(2026, 3, 2, 6, 0), datetime(2026, 3, 2, 20, 0)])[0]
    assert late_today >= 15  # what the SOON path counts is there to be counted
