"""Every page of each role's menu, opened in the browser as that role: no error, no traceback,
and a screenshot of each to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import new_tab, screenshot, sign_in, wait_for_app

MENUS = {
    "admin@escala.demo": ["Tablero", "Mi agenda", "Calendario", "Contactos", "Exportar", "Usuarios"],
    "analista@escala.demo": ["Tablero", "Contactos", "Exportar"],
    "vendedor1@escala.demo": ["Mi agenda", "Tablero", "Calendario", "Contactos", "Exportar"],
}


@pytest.mark.parametrize("email", list(MENUS))
def test_every_page_of_the_menu_opens_without_an_error(browser, app_url, email):
    role = email.split("@")[0].rstrip("0123456789")
    with new_tab(browser) as page:
        page.goto(app_url)
        sign_in(page, email)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link")).to_have_count(len(MENUS[email]))
        for title in MENUS[email]:
            nav.get_by_role("link", name=title).click()
            expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
            wait_for_app(page)
            expect(page.get_by_test_id("stSkeleton")).to_have_count(0)  # drawn to the end
            expect(page.get_by_test_id("stException")).to_have_count(0)
            expect(page.get_by_text("Algo salió mal")).to_have_count(0)
            screenshot(page, f"pagina-{role}-{title.lower().replace(' ', '-')}")
        if role != "analista":  # the bell and the preferences: for whoever has work
            page.get_by_role("button", name="Avisos").click()
            expect(page.get_by_test_id("stPopoverBody").first).to_be_visible()
            page.keyboard.press("Escape")
            page.get_by_role("button", name="Preferencias").click()
            expect(page.get_by_text("Recordatorio predeterminado")).to_be_visible()
        else:
            expect(page.get_by_role("button", name="Avisos")).to_have_count(0)
            expect(page.get_by_role("button", name="Nueva")).to_have_count(0)
