"""Repeating activities and tasks: the rules a form can choose, and the series the store keeps
(each occurrence a real item, made when the one before is done, deleted or its time passes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from escala import times
from escala.domain import ContactDraft, Kind, PermissionDenied, ResponsibleMode, Status, ValidationError
from escala.recurrence import (
    Ending, Frequency, RecurrenceDraft, describe, draft_of, occurrence_time, validate_recurrence,
)
from tests.conftest import activity, task

NEW_YORK = "America/New_York"
WEEKLY_TUESDAY = RecurrenceDraft(Frequency.WEEKLY, (1,), ending=Ending.COUNT, count=4)


def series(store, user, contact_id: int) -> list:
    """The contact's items ``user`` sees, soonest first."""
    return store.list_items(user, contact_id=contact_id, order="due")


def local(item, zone: str) -> datetime:
    return times.to_local(item.starts_at, zone).replace(tzinfo=None)


# ---------------------------------------------------------------- rules


@pytest.mark.parametrize("draft, rule", [
    (RecurrenceDraft(Frequency.DAILY, count=5), "FREQ=DAILY;COUNT=5"),
    (RecurrenceDraft(Frequency.WEEKDAYS, ending=Ending.NEVER), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    (RecurrenceDraft(Frequency.WEEKLY, (3, 0), ending=Ending.UNTIL, until=date(2026, 6, 30)),
     "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20260630T235959"),
    (RecurrenceDraft(Frequency.MONTHLY, month_day=15, count=12), "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=12"),
    (RecurrenceDraft(Frequency.MONTHLY, month_day=31, count=3), "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1;COUNT=3"),
    (RecurrenceDraft(Frequency.EVERY_N_DAYS, interval=3, count=4), "FREQ=DAILY;INTERVAL=3;COUNT=4"),
    (RecurrenceDraft(Frequency.NONE), None),
])
def test_each_choice_is_kept_as_an_rrule_and_read_back_into_the_form(draft, rule):
    assert validate_recurrence(draft, date(2026, 3, 2)) == (rule, {})
    if rule is not None:
        assert validate_recurrence(draft_of(rule), date(2026, 3, 2)) == (rule, {})


@pytest.mark.parametrize("draft, words", [
    (RecurrenceDraft("Cada hora"), "Elige cómo se repite"),
    (RecurrenceDraft(Frequency.WEEKLY, ()), "al menos un día"),
    (RecurrenceDraft(Frequency.WEEKLY, (7,)), "al menos un día"),
    (RecurrenceDraft(Frequency.MONTHLY, month_day=32), "del 1 al 31"),
    (RecurrenceDraft(Frequency.MONTHLY, month_day=None), "del 1 al 31"),
    (RecurrenceDraft(Frequency.EVERY_N_DAYS, interval=0), "del 1 al 365"),
    (RecurrenceDraft(Frequency.EVERY_N_DAYS, interval=2.5), "del 1 al 365"),
    (RecurrenceDraft(Frequency.DAILY, count=1), "del 2 al 1,000"),
    (RecurrenceDraft(Frequency.DAILY, count=True), "del 2 al 1,000"),
    (RecurrenceDraft(Frequency.DAILY, ending=Ending.UNTIL, until=None), "fecha en que termina"),
    (RecurrenceDraft(Frequency.DAILY, ending=Ending.UNTIL, until=date(2026, 3, 2)), "posterior a la primera"),
    (RecurrenceDraft(Frequency.DAILY, ending="Algún día"), "Elige cuándo termina"),
])
def test_a_bad_rule_gets_its_spanish_message(draft, words):
    rule, errors = validate_recurrence(draft, date(2026, 3, 2))
    assert rule is None and list(errors) == ["recurrence"] and words in errors["recurrence"]


def test_occurrences_follow_the_first_even_when_its_day_is_not_the_rules():
    rule = "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4"
    first = datetime(2026, 3, 3, 9, 0)  # a Tuesday: it counts, as RFC 5545's DTSTART does
    assert [occurrence_time(rule, first, n) for n in range(1, 6)] == [
        first, datetime(2026, 3, 4, 9, 0), datetime(2026, 3, 9, 9, 0), datetime(2026, 3, 11, 9, 0), None]


def test_a_monthly_rule_past_the_28th_uses_the_last_day_of_short_months():
    rule, _ = validate_recurrence(RecurrenceDraft(Frequency.MONTHLY, month_day=30, count=3), date(2026, 1, 30))
    assert occurrence_time(rule, datetime(2026, 1, 30, 8, 0), 2) == datetime(2026, 2, 28, 8, 0)
    assert occurrence_time(rule, datetime(2026, 1, 30, 8, 0), 3) == datetime(2026, 3, 30, 8, 0)
    assert describe(rule) == "Cada mes, el día 30 (o el último, si el mes es más corto) · 3 veces"


def test_rules_read_in_spanish():
    assert describe("FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20261231T235959") == \
        "Cada semana: lunes, miércoles y viernes · hasta el 31/12/2026"
    assert describe("FREQ=DAILY;INTERVAL=3") == "Cada 3 días"


# ---------------------------------------------------------------- series in the store


def test_a_weekly_0900_meeting_stays_at_0900_local_across_the_dst_change(store, world, clock):
    """New York moves to daylight time on Sunday 8 March 2026: UTC 14:00 before, 13:00 after."""
    first = store.create_item(world.ana, activity(world.ana_contact, start=datetime(2026, 3, 3, 9, 0),
                                                  end=datetime(2026, 3, 3, 10, 0), time_zone=NEW_YORK),
                              WEEKLY_TUESDAY)
    assert first.recurrence_rule == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"
    store.complete_item(world.ana, first.id)
    items = series(store, world.ana, world.ana_contact)
    assert [local(i, NEW_YORK) for i in items] == [datetime(2026, 3, 3, 9, 0), datetime(2026, 3, 10, 9, 0)]
    assert [i.starts_at.hour for i in items] == [14, 13]  # the same wall clock, another UTC hour
    second = items[1]
    assert (second.status, second.name, second.activity_type, second.due_at - second.starts_at) == \
        (Status.PENDING, first.name, first.activity_type, timedelta(hours=1))
    assert second.recurrence_rule == first.recurrence_rule


def test_the_next_occurrence_comes_once_when_the_time_of_the_newest_passes(store, world, clock):
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    assert store.advance_recurrences() == 0  # 2 March: the first is still ahead
    clock.now = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # Tuesday 10:00 in Mexico City: it passed
    assert store.advance_recurrences() == 1
    assert store.advance_recurrences() == 0  # once: the second is ahead now
    items = series(store, world.ana, world.ana_contact)
    assert [(local(i, "America/Mexico_City"), i.status) for i in items] == [
        (datetime(2026, 3, 3, 9, 0), Status.PENDING), (datetime(2026, 3, 10, 9, 0), Status.PENDING)]


def test_a_series_left_alone_catches_up_and_stops_at_its_count(store, world, clock):
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    clock.now = datetime(2026, 6, 1, tzinfo=UTC)
    assert store.advance_recurrences() == 3  # four in all
    store.set_status(world.ana, [i.id for i in series(store, world.ana, world.ana_contact)], Status.DONE)
    assert len(series(store, world.ana, world.ana_contact)) == 4  # the rule ended: nothing after the fourth


def test_a_series_until_a_date_ends_on_that_day(store, world, clock):
    repeat = RecurrenceDraft(Frequency.DAILY, ending=Ending.UNTIL, until=date(2026, 3, 5))
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), repeat)
    clock.now = datetime(2026, 4, 1, tzinfo=UTC)
    store.advance_recurrences()
    assert [local(i, "America/Mexico_City").day for i in series(store, world.ana, world.ana_contact)] == [3, 4, 5]


