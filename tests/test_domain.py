"""Pure validation: every rule lands its Spanish message on the right field."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from escala.domain import (
    ActivityType, ContactDraft, Item, ItemDraft, Kind, OpportunityDraft, ResponsibleMode, Status, UserDraft,
    default_activity_window, default_task_time, follow_up, next_business_day, validate_contact, validate_item,
    validate_opportunity, validate_user,
)
from tests.conftest import activity, task


@pytest.mark.parametrize("draft, field, words", [
    (activity(1, name=""), "name", "obligatorio"),
    (activity(1, name="   "), "name", "obligatorio"),
    (activity(1, name="x" * 201), "name", "200"),
    (activity(1, activity_type=None), "activity_type", "Elige el tipo"),
    (activity(1, activity_type="Cena"), "activity_type", "Webinar, Evento, Llamada, Reunión u Otro"),
    (task(1, activity_type="Llamada"), "activity_type", "no tienen tipo"),
    (activity(1, start=None), "start", "desde cuándo"),
    (task(1, start=None), "start", "fecha y la hora"),
    (activity(1, end=None), "end", "hasta cuándo"),
    (activity(1, end=datetime(2026, 3, 5, 9, 59)), "end", "Hasta no puede ser anterior a Desde"),
    (activity(1, responsible_mode="Mi jefe"), "responsible", "Dueño del contacto, Un usuario específico o No asignar"),
    (activity(1, responsible_mode=ResponsibleMode.USER, responsible_id=None), "responsible", "Elige el usuario"),
    (activity(None), "contact", "contacto es obligatorio"),
    (activity(1, description="d" * 5001), "description", "5,000"),
    (activity(1, status="Cancelada"), "status", "Pendiente o Realizada"),
    (activity(1, start=datetime(2026, 3, 8, 2, 30), end=datetime(2026, 3, 8, 4, 0), time_zone="America/New_York"),
     "start", "no existe en America/New_York"),
    (task(1, start=datetime(2026, 3, 29, 2, 15), time_zone="Europe/Madrid"), "start", "cambio de horario"),
])
def test_each_item_rule_puts_its_message_on_its_field(draft, field, words):
    clean, errors = validate_item(draft)
    assert clean is None
    assert list(errors) == [field]
    assert words in errors[field]


@pytest.mark.parametrize("draft", [
    activity(1), task(1), activity(1, name="x" * 200), activity(1, description="d" * 5000),
    activity(1, end=datetime(2026, 3, 5, 10, 0)),  # Hasta equal to Desde is allowed
    activity(1, responsible_mode=ResponsibleMode.UNASSIGNED),
    activity(1, responsible_mode=ResponsibleMode.USER, responsible_id=7, status=Status.DONE),
])
def test_valid_drafts_pass(draft):
    clean, errors = validate_item(draft)
    assert errors == {}
    assert clean is not None


def test_all_errors_are_reported_at_once():
    draft = activity(None, name="", activity_type=None, end=datetime(2026, 3, 4, 0, 0), description="x" * 6000,
                     status="?")
    _, errors = validate_item(draft)
    assert set(errors) == {"name", "activity_type", "end", "contact", "description", "status"}


def test_text_is_trimmed_and_wall_clock_becomes_utc():
    clean, _ = validate_item(activity(1, name="  Demo  ", description=" notas "))
    assert clean.name == "Demo" and clean.description == "notas"
    assert clean.starts_at == datetime(2026, 3, 5, 16, 0, tzinfo=UTC)  # 10:00 in Mexico City (UTC-6)
    assert clean.due_at == datetime(2026, 3, 5, 17, 0, tzinfo=UTC)


def test_a_task_is_due_at_its_fecha():
    clean, _ = validate_item(task(1))
    assert clean.kind is Kind.TASK and clean.starts_at == clean.due_at == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


def test_repeated_wall_time_at_dst_end_resolves_to_the_first_occurrence():
    clean, _ = validate_item(task(1, start=datetime(2026, 11, 1, 1, 30), time_zone="America/New_York"))
    assert clean.due_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not 01:30 EST


def test_form_defaults_are_next_full_hour_and_tomorrow_at_nine_in_the_users_zone():
    now = datetime(2026, 3, 2, 23, 20, tzinfo=UTC)  # 17:20 in Mexico City, already Mar 3 in Madrid
    assert default_activity_window(now, "America/Mexico_City") == (datetime(2026, 3, 2, 18), datetime(2026, 3, 2, 19))
    assert default_task_time(now, "America/Mexico_City") == datetime(2026, 3, 3, 9, 0)
    assert default_task_time(now, "Europe/Madrid") == datetime(2026, 3, 4, 9, 0)


@pytest.mark.parametrize("draft, field", [
    (ContactDraft(""), "name"),
    (ContactDraft("Ana", email="no-es-correo"), "email"),
    (ContactDraft("Ana", phone="llámame"), "phone"),
    (ContactDraft("Ana", company="e" * 201), "company"),
])
def test_contact_rules(draft, field):
    assert list(validate_contact(draft)[1]) == [field]


def test_contact_email_is_normalised_to_lower_case():
    clean, _ = validate_contact(ContactDraft(" Ana ", email=" Ana.Perez@Example.COM "))
    assert (clean.name, clean.email) == ("Ana", "ana.perez@example.com")


@pytest.mark.parametrize("draft, field", [
    (OpportunityDraft("", 1), "name"),
    (OpportunityDraft("Licencias", None), "contact"),
    (OpportunityDraft("Licencias", 1, stage="Dormida"), "stage"),
    (OpportunityDraft("Licencias", 1, amount=-5), "amount"),
    (OpportunityDraft("Licencias", 1, amount="mucho"), "amount"),
])
def test_opportunity_rules(draft, field):
    assert list(validate_opportunity(draft)[1]) == [field]


@pytest.mark.parametrize("draft, field", [
    (UserDraft("", "a@b.co", "seller", "12345678"), "name"),
    (UserDraft("Ana", "sin-arroba", "seller", "12345678"), "email"),
    (UserDraft("Ana", "a@b.co", "jefe", "12345678"), "role"),
    (UserDraft("Ana", "a@b.co", "seller", "corta"), "password"),
    (UserDraft("Ana", "a@b.co", "seller", None), "password"),
    (UserDraft("Ana", "a@b.co", "seller", "12345678", "Marte/Olympus"), "time_zone"),
])
def test_user_rules(draft, field):
    assert list(validate_user(draft)[1]) == [field]


@pytest.mark.parametrize("text", ["factura\u202efdp.exe", "nul\x00byte", "campana\x07", "aislado\u2066x\u2069",
                                  "línea\nrota", "c1\x85x"])
def test_names_refuse_control_and_bidi_override_characters(text):
    _, errors = validate_item(activity(1, name=text))
    assert "caracteres de control o de dirección" in errors["name"]
    _, errors = validate_contact(ContactDraft(text))
    assert "caracteres de control" in errors["name"]


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200c\u2060", "\u3164", "\ufeff"])
def test_a_name_with_no_visible_character_is_missing(text):
    _, errors = validate_item(activity(1, name=text))
    assert errors["name"] == "El nombre es obligatorio."
    _, errors = validate_contact(ContactDraft("Ana", company=text))
    assert errors["company"] == "El nombre de la empresa es obligatorio."


def test_a_description_keeps_line_breaks_and_tabs_but_not_overrides():
    clean, errors = validate_item(activity(1, description="uno\n\tdos\r\ntres"))
    assert errors == {} and clean.description == "uno\n\tdos\r\ntres"
    _, errors = validate_item(activity(1, description="a\u202eb"))
    assert "dirección de texto" in errors["description"]


@pytest.mark.parametrize("start", [datetime(1, 1, 1, 0, 0), datetime(9999, 12, 31, 23, 59), datetime(1969, 12, 31, 12),
                                   datetime(2101, 1, 1, 12), datetime(10, 1, 1, tzinfo=UTC),
                                   datetime(9999, 12, 31, 23, 59, tzinfo=UTC), datetime(2101, 1, 1, tzinfo=UTC)])
def test_instants_outside_1970_to_2100_are_refused_on_their_field(start):
    _, errors = validate_item(task(1, start=start))
    assert errors == {"start": "La fecha debe estar entre 1970 y 2100."}
    _, errors = validate_item(activity(1, start=datetime(2026, 3, 5, 10), end=start))
    assert errors["end"] in ("La fecha debe estar entre 1970 y 2100.", "Hasta no puede ser anterior a Desde.")


def test_the_edges_of_the_range_are_accepted():
    for start in (datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, 23, 59, tzinfo=UTC)):
        _, errors = validate_item(task(1, start=start))
        assert errors == {}


def _stored(**changes) -> Item:
    """An item as the store hands it out: a Llamada of 45 minutes on Ana's contact."""
    values = dict(id=7, kind=Kind.ACTIVITY, name="Llamada de descubrimiento", activity_type=ActivityType.CALL,
                  starts_at=datetime(2026, 3, 4, 16, 30, tzinfo=UTC), due_at=datetime(2026, 3, 4, 17, 15, tzinfo=UTC),
                  responsible_mode=ResponsibleMode.USER, responsible_id=5, responsible_name="Ana",
                  contact_id=11, contact_name="Cliente", opportunity_id=13, opportunity_name="Licencias",
                  description="", status=Status.DONE, completed_at=None, completed_by=None,
                  created_at=datetime(2026, 3, 1, tzinfo=UTC), created_by=5, updated_at=datetime(2026, 3, 1, tzinfo=UTC))
    values.update(changes)
    return Item(**values)


