"""The phone layout (390 × 844, touch): every page of every role chosen from the menu, which
then closes; nothing scrolls sideways; what is tapped is at least 44 px high; a screenshot of
each (telefono-<role>-<page>.png) to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CONTACT_IDS, screenshot, sign_in, wait_for_app
from tests.e2e.test_every_page import MENUS
from tests.e2e.test_workflow import open_popup

PHONE = {"width": 390, "height": 844}
PAGES = [(email, title) for email, titles in MENUS.items() for title in titles]
TAP = 44

# Everything a thumb taps, with its size and a name to report; links inside a sentence are
# exempt (WCAG's inline exception).
TARGETS = """() => [...document.querySelectorAll(
    'button, a, input:not([type=radio]):not([type=checkbox]), [role=combobox], label:has(> input[type=radio]), label:has(input[type=checkbox])')]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .filter(e => { const r = e.getBoundingClientRect(); return r.width > 1 && r.height > 1; })  // shown only on focus
  .filter(e => !e.closest('[data-testid=stHeaderActionElements]'))  // a heading's anchor: shown on hover
  .filter(e => !e.closest('p, li, [data-testid=stSidebar][data-collapsed=true], iframe, [aria-hidden=true]'))
  .map(e => { const r = e.getBoundingClientRect();
              return {name: (e.getAttribute('aria-label') || e.innerText || e.outerHTML.slice(0, 80)).trim().slice(0, 40),
                      height: Math.round(r.height), right: Math.round(r.right)}; })"""
WIDTHS = """() => { const main = document.querySelector('[data-testid=stMain]');
  return {page: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
          main: main.scrollWidth, mainClient: main.clientWidth}; }"""


@pytest.mark.parametrize(("email", "title"), PAGES, ids=[f"{e.split('@')[0]}-{t}" for e, t in PAGES])
def test_on_a_phone_every_page_fits_and_the_menu_closes(browser, app_url, email, title):
    context = browser.new_context(viewport=PHONE, locale="es-MX", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(app_url)
        sign_in(page, email)
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")  # closed at first
        wait_for_app(page)
        page.get_by_test_id("stExpandSidebarButton").click()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_have_attribute("data-collapsed", "false")
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
        expect(sidebar).to_have_attribute("data-collapsed", "true")  # the menu closed by itself
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        wait_for_app(page)
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
        widths = page.evaluate(WIDTHS)
        assert widths["page"] <= widths["client"] and widths["main"] <= widths["mainClient"], widths
        targets = page.evaluate(TARGETS)
        assert any(t["name"] == "Expand sidebar" for t in targets), targets  # the menu's button, at least
        small = [t for t in targets if t["height"] < TAP]
        assert not small, f"tap targets under {TAP} px: {small}"
        beyond = [t for t in targets if t["right"] > PHONE["width"]]
        assert not beyond, f"past the right edge: {beyond}"
        screenshot(page, f"telefono-{email.split('@')[0].rstrip('0123456789')}-{title.lower().replace(' ', '-')}")
    finally:
        context.close()


@pytest.mark.parametrize(("key", "title"), [("nueva_actividad", "Nueva actividad"), ("nueva_tarea", "Nueva tarea")])
def test_on_a_phone_the_item_popups_fit_the_thumb(browser, app_url, key, title):
    context = browser.new_context(viewport=PHONE, locale="es-MX", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        page.goto(app_url)
        sign_in(page, "vendedor1@escala.demo")
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
        page.goto(f"{app_url}/contactos?contacto={CONTACT_IDS['Contacto Actividades']}")
        wait_for_app(page)
        dialog = open_popup(page, key, title)
        box = dialog.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        inside = [t for t in page.evaluate(TARGETS.replace("document.querySelectorAll", "document.querySelector("
                                                           "'[role=dialog]').querySelectorAll"))]
        assert any(t["name"] == "Crear" for t in inside), inside
        small = [t for t in inside if t["height"] < TAP]
        assert not small, f"tap targets under {TAP} px: {small}"
        beyond = [t for t in inside if t["right"] > PHONE["width"]]
        assert not beyond, f"past the right edge: {beyond}"
        screenshot(page, f"telefono-vendedor-{key.replace('_', '-')}")
    finally:
        context.close()