def test_completing_an_older_occurrence_makes_nothing_new(store, world, clock):
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    clock.now = datetime(2026, 3, 4, tzinfo=UTC)
    store.advance_recurrences()
    older, newest = series(store, world.ana, world.ana_contact)
    store.complete_item(world.ana, older.id)
    assert len(series(store, world.ana, world.ana_contact)) == 2  # only the newest's completion goes on
    store.complete_item(world.ana, newest.id)
    assert len(series(store, world.ana, world.ana_contact)) == 3


def test_deleting_this_one_keeps_the_series_going_and_the_following_ends_it(store, world, clock):
    first = store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    store.delete_item(world.ana, first.id)
    (second,) = series(store, world.ana, world.ana_contact)
    assert local(second, "America/Mexico_City") == datetime(2026, 3, 10, 9, 0)
    store.delete_item(world.ana, second.id, following=True)
    assert series(store, world.ana, world.ana_contact) == []
    clock.now = datetime(2026, 6, 1, tzinfo=UTC)
    assert store.advance_recurrences() == 0


def test_deleting_this_and_the_following_keeps_the_done_ones(store, world, clock):
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    clock.now = datetime(2026, 3, 11, tzinfo=UTC)  # the 3rd and the 10th passed: the 17th is the newest
    store.advance_recurrences()
    first, second, third = series(store, world.ana, world.ana_contact)
    store.complete_item(world.ana, third.id)  # a fourth comes
    store.delete_item(world.ana, second.id, following=True)
    remaining = series(store, world.ana, world.ana_contact)
    assert [i.id for i in remaining] == [first.id, third.id]  # the pending fourth went, the done third stayed


