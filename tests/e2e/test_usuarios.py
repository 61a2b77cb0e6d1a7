"""Usuarios in the browser: an admin creates a user, who can then sign in."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in, wait_for_app


def test_admin_creates_a_user_who_can_sign_in(page, browser, app_url):
    sign_in(page, "admin@escala.demo")
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
    page.get_by_role("link", name="Usuarios").click()
    expect(page.get_by_role("heading", name="Usuarios", exact=True)).to_be_visible()
    wait_for_app(page)
    page.get_by_role("button", name="Nuevo usuario").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Nuevo usuario")).to_be_visible()
    dialog.get_by_label("Nombre").fill("Renata Nueva Vendedora")
    dialog.get_by_label("Correo electrónico").fill("renata@escala.demo")
    dialog.get_by_label("Contraseña", exact=True).fill("corta")
    dialog.get_by_role("button", name="Crear").click()
    expect(dialog.get_by_text("La contraseña debe tener al menos 8 caracteres.")).to_be_visible()
    dialog.get_by_label("Contraseña", exact=True).fill("una-clave-larga")
    dialog.get_by_role("button", name="Crear").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text("Usuario creado")).to_be_visible()

    other = browser.new_context().new_page()
    other.goto(app_url)
    sign_in(other, "renata@escala.demo", "una-clave-larga")
    expect(other.get_by_role("heading", name="Mi agenda")).to_be_visible()
    other.context.close()
