"""Agregar al calendario: a valid .ics event carrying the item's Recordatorio as its alarm."""

from datetime import UTC, datetime

from escala.calendar import activity_ics, ics_file_name
from tests.conftest import activity


def test_ics_event_spans_desde_to_hasta_with_a_reminder(store, world):
    item = store.create_item(world.ana, activity(world.ana_contact, opportunity_id=world.ana_opportunity,
                                                 description="Precios; condiciones, y plazos\nsegunda línea",
                                                 reminder_minutes=15))
    text = activity_ics(item, datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    lines = text.split("\r\n")
    assert text.endswith("\r\n") and lines[0] == "BEGIN:VCALENDAR"
    assert "DTSTART:20260305T160000Z" in lines and "DTEND:20260305T170000Z" in lines
    assert "TRIGGER:-PT15M" in lines and "SUMMARY:Llamada: Llamada de seguimiento" in lines
    unfolded = text.replace("\r\n ", "")
    assert "Precios\\; condiciones\\, y plazos\\nsegunda línea" in unfolded
    assert "Oportunidad: Licencias" in unfolded
    assert all(len(line.encode()) <= 75 for line in lines)
    assert ics_file_name(item) == f"llamada-de-seguimiento-{item.id}.ics"


def test_the_alarm_follows_the_items_reminder_and_none_has_none(store, world):
    now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    day_before = store.create_item(world.ana, activity(world.ana_contact, reminder_minutes=1440))
    assert "TRIGGER:-PT1440M" in activity_ics(day_before, now).split("\r\n")
    silent = store.create_item(world.ana, activity(world.ana_contact))
    assert "VALARM" not in activity_ics(silent, now)
