"""A reminder falling due while Mi agenda stays open: a toast, and the bell counts it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import new_tab, screenshot, sign_in, wait_for_app
from tests.e2e.test_workflow import choose, open_contact, open_popup, set_datetime, submit


def test_a_reminder_set_in_another_tab_shows_a_toast_in_the_open_agenda(browser, app_url, seller_page):
    seller = seller_page  # on Mi agenda, left alone from here on
    wait_for_app(seller)
    expect(seller.get_by_text("Recordatorio: Llamar antes del cierre")).to_have_count(0)
    soon = datetime.now(ZoneInfo("America/Mexico_City")) + timedelta(minutes=10)  # the seller's zone
    with new_tab(browser) as admin:
        admin.goto(app_url)
        sign_in(admin, "admin@escala.demo")
        expect(admin.get_by_role("heading", name="Tablero")).to_be_visible()
        open_contact(admin, "Contacto Aviso")  # the seller's: Dueño del contacto is the seller
        dialog = open_popup(admin, "nueva_tarea", "Nueva tarea")
        dialog.get_by_label("Nombre").fill("Llamar antes del cierre")
        set_datetime(dialog, "Fecha", soon)
        choose(dialog, "Recordatorio", "15 minutos antes")  # so it is due already
        submit(dialog, "Crear", "Tarea creada")
    # the agenda's timer (every 30 s) finds it: no click in this tab
    toast = seller.get_by_test_id("stToast").filter(has_text="Recordatorio: Llamar antes del cierre")
    expect(toast).to_be_visible(timeout=60_000)
    screenshot(seller, "recordatorio")
    bell = seller.get_by_role("button", name="Avisos")
    bell.click()
    expect(seller.get_by_test_id("stPopoverBody").get_by_text("Llamar antes del cierre")).to_be_visible()
