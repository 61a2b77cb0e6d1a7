"""Mi agenda pages through every group; the menu's "Contactos" leaves a profile for the list."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import AGENDA_CONTACT, AGENDA_OVERDUE, CONTACT_IDS, screenshot, wait_for_app
from tests.e2e.test_workflow import skip_next_step


def test_every_overdue_item_can_be_reached_page_by_page(seller_page):
    page = seller_page
    wait_for_app(page)
    panel = page.get_by_role("tabpanel").first  # Vencidas
    last = f"Vencida de agenda {AGENDA_OVERDUE:02d}"
    expect(panel.get_by_text(last, exact=True)).to_have_count(0)  # not on the first page
    pagination = panel.get_by_test_id("stPagination")
    pagination.get_by_role("button").filter(has_text=re.compile(r"^\d+$")).last.click()
    wait_for_app(page)
    expect(panel.get_by_text(last, exact=True)).to_be_visible()
    screenshot(page, "agenda-last-page")


def test_the_menus_contactos_opens_the_list_from_a_profile(seller_page, app_url):
    page = seller_page
    page.goto(f"{app_url}/contactos?contacto={CONTACT_IDS[AGENDA_CONTACT]}")
    expect(page.get_by_role("heading", name=AGENDA_CONTACT, exact=True)).to_be_visible()
    wait_for_app(page)
    page.get_by_role("button", name="Realizada").first.click()  # an ordinary rerun stays on the profile
    skip_next_step(page)
    expect(page.get_by_role("heading", name=AGENDA_CONTACT, exact=True)).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Contactos").click()
    expect(page.get_by_role("heading", name="Contactos", exact=True)).to_be_visible()
    expect(page.get_by_label("Buscar")).to_be_visible()
    wait_for_app(page)
    assert "contacto=" not in page.url
    page.reload()  # and the address bar no longer names the profile
    expect(page.get_by_label("Buscar")).to_be_visible()
    screenshot(page, "contactos-from-menu")
