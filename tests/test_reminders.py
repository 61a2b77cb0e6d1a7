"""Reminders inside the app: due from some minutes before an item's time until that time
passes, announced once, re-armed when the item moves; the user's default; series keep them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from escala.domain import ResponsibleMode, ValidationError
from escala.recurrence import Frequency, RecurrenceDraft
from tests.conftest import activity, task

# the clock fixture: Monday 2 March 2026, 15:00 UTC = 09:00 in Mexico City
AT_TEN = datetime(2026, 3, 2, 10, 0)  # an hour ahead, Mexico City's wall clock


def due_names(store, user, clock) -> list[str]:
    return [item.name for item, _ in store.reminders_due(user, clock())]


def test_a_reminder_is_due_from_its_minutes_before_until_the_items_time(store, world, clock):
    store.create_item(world.ana, task(world.ana_contact, name="Llamar a las 10", start=AT_TEN, reminder_minutes=15))
    assert due_names(store, world.ana, clock) == []  # 09:00: its reminder is at 09:45
    clock.now += timedelta(minutes=45)
    assert due_names(store, world.ana, clock) == ["Llamar a las 10"]
    store.take_reminders(world.ana, clock())
    clock.now += timedelta(minutes=15, seconds=1)
    assert due_names(store, world.ana, clock) == []  # announced, and overdue now: the bell counts it as Vencida
    assert store.count_overdue(world.ana, clock()) == 1


def test_a_reminder_at_the_time_still_fires_once_for_a_while_after(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact, start=AT_TEN, reminder_minutes=0))
    assert store.take_reminders(world.ana, clock()) == []
    clock.now += timedelta(minutes=61)  # its time passed a minute ago, nobody had the app open
    assert [i.id for i in store.take_reminders(world.ana, clock())] == [item.id]
    assert store.take_reminders(world.ana, clock()) == []
    late = store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 2, 8, 0), reminder_minutes=0))
    clock.now += timedelta(hours=2)
    assert late.id not in [i.id for i in store.take_reminders(world.ana, clock())]  # long past: only Vencida


def test_a_reminder_fires_once_and_again_after_the_item_moves(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact, start=AT_TEN, reminder_minutes=60))
    assert [i.id for i in store.take_reminders(world.ana, clock())] == [item.id]
    assert store.take_reminders(world.ana, clock()) == []  # once, in whichever tab asks first
    assert [shown for _, shown in store.reminders_due(world.ana, clock())] == [True]
    store.reschedule(world.ana, item.id, datetime(2026, 3, 2, 9, 30), "America/Mexico_City")
    assert [i.id for i in store.take_reminders(world.ana, clock())] == [item.id]


def test_only_the_responsible_hears_it_and_not_once_done(store, world, clock):
    mine = store.create_item(world.ana, task(world.ana_contact, name="De Ana", start=AT_TEN, reminder_minutes=60))
    store.create_item(world.admin, task(world.ana_contact, name="De Bruno", start=AT_TEN, reminder_minutes=60,
                                        responsible_mode=ResponsibleMode.USER, responsible_id=world.bruno.id))
    assert due_names(store, world.ana, clock) == ["De Ana"] and due_names(store, world.bruno, clock) == ["De Bruno"]
    store.complete_item(world.ana, mine.id)
    assert due_names(store, world.ana, clock) == []


def test_an_edit_keeps_changes_or_removes_the_reminder_and_says_so_in_the_audit(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact, start=AT_TEN, reminder_minutes=1440))
    assert item.reminder_minutes == 1440
    item = store.update_item(world.ana, item.id, task(world.ana_contact, start=AT_TEN, reminder_minutes=0),
                             expected=item)
    assert item.reminder_minutes == 0
    item = store.update_item(world.ana, item.id, task(world.ana_contact, start=AT_TEN), expected=item)
    assert item.reminder_minutes is None and due_names(store, world.ana, clock) == []
    assert [e.changes.get("reminder_minutes") for e in store.audit_trail(world.ana, "item", item.id)] == \
        [[None, 1440], [1440, 0], [0, None]]


@pytest.mark.parametrize("minutes", [5, -15, "15", True, 15.5])
def test_a_reminder_not_offered_is_refused_in_spanish(store, world, minutes):
    with pytest.raises(ValidationError) as refused:
        store.create_item(world.ana, task(world.ana_contact, reminder_minutes=minutes))
    assert "Recordatorio no válido" in refused.value.errors["reminder"]


def test_each_user_chooses_the_default_their_new_items_start_from(store, world):
    assert world.ana.reminder_minutes == 15  # as the .ics files had
    ana = store.set_reminder_default(world.ana, 60)
    assert ana.reminder_minutes == 60 and store.get_user(world.ana.id).reminder_minutes == 60
    ana = store.set_reminder_default(ana, None)
    assert store.get_user(world.ana.id).reminder_minutes is None
    with pytest.raises(ValidationError):
        store.set_reminder_default(ana, 30)
    assert [e.changes for e in store.audit_trail(world.admin, "user", world.ana.id)][-2:] == \
        [{"reminder_minutes": [15, 60]}, {"reminder_minutes": [60, None]}]


def test_each_occurrence_of_a_series_carries_the_reminder(store, world, clock):
    first = store.create_item(world.ana, activity(world.ana_contact, reminder_minutes=60),
                              RecurrenceDraft(Frequency.DAILY, count=2))
    store.complete_item(world.ana, first.id)
    second = store.list_items(world.ana, contact_id=world.ana_contact, order="due")[-1]
    assert second.id != first.id and second.reminder_minutes == 60


def test_deleting_and_restoring_an_item_keeps_its_reminder(store, world, db):
    item = store.create_item(world.ana, task(world.ana_contact, reminder_minutes=15))
    store.delete_item(world.ana, item.id)
    assert db.query_one("SELECT count(*) FROM reminders") == (0,)
    assert store.restore_item(world.ana, item.id).reminder_minutes == 15
