"""WCAG 2.1 AA, checked by axe-core in Chromium (es-MX): every page of every role, each in the
light and the dark theme, and the popups, lists and pickers a user opens on top of them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.accessibility import POPUP_PARTS, assert_accessible
from tests.e2e.conftest import CONTACT_IDS, MENU_PAGES, URL_PATHS, new_tab, role_of, screenshot, wait_for_app
from tests.e2e.test_workflow import choose, open_popup

PROFILE = "Contacto Actividades"
ADMIN, SELLER = "admin@escala.demo", "vendedor1@escala.demo"


@pytest.fixture
def opened(tab_as, app_url):
    """``opened(email, path, heading)``: that role's tab at ``path``, drawn to the end, with no
    error on it."""
    def open_(email, path, heading):
        page = tab_as(email)
        page.goto(f"{app_url}/{path}")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        wait_for_app(page)
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0)  # drawn to the end
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(page.get_by_text("Algo salió mal")).to_have_count(0)
        return page
    return open_


def test_the_sign_in_page_has_no_violations(browser, app_url):
    with new_tab(browser) as page:
        page.goto(app_url)
        expect(page.get_by_label("Correo electrónico")).to_be_visible()
        assert_accessible(page)


@pytest.mark.parametrize(("email", "title"), MENU_PAGES, ids=[f"{role_of(e)}-{t}" for e, t in MENU_PAGES])
def test_every_page_of_every_role_opens_without_errors_or_violations(opened, email, title):
    page = opened(email, URL_PATHS[title], title)
    screenshot(page, f"pagina-{role_of(email)}-{title.lower().replace(' ', '-')}")
    assert_accessible(page)


@pytest.mark.parametrize("email", [SELLER, "analista@escala.demo"])
def test_a_contacts_profile_has_no_violations(opened, email):
    page = opened(email, f"contactos?contacto={CONTACT_IDS[PROFILE]}", PROFILE)
    assert_accessible(page)


POPUPS = {
    # what is open: (who, where, heading, how to open it)
    "nueva-actividad": (SELLER, "contactos?contacto={profile}", PROFILE,
                        lambda page: open_popup(page, "nueva_actividad", "Nueva actividad")),
    "nueva-tarea-repetida": (SELLER, "contactos?contacto={profile}", PROFILE,
                             lambda page: _weekly_task(page)),
    "lista-tipo": (SELLER, "contactos?contacto={profile}", PROFILE,
                   lambda page: _open_list(open_popup(page, "nueva_actividad", "Nueva actividad"), "Tipo")),
    "calendario-fecha": (SELLER, "contactos?contacto={profile}", PROFILE,
                         lambda page: _open_date_picker(open_popup(page, "nueva_tarea", "Nueva tarea"))),
    "nueva-rapida": (SELLER, "agenda", "Mi agenda",
                     lambda page: open_popup(page, "nueva_agenda", "Nueva actividad o tarea")),
    "editar": (SELLER, "agenda", "Mi agenda", lambda page: _first_item_button(page, "Editar", "dialog")),
    "posponer": (SELLER, "agenda", "Mi agenda", lambda page: _first_item_button(page, "Posponer", "stPopoverBody")),
    "historial": (SELLER, "agenda", "Mi agenda", lambda page: _first_item_button(page, "Historial", "dialog")),
    "eliminar": (SELLER, "agenda", "Mi agenda", lambda page: _first_item_button(page, "Eliminar", "stPopoverBody")),
    "nuevo-contacto": (SELLER, "contactos", "Contactos", lambda page: _button_dialog(page, "Nuevo contacto")),
    "nueva-oportunidad": (SELLER, "contactos?contacto={profile}", PROFILE,
                          lambda page: _button_dialog(page, "Nueva oportunidad")),
    "cambiar-dueno": (ADMIN, "contactos?contacto={profile}", PROFILE,
                      lambda page: _popover(page, "Cambiar dueño")),
    "avisos": (SELLER, "agenda", "Mi agenda", lambda page: _popover(page, "Avisos")),
    "preferencias": (SELLER, "agenda", "Mi agenda", lambda page: _popover(page, "Preferencias")),
    "nuevo-usuario": (ADMIN, "usuarios", "Usuarios", lambda page: _button_dialog(page, "Nuevo usuario")),
    "filtros-tablero": (ADMIN, "tablero", "Tablero", lambda page: _open_list(page.get_by_test_id("stSidebar"),
                                                                             "Responsable")),
}


def _open_list(scope, label):
    scope.get_by_role("combobox", name=label).click()
    if not scope.page.get_by_role("listbox").is_visible():  # a multiselect opens on the arrow key
        scope.page.keyboard.press("ArrowDown")
    expect(scope.page.get_by_role("listbox")).to_be_visible()


def _weekly_task(page):
    dialog = open_popup(page, "nueva_tarea", "Nueva tarea")
    choose(dialog, "Repetir", "Cada semana")
    expect(dialog.get_by_text("Los días")).to_be_visible()


def _open_date_picker(dialog):
    dialog.get_by_role("button", name="Choose date and time").click()
    expect(dialog.page.get_by_role("grid")).to_be_visible()


def _first_item_button(page, name, opens):
    page.get_by_role("button", name=name).first.click()
    target = page.get_by_role("dialog") if opens == "dialog" else page.get_by_test_id(opens).first
    expect(target).to_be_visible()
    wait_for_app(page)


def _popover(page, name):
    page.get_by_role("button", name=name).first.click()
    expect(page.get_by_test_id("stPopoverBody").first).to_be_visible()
    wait_for_app(page)


def _button_dialog(page, name):
    page.get_by_role("button", name=name).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    wait_for_app(page)


@pytest.mark.parametrize("popup", list(POPUPS))
def test_every_popup_has_no_violations(opened, popup):
    email, path, heading, open_it = POPUPS[popup]
    path = path.format(profile=CONTACT_IDS[PROFILE])  # known once the app's database exists
    page = opened(email, path, heading)
    open_it(page)
    assert_accessible(page, within=POPUP_PARTS)  # the page beneath is checked on its own above