def test_the_next_step_after_a_friday_is_monday_at_the_items_own_time_with_the_same_fields():
    friday_evening = datetime(2026, 3, 7, 1, 0, tzinfo=UTC)  # Friday 6 March, 19:00 in Mexico City
    offer = follow_up(_stored(), friday_evening, "America/Mexico_City")
    assert offer.start == datetime(2026, 3, 9, 10, 30)  # Monday; 16:30 UTC was 10:30 there
    assert offer.end == datetime(2026, 3, 9, 11, 15)  # the same 45 minutes
    assert (offer.kind, offer.activity_type, offer.responsible_mode, offer.responsible_id) == \
        (Kind.ACTIVITY, ActivityType.CALL, ResponsibleMode.USER, 5)
    assert (offer.contact_id, offer.opportunity_id) == (11, 13)
    assert offer.name == "Seguimiento: Llamada de descubrimiento"


def test_the_next_step_keeps_the_wall_clock_across_a_dst_change():
    task_item = _stored(kind=Kind.TASK, activity_type=None, starts_at=datetime(2026, 3, 6, 14, 0, tzinfo=UTC),
                        due_at=datetime(2026, 3, 6, 14, 0, tzinfo=UTC))  # 09:00 in New York (EST)
    saturday = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)  # New York moves to EDT on Sunday 8 March
    offer = follow_up(task_item, saturday, "America/New_York")
    assert (offer.start, offer.end) == (datetime(2026, 3, 9, 9, 0), None)  # Monday 09:00, as the task was
    clean, errors = validate_item(ItemDraft(Kind.TASK, offer.name, offer.contact_id, offer.start,
                                            time_zone="America/New_York"))
    assert errors == {} and clean.starts_at == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_a_follow_up_of_a_follow_up_is_not_prefixed_twice():
    assert follow_up(_stored(name="Seguimiento: Demo"), datetime(2026, 3, 2, tzinfo=UTC), "UTC").name == \
        "Seguimiento: Demo"
    assert len(follow_up(_stored(name="x" * 200), datetime(2026, 3, 2, tzinfo=UTC), "UTC").name) == 200


@pytest.mark.parametrize("day, expected", [
    (date(2026, 3, 2), date(2026, 3, 3)), (date(2026, 3, 6), date(2026, 3, 9)),
    (date(2026, 3, 7), date(2026, 3, 9)), (date(2026, 3, 8), date(2026, 3, 9)),
])
def test_the_next_business_day_skips_the_weekend(day, expected):
    assert next_business_day(day) == expected
