"""Hostile input on every write path: whatever text, number or date arrives, a write either
saves exactly what it says (read back field for field) or refuses with Spanish field messages
and leaves no trace (no row, no audit entry). Never any other exception.

The URL side (every page's query parameters through AppTest) is in test_hostile_urls.py.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escala.db import open_database
from escala.domain import (
    ContactDraft, ItemDraft, Kind, OpportunityDraft, ResponsibleMode, Status, UserDraft, ValidationError,
)
from escala.store import DuplicateContact, Store
from tests.conftest import Clock, make_user

SAMPLES = [
    "", " ", "\x00", "nul\x00byte", "factura\u202efdp.exe", "\u2066aislado\u2069", "\u200b", "\u3164", "\ufeff",
    '![t](http://127.0.0.1:9/track.png)', "**b** _i_ `c`", "$x$", ":red[x]", "<a href='x'>l</a>", "<script>x</script>",
    "=1+1", "'=HYPERLINK()", "línea\nrota", "tab\tuno", "\r\n", "x" * 10_000, "ñ" * 201, "😀" * 50,
    "Ω≈ç√∫", "\ud7ff", "\U0010fffd", "مرحبا", "שלום", "日本語", "a\u0301", "\u0085", "\x1b[31m",
]
LONG = st.builds(lambda piece, size: (piece * size)[:size], st.text(min_size=1, max_size=8),
                 st.integers(min_value=190, max_value=10_050))  # 10,000-character strings, cheaply
TEXT = st.one_of(st.sampled_from(SAMPLES), st.text(max_size=300), LONG)
HOSTILE_INTS = st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64]))
NAIVE = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
MOMENTS = st.one_of(st.none(), NAIVE, NAIVE.map(lambda d: d.replace(tzinfo=UTC)))
ZONES = st.sampled_from(["America/Mexico_City", "Asia/Kolkata", "Pacific/Kiritimati", "UTC", "", "Marte/Olympus",
                         "../../etc/passwd", "America/Mexico_City\x00"])
NUMBERS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(2**80), max_value=2**80),
                    st.sampled_from(["", "abc", "1e308", "-0", "١٢", "NaN", "  7  ", "1,000.50"]))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@pytest.fixture(scope="module")
def shared(shared_location):
    """One database for the whole module (hypothesis runs many examples per test)."""
    db = open_database(shared_location("hostile"))
    db.migrate()
    store = Store(db, clock=Clock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)))
    admin = make_user(store, "Admin", "admin@hostil.example", "admin")
    seller = make_user(store, "Vendedora", "vendedora@hostil.example", "seller")
    contact = store.create_contact(seller, ContactDraft("Cliente", "cliente@hostil.example"))
    opportunity = store.create_opportunity(seller, OpportunityDraft("Trato", contact.id, "Propuesta", 10))
    yield store, admin, seller, contact, opportunity
    db.close()


def footprint(store: Store) -> tuple:
    """Every table a write can touch, counted: a refused write must leave it as it was."""
    return store.db.query_one("""SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM contacts),
        (SELECT count(*) FROM opportunities), (SELECT count(*) FROM users), (SELECT count(*) FROM companies),
        (SELECT count(*) FROM audit_log), (SELECT max(updated_at) FROM items), (SELECT max(updated_at) FROM contacts)""")


def refused_cleanly(store: Store, before: tuple, error: ValidationError) -> None:
    assert error.errors and all(isinstance(m, str) and m for m in error.errors.values())
    assert footprint(store) == before


def clean_text(value) -> str:
    return (value or "").strip()


@SETTINGS
@given(kind=st.sampled_from(list(Kind)), name=TEXT, description=TEXT, start=MOMENTS, end=MOMENTS, zone=ZONES,
       activity_type=st.one_of(st.none(), st.sampled_from(["Llamada", "Reunión", "Cena", "", "llamada"])),
       mode=st.sampled_from([*ResponsibleMode, "Jefe", ""]), responsible_id=HOSTILE_INTS,
       opportunity=st.sampled_from(["own", "none", "hostile"]), hostile_id=HOSTILE_INTS,
       status=st.sampled_from([*Status, "Cancelada", ""]))
def test_item_writes_save_exactly_or_refuse_cleanly(shared, kind, name, description, start, end, zone, activity_type,
                                                    mode, responsible_id, opportunity, hostile_id, status):
    store, admin, seller, contact, deal = shared
    opportunity_id = {"own": deal.id, "none": None, "hostile": hostile_id}[opportunity]
    draft = ItemDraft(kind, name, contact.id, start, end, activity_type, mode, responsible_id, opportunity_id,
                      description, status, zone)
    before = footprint(store)
    try:
        item = store.create_item(seller, draft)
    except ValidationError as error:
        refused_cleanly(store, before, error)
        return
    saved = store.get_item(admin, item.id)
    assert (saved.name, saved.description) == (clean_text(name), clean_text(description))
    assert saved.kind is kind and saved.status == status and saved.contact_id == contact.id
    assert datetime(1970, 1, 1, tzinfo=UTC) <= saved.starts_at <= saved.due_at < datetime(2101, 1, 1, tzinfo=UTC)
    assert store.integrity_problems() == []


@SETTINGS
@given(name=TEXT, email=TEXT, phone=TEXT, company=TEXT, owner_id=HOSTILE_INTS)
def test_contact_writes_save_exactly_or_refuse_cleanly(shared, name, email, phone, company, owner_id):
    store, admin, *_ = shared
    before = footprint(store)
    try:
        contact = store.create_contact(admin, ContactDraft(name, email, phone, company, owner_id))
    except DuplicateContact:
        assert footprint(store) == before
        return
    except ValidationError as error:
        refused_cleanly(store, before, error)
        return
    saved = store.get_contact(admin, contact.id)
    assert saved.name == clean_text(name)
    assert (saved.email or "") == clean_text(email).lower()
    assert (saved.phone or "") == clean_text(phone)
    assert (saved.company_name or "").lower() == clean_text(company).lower()  # companies are shared by name
    assert saved.owner_id == owner_id


@SETTINGS
@given(name=TEXT, email=TEXT, phone=TEXT, company=TEXT)
def test_contact_edits_save_exactly_or_refuse_cleanly(shared, name, email, phone, company):
    store, admin, seller, contact, _ = shared
    before, shown = footprint(store), store.get_contact(admin, contact.id)
    try:
        store.update_contact(seller, contact.id, ContactDraft(name, email, phone, company), expected=shown)
    except DuplicateContact:
        assert footprint(store) == before
        return
    except ValidationError as error:
        refused_cleanly(store, before, error)
        assert store.get_contact(admin, contact.id) == shown
        return
    saved = store.get_contact(admin, contact.id)
    assert (saved.name, saved.email or "", saved.phone or "") == (clean_text(name), clean_text(email).lower(),
                                                                   clean_text(phone))


@SETTINGS
@given(name=TEXT, stage=st.sampled_from(["Prospecto", "Ganada", "", "Perdida ", "ganada"]), amount=NUMBERS,
       contact_id=HOSTILE_INTS)
def test_opportunity_writes_save_exactly_or_refuse_cleanly(shared, name, stage, amount, contact_id):
    store, admin, _, contact, _ = shared
    before = footprint(store)
    target = contact.id if contact_id is None else contact_id
    try:
        created = store.create_opportunity(admin, OpportunityDraft(name, target, stage, amount))
    except ValidationError as error:
        refused_cleanly(store, before, error)
        return
    saved = next(o for o in store.opportunities_for_contact(admin, target) if o.id == created.id)
    assert saved.name == clean_text(name) and saved.stage == stage
    assert math.isclose(saved.amount, round(float(amount or 0), 2))


@SETTINGS
@given(name=TEXT, email=TEXT, role=st.sampled_from(["admin", "seller", "analyst", "jefe", ""]),
       password=st.one_of(st.none(), TEXT), zone=ZONES)
def test_user_writes_save_exactly_or_refuse_cleanly(shared, name, email, role, password, zone):
    store, admin, *_ = shared
    before = footprint(store)
    try:
        user = store.create_user(admin, UserDraft(name, email, role, password, zone))
    except ValidationError as error:
        refused_cleanly(store, before, error)
        return
    saved = store.get_user(user.id)
    assert (saved.name, saved.email, saved.role, saved.time_zone) == (clean_text(name), clean_text(email).lower(),
                                                                       role, zone)


@SETTINGS
@given(days=st.integers(min_value=-800_000, max_value=3_000_000),
       zone=st.sampled_from(["America/Mexico_City", "Asia/Kolkata", "Pacific/Kiritimati", "UTC"]))
def test_item_dates_far_from_now_are_refused_in_spanish(shared, days, zone):
    store, _, seller, contact, _ = shared
    try:
        start = datetime(2026, 3, 2) + timedelta(days=days)
    except OverflowError:
        return
    assume(not datetime(1969, 12, 30) <= start <= datetime(2101, 1, 2))  # clearly outside, in any zone
    before = footprint(store)
    with pytest.raises(ValidationError) as raised:
        store.create_item(seller, ItemDraft(Kind.TASK, "Fecha lejana", contact.id, start, time_zone=zone))
    refused_cleanly(store, before, raised.value)
    assert raised.value.errors == {"start": "La fecha debe estar entre 1970 y 2100."}


@SETTINGS
@given(name=TEXT, description=TEXT, start=MOMENTS, zone=ZONES, status=st.sampled_from([*Status, "Cancelada"]),
       mode=st.sampled_from([*ResponsibleMode, "Jefe"]), responsible_id=HOSTILE_INTS)
def test_item_edits_save_exactly_or_refuse_cleanly(shared, name, description, start, zone, status, mode,
                                                   responsible_id):
    store, admin, seller, contact, _ = shared
    item = store.create_item(seller, ItemDraft(Kind.TASK, "Para editar", contact.id, datetime(2026, 5, 1, 9)))
    before = footprint(store)
    try:
        store.update_item(seller, item.id, ItemDraft(Kind.TASK, name, contact.id, start, None, None, mode,
                                                     responsible_id, None, description, status, zone), expected=item)
    except ValidationError as error:
        refused_cleanly(store, before, error)
        assert store.get_item(admin, item.id) == item
        return
    saved = store.get_item(admin, item.id)
    assert (saved.name, saved.description, saved.status) == (clean_text(name), clean_text(description), status)


@SETTINGS
@given(name=TEXT, role=st.sampled_from(["admin", "seller", "analyst", "jefe"]), zone=ZONES,
       password=st.one_of(st.none(), TEXT))
def test_user_edits_save_exactly_or_refuse_cleanly(shared, name, role, zone, password):
    store, admin, *_ = shared
    target = store.get_user(2)
    before = footprint(store)
    try:
        store.update_user(admin, target.id, name=name, role=role, time_zone=zone, password=password or None,
                          expected=target)
    except ValidationError as error:
        refused_cleanly(store, before, error)
        assert store.get_user(target.id) == target
        return
    saved = store.get_user(target.id)
    assert (saved.name, saved.role, saved.time_zone) == (clean_text(name), role, zone)
    store.update_user(admin, target.id, name=target.name, role=target.role, time_zone=target.time_zone)  # as it was