def test_editing_only_this_one_leaves_the_next_as_the_series_was(store, world, clock):
    first = store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    store.update_item(world.ana, first.id, task(world.ana_contact, name="Solo esta vez",
                                                start=datetime(2026, 3, 3, 11, 0)), expected=first)
    store.complete_item(world.ana, first.id)
    _, second = series(store, world.ana, world.ana_contact)
    assert (second.name, local(second, "America/Mexico_City")) == ("Enviar propuesta", datetime(2026, 3, 10, 9, 0))


def test_editing_this_and_the_following_starts_a_new_series_from_here(store, world, clock):
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    clock.now = datetime(2026, 3, 4, tzinfo=UTC)
    store.advance_recurrences()
    first, second = series(store, world.ana, world.ana_contact)
    friday = RecurrenceDraft(Frequency.WEEKLY, (4,), ending=Ending.COUNT, count=2)
    edited = store.update_item(world.ana, second.id, task(world.ana_contact, name="Llamar los viernes",
                                                          start=datetime(2026, 3, 13, 16, 0)),
                               expected=second, repeat=friday, following=True)
    assert edited.recurrence_rule == "FREQ=WEEKLY;BYDAY=FR;COUNT=2"
    store.complete_item(world.ana, edited.id)
    names = [(i.name, local(i, "America/Mexico_City")) for i in series(store, world.ana, world.ana_contact)]
    assert names == [("Enviar propuesta", datetime(2026, 3, 3, 9, 0)),
                     ("Llamar los viernes", datetime(2026, 3, 13, 16, 0)),
                     ("Llamar los viernes", datetime(2026, 3, 20, 16, 0))]
    store.complete_item(world.ana, first.id)  # the old series ended at the edit: nothing more from it
    clock.now = datetime(2026, 6, 1, tzinfo=UTC)
    store.advance_recurrences()
    assert len(series(store, world.ana, world.ana_contact)) == 3


def test_an_item_that_did_not_repeat_can_start_repeating_and_stop(store, world, clock):
    item = store.create_item(world.ana, task(world.ana_contact))
    assert item.recurrence_rule is None
    item = store.update_item(world.ana, item.id, task(world.ana_contact), expected=item,
                             repeat=RecurrenceDraft(Frequency.DAILY, count=3))
    assert item.recurrence_rule == "FREQ=DAILY;COUNT=3"
    item = store.update_item(world.ana, item.id, task(world.ana_contact), expected=item,
                             repeat=RecurrenceDraft(Frequency.NONE), following=True)
    assert item.recurrence_rule is None
    store.complete_item(world.ana, item.id)
    assert len(series(store, world.ana, world.ana_contact)) == 1


