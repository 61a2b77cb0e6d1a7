"""A name typed as Markdown or HTML shows as typed everywhere: no image fetched, no live link."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, CONTACT_IDS, HOSTILE_NAME, screenshot, wait_for_app

TRAP = "127.0.0.1:9"  # nothing listens there: any request to it means the name was rendered
# As typed; Markdown contexts may hold invisible word joiners that keep the URL from autolinking.
AS_TYPED = re.compile("^" + r"\u2060?".join("." if ch == '"' else "\\" + ch if ch in r"\^$.|?*+()[]{}/" else ch
                                           for ch in HOSTILE_NAME) + "$")  # (in a form Playwright's selectors parse)


def _nothing_rendered(page) -> None:
    expect(page.locator(f'img[src*="{TRAP}"]')).to_have_count(0)
    expect(page.locator(f'a[href*="{TRAP}"]')).to_have_count(0)


def test_a_hostile_name_is_shown_literally_in_profile_list_agenda_and_charts(seller_page, app_url):
    page = seller_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if TRAP in request.url else None)

    wait_for_app(page)  # Mi agenda: the hostile tasks are the oldest overdue ones
    expect(page.get_by_text(AS_TYPED).first).to_be_visible()
    _nothing_rendered(page)
    screenshot(page, "literal-agenda")

    page.goto(f"{app_url}/contactos?contacto={CONTACT_IDS[HOSTILE_NAME]}")
    expect(page.get_by_role("heading", name=AS_TYPED)).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_text(AS_TYPED).first).to_be_visible()  # a task row
    _nothing_rendered(page)
    screenshot(page, "literal-profile")

    page.get_by_role("link", name="Contactos").first.click()
    page.get_by_label("Buscar").fill("track")
    page.get_by_label("Buscar").press("Enter")
    expect(page.get_by_role("link", name=AS_TYPED)).to_be_visible()
    wait_for_app(page)
    _nothing_rendered(page)
    screenshot(page, "literal-contactos")

    page.goto(f"{app_url}/tablero")
    expect(page.get_by_role("heading", name="Oportunidades con más trabajo pendiente")).to_be_visible()
    wait_for_app(page)
    charts = page.locator(".js-plotly-plot")
    expect(charts.first).to_be_visible()
    expect(charts.locator("text", has_text=f"{HOSTILE_NAME} · Propuesta").first).to_be_attached()
    expect(charts.locator(f'a[href*="{TRAP}"]')).to_have_count(0)
    expect(charts.locator("b")).to_have_count(0)
    _nothing_rendered(page)
    screenshot(page, "literal-tablero")
    opportunities = charts.nth(2)
    opportunities.scroll_into_view_if_needed()
    opportunities.screenshot(path=str(ARTIFACTS / "literal-tablero-oportunidades.png"))
    assert requests == []
