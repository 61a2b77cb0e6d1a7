"""Each role's menu, as that role: exactly its pages, and the sidebar's tools for whoever has
work. (Every page drawn without an error, with a screenshot of each, is checked together
with its accessibility in test_accessibility.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import MENUS, role_of, wait_for_app


@pytest.mark.parametrize("email", list(MENUS), ids=role_of)
def test_each_role_sees_its_menu_and_its_tools(tab_as, app_url, email):
    page = tab_as(email)
    page.goto(app_url)
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link")).to_have_count(len(MENUS[email]))
    for title in MENUS[email]:
        expect(nav.get_by_role("link", name=title, exact=True)).to_be_visible()
    wait_for_app(page)
    if role_of(email) != "analista":  # the bell and the preferences: for whoever has work
        page.get_by_role("button", name="Avisos").click()
        expect(page.get_by_test_id("stPopoverBody").first).to_be_visible()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Preferencias").click()
        expect(page.get_by_text("Recordatorio predeterminado")).to_be_visible()
    else:
        expect(page.get_by_role("button", name="Avisos")).to_have_count(0)
        expect(page.get_by_role("button", name="Nueva")).to_have_count(0)
