"""Contact search and sort ignore case and accents, the way a Spanish reader expects."""

from __future__ import annotations

import pytest

from escala.domain import ContactDraft
from tests.conftest import make_user

NAMES = ["Ricardo Pérez", "Óscar Núñez", "oscar Álvarez", "Alejandro García", "Beatriz GARCÍA", "Ñoño Ramírez",
         "Nadia Ortega", "Zoe 50% Uribe"]


@pytest.fixture
def admin(store):
    admin = make_user(store, "Admin Uno", "admin@example.com", "admin")
    for number, name in enumerate(NAMES):
        company = "Pañales Éxito" if number == 0 else ""
        store.create_contact(admin, ContactDraft(name, f"c{number}@ejemplo.com", company=company))
    return admin


def names(store, admin, search="", sort="name") -> list[str]:
    return [row.name for row in store.contact_summaries(admin, search, sort)[0]]


@pytest.mark.parametrize("search", ["garcia", "GARCÍA", "García", "garcía", " Garcia "])
def test_search_ignores_accents_and_case(store, admin, search):
    assert names(store, admin, search) == ["Alejandro García", "Beatriz GARCÍA"]
    assert [c.name for c in store.list_contacts(admin, search)] == ["Alejandro García", "Beatriz GARCÍA"]


@pytest.mark.parametrize("search, expected", [
    ("oscar", ["oscar Álvarez", "Óscar Núñez"]),
    ("exito", ["Ricardo Pérez"]),  # by company
    ("PANALES", ["Ricardo Pérez"]),
    ("C3@EJEMPLO", ["Alejandro García"]),  # by email
    ("50%", ["Zoe 50% Uribe"]),  # the text is literal, not a LIKE pattern
    ("_", []),
])
def test_search_matches_name_email_or_company_literally(store, admin, search, expected):
    assert names(store, admin, search) == expected
    assert store.contact_summaries(admin, search)[1] == len(expected)


def test_names_sort_in_spanish_order_ignoring_case_and_accents(store, admin):
    assert names(store, admin) == ["Alejandro García", "Beatriz GARCÍA", "Nadia Ortega", "Ñoño Ramírez",
                                   "oscar Álvarez", "Óscar Núñez", "Ricardo Pérez", "Zoe 50% Uribe"]
    assert [c.name for c in store.list_contacts(admin)] == names(store, admin)


def test_company_sort_ignores_accents_and_puts_contacts_without_one_last(store, admin):
    sorted_by_company = names(store, admin, sort="company")
    assert sorted_by_company[0] == "Ricardo Pérez"
    assert sorted_by_company[1:] == sorted(sorted_by_company[1:], key=lambda n: names(store, admin).index(n))
