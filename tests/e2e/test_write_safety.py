"""Two tabs of one browser: a tab signed out elsewhere cannot write, and a stale Editar popup
cannot undo the other tab's change."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import SELLER, screenshot, sign_in, wait_for_app, wait_for_session_cookie
from tests.e2e.test_workflow import item_row, open_contact


def second_tab(page):
    """Another tab of the same browser (same cookies), on the same address."""
    tab = page.context.new_page()
    tab.set_default_timeout(20_000)
    tab.goto(page.url)
    wait_for_app(tab)
    return tab


def sign_back_in(page) -> None:
    """Sign in again from the signed-out profile, and wait for the profile to come back."""
    sign_in(page, SELLER)
    expect(page.get_by_role("heading", name="Contacto Sesión")).to_be_visible()
    wait_for_session_cookie(page)
    wait_for_app(page)


def test_a_tab_signed_out_elsewhere_cannot_complete_or_delete(seller_page):
    page = seller_page
    open_contact(page, "Contacto Sesión")
    other = second_tab(page)
    expect(other.get_by_role("heading", name="Contacto Sesión")).to_be_visible()
    other.get_by_role("button", name="Cerrar sesión").click()
    expect(other.get_by_role("button", name="Ingresar")).to_be_visible()

    item_row(page, "Completar tras cerrar sesión").get_by_role("button", name="Realizada").click()
    expect(page.get_by_text("Tu sesión terminó; vuelve a ingresar.")).to_be_visible()
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    screenshot(page, "sesion-terminada")

    sign_back_in(page)  # nothing was written
    open_contact(page, "Contacto Sesión")
    expect(item_row(page, "Completar tras cerrar sesión").get_by_role("button", name="Realizada")).to_be_visible()

    other.goto(page.url)
    expect(other.get_by_role("heading", name="Contacto Sesión")).to_be_visible()  # the new session, in both tabs
    other.get_by_role("button", name="Cerrar sesión").click()
    expect(other.get_by_role("button", name="Ingresar")).to_be_visible()
    row = item_row(page, "Eliminar tras cerrar sesión")
    row.get_by_role("button", name="Eliminar").click()
    page.get_by_role("button", name="Sí, eliminar").click()
    expect(page.get_by_text("Tu sesión terminó; vuelve a ingresar.")).to_be_visible()
    sign_back_in(page)
    open_contact(page, "Contacto Sesión")
    expect(page.get_by_text("Eliminar tras cerrar sesión", exact=True)).to_be_visible()


def test_a_stale_edit_popup_is_refused_and_overwrites_nothing(seller_page):
    page = seller_page
    open_contact(page, "Contacto Concurrencia")
    other = second_tab(page)
    for tab in (page, other):
        expect(tab.get_by_role("heading", name="Contacto Concurrencia")).to_be_visible()
        item_row(tab, "Editada en dos pestañas").get_by_role("button", name="Editar").click()
        expect(tab.get_by_role("dialog").get_by_label("Nombre")).to_have_value("Editada en dos pestañas")

    first = page.get_by_role("dialog")
    first.get_by_label("Nombre").fill("Renombrada en la pestaña A")
    first.get_by_role("button", name="Guardar").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text("Renombrada en la pestaña A", exact=True)).to_be_visible()

    second = other.get_by_role("dialog")
    second.get_by_label("Descripción").fill("Solo cambio la descripción")
    second.get_by_role("button", name="Guardar").click()
    expect(second.get_by_text("Otra persona cambió esto mientras lo editabas; revisa y guarda de nuevo.")).to_be_visible()
    screenshot(other, "edicion-obsoleta")

    page.reload()
    expect(page.get_by_text("Renombrada en la pestaña A", exact=True)).to_be_visible()
    expect(page.get_by_text("Solo cambio la descripción")).to_have_count(0)
