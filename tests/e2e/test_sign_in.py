"""The app as a person meets it: health check, sign-in, role landing page, sign-out."""

from __future__ import annotations

import urllib.request

from playwright.sync_api import expect

from escala import demo
from tests.e2e.conftest import screenshot


def sign_in(page, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()


def test_health_endpoint_answers_ok(app_url):
    with urllib.request.urlopen(f"{app_url}/_stcore/health", timeout=5) as answer:
        assert answer.read() == b"ok"


def test_sign_in_shows_the_demo_accounts_then_lands_the_seller(page):
    expect(page.get_by_text("Datos de demostración.")).to_be_visible()
    expect(page.get_by_label("Correo electrónico")).to_be_editable()
    screenshot(page, "sign-in")
    sign_in(page, "vendedor1@escala.demo")
    expect(page.get_by_role("heading", name="Inicio")).to_be_visible()
    expect(page.get_by_text("Tu rol es Vendedor")).to_be_visible()
    screenshot(page, "inicio-vendedor")


def test_wrong_password_is_refused_in_spanish(page):
    sign_in(page, "admin@escala.demo", "no-es-esta")
    expect(page.get_by_text("Correo electrónico o contraseña incorrectos.")).to_be_visible()
    expect(page.get_by_role("heading", name="Inicio")).to_have_count(0)


def test_sign_out_returns_to_the_form(page):
    sign_in(page, "admin@escala.demo")
    expect(page.get_by_text("Tu rol es Administrador")).to_be_visible()
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
