"""The app as a person meets it: sign-in on the server (HttpOnly cookie), role landing page,
deep links right after signing in, sign-out."""

from __future__ import annotations

import urllib.request

from playwright.sync_api import expect

from tests.e2e.conftest import CONTACT_IDS, SELLER, screenshot, session_cookie, sign_in


def test_health_endpoint_answers_ok(app_url):
    with urllib.request.urlopen(f"{app_url}/_escala/health", timeout=5) as answer:
        assert answer.read() == b"ok"


def test_sign_in_shows_the_demo_accounts_then_lands_the_seller(page):
    expect(page.get_by_text("Datos de demostración.")).to_be_visible()
    expect(page.get_by_label("Correo electrónico")).to_be_editable()
    screenshot(page, "sign-in")
    sign_in(page, "vendedor1@escala.demo")
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()


def test_the_session_cookie_is_httponly_and_lax_and_invisible_to_scripts(page):
    sign_in(page, SELLER)
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()
    cookie = session_cookie(page)
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert "escala_sesion" not in page.evaluate("document.cookie")


def test_a_deep_link_right_after_signing_in_is_signed_in_twenty_times_in_a_row(browser, app_url):
    contact_id = CONTACT_IDS["Contacto Tablero"]
    for _ in range(20):
        context = browser.new_context(locale="es-MX")
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(app_url)
        sign_in(page, SELLER)
        page.goto(f"{app_url}/contactos?contacto={contact_id}")  # at once: no waiting for the landing page
        expect(page.get_by_role("heading", name="Contacto Tablero")).to_be_visible()
        context.close()


def test_wrong_password_is_refused_in_spanish(page):
    sign_in(page, "admin@escala.demo", "no-es-esta")
    expect(page.get_by_text("Correo electrónico o contraseña incorrectos.")).to_be_visible()
    expect(page.get_by_label("Correo electrónico")).to_have_value("admin@escala.demo")
    assert session_cookie(page) is None


def test_sign_out_returns_to_the_form(page):
    sign_in(page, "admin@escala.demo")
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    assert session_cookie(page) is None  # cleared by the server
    page.reload()  # the session is over on the server, not just in this tab
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()


def test_a_reload_and_a_new_tab_keep_the_user_signed_in(page):
    sign_in(page, "vendedor1@escala.demo")
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()
    second = page.context.new_page()
    second.goto(page.url)
    expect(second.get_by_role("heading", name="Mi agenda")).to_be_visible()
