"""The phone layout (390 × 844, touch): every page of every role chosen from the menu, which
then closes; nothing scrolls sideways; what is tapped is at least 44 px high; a screenshot of
each (telefono-<role>-<page>.png) to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CONTACT_IDS, MENU_PAGES, role_of, screenshot, wait_for_app
from tests.e2e.test_workflow import open_popup

PHONE = {"width": 390, "height": 844}
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


@pytest.mark.parametrize(("email", "title"), MENU_PAGES, ids=[f"{role_of(e)}-{t}" for e, t in MENU_PAGES])
def test_on_a_phone_every_page_fits_and_the_menu_closes(tab_as, app_url, email, title):
    page = tab_as(email, viewport=PHONE, has_touch=True)
    page.goto(app_url)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_have_attribute("data-collapsed", "true")  # closed at first
    wait_for_app(page)
    page.get_by_test_id("stExpandSidebarButton").click()
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
    screenshot(page, f"telefono-{role_of(email)}-{title.lower().replace(' ', '-')}")


@pytest.mark.parametrize(("key", "title"), [("nueva_actividad", "Nueva actividad"), ("nueva_tarea", "Nueva tarea")])
def test_on_a_phone_the_item_popups_fit_the_thumb(tab_as, app_url, key, title):
    page = tab_as("vendedor1@escala.demo", viewport=PHONE, has_touch=True)
    page.goto(f"{app_url}/contactos?contacto={CONTACT_IDS['Contacto Actividades']}")
    expect(page.get_by_role("heading", name="Contacto Actividades")).to_be_visible()
    wait_for_app(page)
    dialog = open_popup(page, key, title)
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    inside = page.evaluate(TARGETS.replace("document.querySelectorAll",
                                           "document.querySelector('[role=dialog]').querySelectorAll"))
    assert any(t["name"] == "Crear" for t in inside), inside
    small = [t for t in inside if t["height"] < TAP]
    assert not small, f"tap targets under {TAP} px: {small}"
    beyond = [t for t in inside if t["right"] > PHONE["width"]]
    assert not beyond, f"past the right edge: {beyond}"
    screenshot(page, f"telefono-vendedor-{key.replace('_', '-')}")
