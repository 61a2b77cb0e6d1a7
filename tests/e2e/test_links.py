"""Shared links: opened signed out they show the sign-in form (in Spanish, no "Page not
found"), and signing in lands on exactly that page with its query; a page the role cannot
open explains so in Spanish."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CONTACT_IDS, SELLER, screenshot, sign_in, wait_for_app


def no_english_dialog(page) -> None:
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_a_contact_link_opened_signed_out_lands_on_the_contact_after_sign_in(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-MX")
    page = context.new_page()
    page.set_default_timeout(20_000)
    contact_id = CONTACT_IDS["Contacto Tablero"]
    page.goto(f"{app_url}/contactos?contacto={contact_id}")
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    wait_for_app(page)
    no_english_dialog(page)
    screenshot(page, "enlace-sin-sesion")
    sign_in(page, SELLER)
    expect(page.get_by_role("heading", name="Contacto Tablero")).to_be_visible()
    assert page.url == f"{app_url}/contactos?contacto={contact_id}"
    no_english_dialog(page)
    context.close()


def test_a_filtered_tablero_link_keeps_its_filters_through_sign_in(page, app_url):
    page.goto(f"{app_url}/tablero?kind=tareas&states=Vencida")
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    no_english_dialog(page)
    sign_in(page, "admin@escala.demo")
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
    wait_for_app(page)
    assert "kind=tareas" in page.url and "states=Vencida" in page.url
    expect(page.get_by_test_id("stSidebar").get_by_role("radio", name="Tareas")).to_be_checked()


@pytest.mark.parametrize("path, title", [("usuarios", "Usuarios")])
def test_a_page_the_role_cannot_open_explains_in_spanish(seller_page, app_url, path, title):
    page = seller_page
    page.goto(f"{app_url}/{path}")
    expect(page.get_by_text(f"Tu rol (Vendedor) no tiene acceso a «{title}»")).to_be_visible()
    no_english_dialog(page)
    page.get_by_role("link", name="Ir a Mi agenda").click()
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()


@pytest.mark.parametrize("email, landing, heading", [("admin@escala.demo", "tablero", "Tablero"),
                                                     (SELLER, "agenda", "Mi agenda")])
def test_each_roles_landing_page_answers_its_own_address(page, app_url, email, landing, heading):
    """The landing page is not Streamlit's default page (served only at "/"), so its own
    address works too: "/" leads to it, and "/tablero" for an admin is the Tablero itself."""
    sign_in(page, email)
    page.wait_for_url(f"{app_url}/{landing}")  # "/" led to the landing page's own address
    page.goto(f"{app_url}/{landing}")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    wait_for_app(page)
    no_english_dialog(page)
    assert page.url == f"{app_url}/{landing}"
