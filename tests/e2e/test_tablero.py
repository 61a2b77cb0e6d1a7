"""The Tablero in the browser: metrics and every chart render, and a rep's new item shows up."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_app
from tests.e2e.test_workflow import open_contact, open_popup, submit

CHARTS = ["Por responsable", "Por tipo", "Oportunidades con más trabajo pendiente", "Antigüedad de lo vencido"]


def pending(page) -> int:
    value = page.get_by_test_id("stMetric").filter(has_text="Pendientes").get_by_test_id("stMetricValue")
    return int(value.inner_text().replace(".", ""))


def open_tablero(page) -> None:
    page.get_by_role("link", name="Tablero").first.click()
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
    wait_for_app(page)


def test_tablero_renders_metrics_and_every_chart(seller_page):
    page = seller_page
    open_tablero(page)
    for name in ("Pendientes", "Realizadas", "Vencidas", "% completado"):
        expect(page.get_by_test_id("stMetric").filter(has_text=name)).to_be_visible()
    for title in CHARTS:
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Creadas vs. realizadas", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(5)
    expect(page.get_by_role("heading", name="Comparativo por responsable")).to_be_visible()
    screenshot(page, "tablero")


def test_a_new_item_raises_pendientes_by_one_after_refresh(seller_page):
    page = seller_page
    open_tablero(page)
    before = pending(page)
    open_contact(page, "Contacto Tablero")
    dialog = open_popup(page, "nueva_tarea", "Nueva tarea")
    dialog.get_by_label("Nombre").fill("Tarea que cuenta en el Tablero")
    submit(dialog, "Crear", "Tarea creada")
    open_tablero(page)
    page.reload()
    expect(page.get_by_role("heading", name="Tablero", exact=True)).to_be_visible()
    wait_for_app(page)
    assert pending(page) == before + 1