def test_a_bad_rule_saves_nothing_and_joins_the_other_field_errors(store, world):
    with pytest.raises(ValidationError) as refused:
        store.create_item(world.ana, task(world.ana_contact, name=""), RecurrenceDraft(Frequency.WEEKLY, ()))
    assert set(refused.value.errors) == {"name", "recurrence"}
    assert series(store, world.ana, world.ana_contact) == []


def test_a_seller_cannot_repeat_work_on_another_sellers_contact(store, world):
    with pytest.raises(ValidationError) as refused:  # not hers: not even found
        store.create_item(world.ana, task(world.bruno_contact), WEEKLY_TUESDAY)
    assert list(refused.value.errors) == ["contact"]
    with pytest.raises(PermissionDenied):  # an analyst writes nothing
        store.create_item(world.carla, task(world.bruno_contact), WEEKLY_TUESDAY)
    assert series(store, world.admin, world.bruno_contact) == []


def test_the_next_occurrence_takes_the_series_responsible_or_the_owner_when_that_user_left(store, world, clock):
    repeat = RecurrenceDraft(Frequency.DAILY, count=3)
    first = store.create_item(world.admin, task(world.ana_contact, responsible_mode=ResponsibleMode.USER,
                                                responsible_id=world.bruno.id), repeat)
    store.complete_item(world.admin, first.id)
    assert series(store, world.admin, world.ana_contact)[-1].responsible_id == world.bruno.id
    store.update_user(world.admin, world.bruno.id, active=False)
    store.complete_item(world.admin, series(store, world.admin, world.ana_contact)[-1].id)
    third = series(store, world.admin, world.ana_contact)[-1]
    assert (third.responsible_mode, third.responsible_id) == (ResponsibleMode.CONTACT_OWNER, world.ana.id)


def test_deleting_the_contact_deletes_its_series(store, world, db, clock):
    store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    store.delete_contact(world.ana, world.ana_contact)
    assert db.query_one("SELECT (SELECT count(*) FROM recurrences) + (SELECT count(*) FROM occurrences)") == (0,)
    clock.now = datetime(2026, 6, 1, tzinfo=UTC)
    assert store.advance_recurrences() == 0


def test_each_occurrence_made_by_the_store_is_audited_without_an_actor(store, world):
    first = store.create_item(world.ana, activity(world.ana_contact), RecurrenceDraft(Frequency.DAILY, count=2))
    store.complete_item(world.ana, first.id)
    second = series(store, world.ana, world.ana_contact)[-1]
    (created,) = store.audit_trail(world.admin, "item", second.id)
    assert (created.action, created.actor_id, created.changes["occurrence"]) == ("create", None, [None, 2])
    assert second.kind is Kind.ACTIVITY and second.created_by == world.ana.id


def test_a_newest_occurrence_moved_later_delays_the_next_one(store, world, clock):
    first = store.create_item(world.ana, task(world.ana_contact, start=datetime(2026, 3, 3, 9, 0)), WEEKLY_TUESDAY)
    store.reschedule(world.ana, first.id, datetime(2026, 3, 4, 9, 0), "America/Mexico_City")  # "Posponer"
    clock.now = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)  # its old time passed, its new one has not
    assert store.advance_recurrences() == 0
    clock.now = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    assert store.advance_recurrences() == 1
    assert local(series(store, world.ana, world.ana_contact)[-1], "America/Mexico_City") == datetime(2026, 3, 10, 9, 0)


def test_deleting_the_contact_an_occurrence_moved_to_leaves_no_link_behind(store, world, db):
    other = store.create_contact(world.ana, ContactDraft("Otro"))
    first = store.create_item(world.ana, task(world.ana_contact), RecurrenceDraft(Frequency.DAILY, count=3))
    store.update_item(world.ana, first.id, task(other.id), expected=first)  # "Solo esta": moved, still in its series
    store.delete_contact(world.ana, other.id)
    assert store.integrity_problems() == []
    assert db.query_one("SELECT count(*) FROM occurrences") == (0,)
