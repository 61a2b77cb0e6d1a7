"""Mi agenda in the store: the groups by the user's calendar, paged and counted in SQL, the
filters, and "Posponer" (moving an item, an activity keeping its length)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from escala import times
from escala.domain import (
    SNOOZE_OPTIONS, NotFound, ResponsibleMode, ValidationError, snooze_start,
)
from escala.store import AGENDA_GROUPS, AgendaFilter
from tests.conftest import activity, task

ZONE = "America/Mexico_City"  # the clock fixture: Monday 2 March 2026, 09:00 there (15:00 UTC)


def names(found: dict, group: str) -> list[str]:
    return [item.name for item in found[group][0]]


def totals(found: dict) -> list[int]:
    return [found[group][1] for group in AGENDA_GROUPS]


def test_pending_work_falls_in_the_group_of_the_users_calendar(store, world, clock):
    for name, start in [("Ayer", datetime(2026, 3, 1, 9, 0)), ("Hace una hora", datetime(2026, 3, 2, 8, 0)),
                        ("Esta noche", datetime(2026, 3, 2, 23, 30)), ("En siete días", datetime(2026, 3, 9, 23, 0)),
                        ("En ocho días", datetime(2026, 3, 10, 0, 0))]:
        store.create_item(world.ana, task(world.ana_contact, name=name, start=start))
    done = store.create_item(world.ana, task(world.ana_contact, name="Hecha", start=datetime(2026, 3, 1, 9, 0)))
    store.complete_item(world.ana, done.id)
    found = store.agenda(world.ana, clock(), ZONE, {})
    assert names(found, "Vencidas") == ["Ayer", "Hace una hora"]
    assert names(found, "Hoy") == ["Esta noche"]
    assert names(found, "Próximos 7 días") == ["En siete días"]
    assert names(found, "Más adelante") == ["En ocho días"]
    # the same instants seen from Madrid (UTC+1): 23:30 in Mexico City is already tomorrow there
    assert names(store.agenda(world.ana, clock(), "Europe/Madrid", {}), "Hoy") == []


def test_each_group_pages_and_counts_all_of_its_items(store, world, clock):
    for number in range(7):
        store.create_item(world.ana, task(world.ana_contact, name=f"Atrasada {number}",
                                          start=datetime(2026, 2, 1 + number, 9, 0)))
    found = store.agenda(world.ana, clock(), ZONE, {"Vencidas": 3}, size=3)
    assert names(found, "Vencidas") == ["Atrasada 6"] and totals(found) == [7, 0, 0, 0]
    assert names(store.agenda(world.ana, clock(), ZONE, {"Vencidas": 2}, size=3), "Vencidas") == \
        ["Atrasada 3", "Atrasada 4", "Atrasada 5"]
    assert store.agenda(world.ana, clock(), ZONE, {"Vencidas": 9}, size=3)["Vencidas"] == ([], 7)  # past the end


def test_the_agenda_is_the_users_own_work_only(store, world, clock):
    store.create_item(world.admin, task(world.ana_contact, name="Para Bruno", responsible_mode=ResponsibleMode.USER,
                                        responsible_id=world.bruno.id))
    store.create_item(world.admin, task(world.ana_contact, name="Sin asignar", responsible_mode=ResponsibleMode.UNASSIGNED))
    store.create_item(world.ana, task(world.ana_contact, name="Suya"))
    assert sum(totals(store.agenda(world.ana, clock(), ZONE, {}))) == 1
    assert names(store.agenda(world.bruno, clock(), ZONE, {}), "Próximos 7 días") == ["Para Bruno"]


@pytest.mark.parametrize("narrow, expected", [
    (AgendaFilter(types=("Llamada",)), ["Llamada con Ana"]),
    (AgendaFilter(types=("Tarea",)), ["Cotización", "Revisar contrato"]),
    (AgendaFilter(types=("Tarea", "Llamada")), ["Llamada con Ana", "Cotización", "Revisar contrato"]),
    (AgendaFilter(types=("Cena",)), []),  # not a type: nothing, rather than everything
    (AgendaFilter(text="cotizacion"), ["Cotización"]),  # accents and case ignored
    (AgendaFilter(text="LEGAL"), ["Revisar contrato"]),  # in the description
    (AgendaFilter(text="cliente de ana"), ["Llamada con Ana", "Cotización", "Revisar contrato"]),  # the contact
    (AgendaFilter(text="100%_"), []),  # literal, not a pattern
])
def test_filters_narrow_by_type_text_and_contact(store, world, clock, narrow, expected):
    store.create_item(world.ana, activity(world.ana_contact, name="Llamada con Ana", start=datetime(2026, 3, 3, 10, 0),
                                          end=datetime(2026, 3, 3, 11, 0)))
    store.create_item(world.ana, task(world.ana_contact, name="Cotización", start=datetime(2026, 3, 4, 9, 0)))
    store.create_item(world.ana, task(world.ana_contact, name="Revisar contrato", description="Con el área legal",
                                      start=datetime(2026, 3, 5, 9, 0)))
    assert names(store.agenda(world.ana, clock(), ZONE, {}, narrow=narrow), "Próximos 7 días") == expected


def test_filters_by_contact_and_opportunity_offer_only_those_of_the_users_pending_work(store, world, clock):
    own = store.create_item(world.ana, task(world.ana_contact, name="Con oportunidad",
                                            opportunity_id=world.ana_opportunity))
    store.create_item(world.ana, task(world.ana_contact, name="Sin oportunidad"))
    store.create_item(world.bruno, task(world.bruno_contact, name="De Bruno", opportunity_id=world.bruno_opportunity))
    contacts, opportunities = store.agenda_choices(world.ana)
    assert contacts == {world.ana_contact: "Cliente de Ana"} and opportunities == {world.ana_opportunity: "Licencias"}
    narrow = AgendaFilter(contact_id=world.ana_contact, opportunity_id=world.ana_opportunity)
    assert names(store.agenda(world.ana, clock(), ZONE, {}, narrow=narrow), "Próximos 7 días") == [own.name]
    other = AgendaFilter(contact_id=world.bruno_contact)  # a link naming someone else's contact finds nothing
    assert sum(totals(store.agenda(world.ana, clock(), ZONE, {}, narrow=other))) == 0


# ---------------------------------------------------------------- Posponer


@pytest.mark.parametrize("option, starts, expected", [
    ("+1 h", datetime(2026, 2, 20, 15, 0, tzinfo=UTC), datetime(2026, 3, 2, 10, 0)),  # late: an hour from now
    ("+1 h", datetime(2026, 3, 5, 16, 0, tzinfo=UTC), datetime(2026, 3, 5, 11, 0)),  # ahead: an hour after it
    ("Mañana 9:00", datetime(2026, 2, 20, 15, 0, tzinfo=UTC), datetime(2026, 3, 3, 9, 0)),
    ("Próxima semana", datetime(2026, 2, 20, 15, 0, tzinfo=UTC), datetime(2026, 3, 9, 9, 0)),  # next Monday
])
def test_posponer_moves_to_the_time_its_label_says(clock, option, starts, expected):
    assert snooze_start(option, starts, clock(), ZONE) == expected


def test_an_unknown_snooze_is_refused_in_spanish(clock):
    with pytest.raises(ValidationError) as refused:
        snooze_start("Nunca", clock(), clock(), ZONE)
    assert all(option in refused.value.errors["start"] for option in SNOOZE_OPTIONS)


def test_rescheduling_an_activity_keeps_its_length_and_is_audited(store, world, clock):
    item = store.create_item(world.ana, activity(world.ana_contact, start=datetime(2026, 2, 20, 10, 0),
                                                 end=datetime(2026, 2, 20, 11, 30)))
    moved = store.reschedule(world.ana, item.id, datetime(2026, 3, 3, 9, 0), ZONE)
    assert times.to_local(moved.starts_at, ZONE).replace(tzinfo=None) == datetime(2026, 3, 3, 9, 0)
    assert moved.due_at - moved.starts_at == timedelta(minutes=90)
    last = store.audit_trail(world.admin, "item", item.id)[-1]
    assert last.action == "update" and set(last.changes) == {"starts_at", "due_at"}
    assert names(store.agenda(world.ana, clock(), ZONE, {}), "Próximos 7 días") == [item.name]


def test_rescheduling_refuses_what_the_user_may_not_see_and_times_that_do_not_exist(store, world):
    item = store.create_item(world.bruno, task(world.bruno_contact))
    with pytest.raises(NotFound):
        store.reschedule(world.ana, item.id, datetime(2026, 3, 3, 9, 0), ZONE)
    with pytest.raises(ValidationError) as refused:
        store.reschedule(world.bruno, item.id, datetime(2026, 3, 8, 2, 30), "America/New_York")
    assert "no existe" in refused.value.errors["start"]
    with pytest.raises(ValidationError):
        store.reschedule(world.bruno, item.id, datetime(2101, 1, 1, 9, 0), ZONE)
    assert store.get_item(world.bruno, item.id).starts_at == item.starts_at


def test_the_calendar_reads_the_users_items_that_overlap_its_days(store, world, clock):
    store.create_item(world.ana, activity(world.ana_contact, name="Cruza la medianoche", start=datetime(2026, 3, 2, 23, 0),
                                          end=datetime(2026, 3, 3, 1, 0)))
    store.create_item(world.ana, task(world.ana_contact, name="El martes", start=datetime(2026, 3, 3, 9, 0)))
    store.create_item(world.ana, task(world.ana_contact, name="El miércoles", start=datetime(2026, 3, 4, 9, 0)))
    store.create_item(world.admin, task(world.ana_contact, name="De Bruno", start=datetime(2026, 3, 3, 9, 0),
                                        responsible_mode=ResponsibleMode.USER, responsible_id=world.bruno.id))
    tuesday = [times.start_of_day(datetime(2026, 3, 3).date(), ZONE), times.start_of_day(datetime(2026, 3, 4).date(), ZONE)]
    assert [i.name for i in store.calendar_items(world.ana, *tuesday)] == ["Cruza la medianoche", "El martes"]
    assert [i.name for i in store.calendar_items(world.ana, *tuesday, limit=1)] == ["Cruza la medianoche"]
