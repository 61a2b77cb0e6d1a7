"""Drill-down in the browser: clicking a bar of each clickable chart lists exactly the items
behind it (the count shown equals the bar's value), with no traceback, for every period."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in, wait_for_app

CLICKABLE = ["Por responsable", "Por tipo", "Oportunidades con más trabajo pendiente"]
FIRST_BAR = """chart => {  // the first bar with a value: its trace, its point and its value
    for (const [t, trace] of chart._fullData.entries()) {
        const values = trace.orientation === 'h' ? trace.x : trace.y;
        for (const [i, v] of Array.from(values).entries()) if (v > 0) return [t, i, v, trace.name];
    }
    return null;
}"""


def chart_under(page, title: str):
    """The Plotly chart that follows the heading ``title``."""
    heading = page.get_by_role("heading", name=title, exact=True)
    expect(heading).to_have_count(1)  # not while a rerun still shows the previous elements
    expect(heading).to_be_visible()
    return heading.locator("xpath=following::div[contains(@class, 'js-plotly-plot')][1]")


@pytest.mark.parametrize("period", ["Todo el historial", "Últimos 30 días"])
def test_every_clickable_chart_lists_the_items_behind_the_clicked_bar(page, period):
    sign_in(page, "admin@escala.demo")
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
    wait_for_app(page)
    if period != "Todo el historial":
        page.get_by_test_id("stSidebar").get_by_role("combobox", name=re.compile("Periodo")).click()
        page.get_by_role("option", name=period, exact=True).click()
        expect(page.get_by_test_id("stMetricDelta").first).to_be_visible()  # a range compares with the one before
        wait_for_app(page)
    for index, title in enumerate(CLICKABLE):
        chart = chart_under(page, title)
        chart.scroll_into_view_if_needed()
        trace, point, value, state = chart.evaluate(FIRST_BAR)
        bar = chart.locator("g.trace.bars").nth(trace).locator("g.point").nth(point).locator("path")
        bar.hover(force=True)  # Plotly picks the clicked point from the hover that precedes the click
        page.wait_for_timeout(200)
        bar.click(force=True)
        wait_for_app(page)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        shown = page.get_by_text(re.compile(r"elementos? en la barra seleccionada")).nth(index)
        expect(shown).to_be_visible()
        assert int(re.sub(r"\D", "", shown.inner_text())) == value, (title, state)
        expect(page.get_by_role("heading", name="Comparativo por responsable")).to_be_visible()  # the rest stays
    screenshot(page, f"tablero-drill-down-{period.split()[0].lower()}")


def test_a_bar_clicked_in_a_tab_signed_out_elsewhere_lists_nothing(page):
    """A chart reruns alone when a bar is chosen (a fragment): it re-checks the session itself."""
    sign_in(page, "admin@escala.demo")
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
    wait_for_app(page)
    other = page.context.new_page()
    other.goto(page.url)
    wait_for_app(other)
    other.get_by_role("button", name="Cerrar sesión").click()
    expect(other.get_by_role("button", name="Ingresar")).to_be_visible()

    chart = chart_under(page, "Por tipo")
    chart.scroll_into_view_if_needed()
    trace, point, _, _ = chart.evaluate(FIRST_BAR)
    bar = chart.locator("g.trace.bars").nth(trace).locator("g.point").nth(point).locator("path")
    bar.hover(force=True)
    page.wait_for_timeout(200)
    bar.click(force=True)
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    expect(page.get_by_text(re.compile(r"en la barra seleccionada"))).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    screenshot(page, "tablero-barra-sesion-terminada")
