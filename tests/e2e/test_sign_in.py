"""The app as a person meets it: health check, sign-in, role landing page, sign-out."""

from __future__ import annotations

import urllib.request

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in, wait_for_session_cookie


def test_health_endpoint_answers_ok(app_url):
    with urllib.request.urlopen(f"{app_url}/_stcore/health", timeout=5) as answer:
        assert answer.read() == b"ok"


def test_sign_in_shows_the_demo_accounts_then_lands_the_seller(page):
    expect(page.get_by_text("Datos de demostración.")).to_be_visible()
    expect(page.get_by_label("Correo electrónico")).to_be_editable()
    screenshot(page, "sign-in")
    sign_in(page, "vendedor1@escala.demo")
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()


def test_wrong_password_is_refused_in_spanish(page):
    sign_in(page, "admin@escala.demo", "no-es-esta")
    expect(page.get_by_text("Correo electrónico o contraseña incorrectos.")).to_be_visible()
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_have_count(0)


def test_sign_out_returns_to_the_form(page):
    sign_in(page, "admin@escala.demo")
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    page.reload()  # the session is over on the server, not just in this tab
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()


def test_a_reload_and_a_new_tab_keep_the_user_signed_in(page):
    sign_in(page, "vendedor1@escala.demo")
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()
    wait_for_session_cookie(page)
    page.reload()
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()
    second = page.context.new_page()
    second.goto(page.url)
    expect(second.get_by_role("heading", name="Mi agenda")).to_be_visible()
