"""Goals per rep: set by administrators only; progress counted by the day each item was
completed, in the current week or month of the team's calendar, the same from the rollups as
from the items; a leaderboard; a seller sees only their own."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from escala.analytics import Analytics, Filters
from escala.domain import PermissionDenied, ValidationError
from tests.conftest import activity, task

MEXICO = "America/Mexico_City"  # the rollups' zone in tests; the clock: Monday 2 March 2026


def complete_at(store, user, draft, moment: datetime, clock) -> None:
    """Create ``draft`` and mark it done at ``moment`` (UTC)."""
    item = store.create_item(user, draft)
    clock.now = moment
    store.complete_item(user, item.id)


@pytest.fixture
def scored(store, world, clock):
    """Ana's goals and what she completed around the week of Monday 2 March; now: Wednesday 4."""
    admin, ana = world.admin, world.ana
    store.set_goal(admin, ana.id, "Semana", "Llamada", 2)
    store.set_goal(admin, ana.id, "Semana", "Actividades", 3)
    store.set_goal(admin, ana.id, "Mes", "Tareas", 3)
    store.set_goal(admin, world.bruno.id, "Semana", "Actividades", 1)
    complete_at(store, ana, task(world.ana_contact), datetime(2026, 2, 27, 18, 0, tzinfo=UTC), clock)  # February
    complete_at(store, ana, task(world.ana_contact), datetime(2026, 3, 1, 18, 0, tzinfo=UTC), clock)  # Sunday: March
    complete_at(store, ana, activity(world.ana_contact), datetime(2026, 3, 2, 16, 0, tzinfo=UTC), clock)  # a Llamada
    complete_at(store, ana, activity(world.ana_contact, activity_type="Reunión"),
                datetime(2026, 3, 3, 16, 0, tzinfo=UTC), clock)
    complete_at(store, world.bruno, activity(world.bruno_contact), datetime(2026, 3, 2, 5, 0, tzinfo=UTC), clock)
    clock.now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    return world


def test_progress_counts_by_the_day_each_item_was_completed(store, scored, clock, db):
    progress = Analytics(db).goal_progress(store.goals(scored.admin), clock())
    assert list(progress[["Responsable", "Periodo", "Meta", "Objetivo", "Realizadas"]].itertuples(index=False)) == [
        ("Ana Vendedora", "Semana", "Actividades", 3, 2),
        ("Ana Vendedora", "Semana", "Llamada", 2, 1),
        ("Ana Vendedora", "Mes", "Tareas", 3, 1),  # Sunday 1 March, not 27 February
        ("Bruno Vendedor", "Semana", "Actividades", 1, 0)]  # 05:00 UTC on Monday is 23:00 on Sunday there


def test_the_rollups_and_the_items_count_goals_alike(store, scored, clock, db):
    goals = store.goals(scored.admin)
    from_rollups = Analytics(db).goal_progress(goals, clock())
    pd.testing.assert_frame_equal(from_rollups, Analytics(db, use_rollups=False).goal_progress(goals, clock()))


def test_the_leaderboard_puts_who_is_furthest_along_first(store, scored, clock, db):
    board = Analytics.goal_leaderboard(Analytics(db).goal_progress(store.goals(scored.admin), clock()))
    weekly = board[board["Periodo"] == "Semana"]
    assert list(weekly["Responsable"]) == ["Ana Vendedora", "Bruno Vendedor"]
    assert list(weekly["Metas cumplidas"]) == ["0 de 2", "0 de 1"]
    assert weekly["Avance"].iloc[0] == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_the_tablero_carries_the_progress_of_the_goals_it_is_given(store, scored, clock, db):
    board = Analytics(db).dashboard(Filters(), scored.admin, clock(), MEXICO, tuple(store.goals(scored.admin)))
    assert len(board.goals) == 4
    assert Analytics(db).dashboard(Filters(), scored.admin, clock(), MEXICO).goals.empty


def test_a_seller_sees_only_their_own_goals(store, scored):
    assert {g.user_name for g in store.goals(scored.ana)} == {"Ana Vendedora"}
    assert {g.user_name for g in store.goals(scored.carla)} == {"Ana Vendedora", "Bruno Vendedor"}


def test_only_administrators_set_goals(store, world):
    for someone in (world.ana, world.carla):
        with pytest.raises(PermissionDenied):
            store.set_goal(someone, world.ana.id, "Semana", "Llamada", 5)
    assert store.goals(world.admin) == []


@pytest.mark.parametrize("period, measure, target, field", [
    ("Año", "Llamada", 5, "period"), ("Semana", "Cenas", 5, "measure"), ("Semana", "Llamada", 0, "target"),
    ("Semana", "Llamada", 100_001, "target"), ("Semana", "Llamada", 2.5, "target"), ("Semana", "Llamada", True, "target"),
])
def test_a_bad_goal_is_refused_on_its_field(store, world, period, measure, target, field):
    with pytest.raises(ValidationError) as refused:
        store.set_goal(world.admin, world.ana.id, period, measure, target)
    assert list(refused.value.errors) == [field]


def test_goals_are_for_people_who_can_do_the_work(store, world):
    with pytest.raises(ValidationError) as refused:
        store.set_goal(world.admin, world.carla.id, "Semana", "Llamada", 5)  # an analyst
    assert list(refused.value.errors) == ["user"]


def test_a_goal_changes_and_goes_audited(store, world):
    store.set_goal(world.admin, world.ana.id, "Mes", "Tareas", 10)
    store.set_goal(world.admin, world.ana.id, "Mes", "Tareas", 12)
    assert [g.target for g in store.goals(world.admin)] == [12]
    store.set_goal(world.admin, world.ana.id, "Mes", "Tareas", None)
    assert store.goals(world.admin) == []
    changes = [e.changes for e in store.audit_trail(world.admin, "user", world.ana.id)][-3:]
    assert changes == [{"meta Tareas por mes": [None, 10]}, {"meta Tareas por mes": [10, 12]},
                       {"meta Tareas por mes": [12, None]}]
