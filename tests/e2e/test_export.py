"""Exportar in the browser: the downloaded file has the header and the rows the page announced."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from escala.export import HEADERS
from tests.e2e.conftest import check, screenshot, sign_in, wait_for_app


def test_download_has_the_header_and_the_announced_row_count(seller_page):
    page = seller_page
    page.get_by_role("link", name="Exportar").first.click()
    expect(page.get_by_role("heading", name="Exportar")).to_be_visible()
    wait_for_app(page)
    announced = page.get_by_text(re.compile(r"filas con estos filtros")).inner_text()
    rows = int(re.search(r"([\d.]+) filas", announced).group(1).replace(".", ""))
    page.get_by_role("button", name="Preparar archivo").click()
    button = page.get_by_role("button", name=re.compile(r"^Descargar escala-"))
    expect(button).to_be_visible()
    with page.expect_download() as download:
        button.click()
    content = open(download.value.path(), encoding="utf-8-sig", newline="").read()
    table = list(csv.reader(io.StringIO(content)))
    assert table[0] == HEADERS
    assert len(table) - 1 == rows > 0
    assert download.value.suggested_filename.endswith(".csv")


def test_an_import_names_the_bad_line_then_loads_the_good_ones_when_asked(page, tmp_path):
    """Importar as an administrator: a file with one bad line loads nothing and says which line;
    with «Cargar solo las líneas válidas» the good line is created."""
    sign_in(page, "admin@escala.demo")
    expect(page.get_by_role("heading", name="Tablero")).to_be_visible()
    page.get_by_role("link", name="Exportar").first.click()
    expect(page.get_by_role("heading", name="Importar")).to_be_visible()
    wait_for_app(page)
    source = tmp_path / "tareas.csv"
    source.write_text("Nombre,Fecha,Contacto\n"
                      "Llamar para confirmar la demo,2026-12-01T10:00:00-06:00,Cliente Importado Navegador\n"
                      "Sin zona horaria,2026-12-01 10:00,Cliente Importado Navegador\n", encoding="utf-8")
    check(page.get_by_test_id("stMainBlockContainer").get_by_role("radio", name="Tareas", exact=True))
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(source))
    expect(page.get_by_text("tareas.csv")).to_be_visible()
    importar = page.get_by_role("button", name="Importar")
    expect(importar).to_be_enabled()  # the run that received the file is over
    wait_for_app(page)
    importar.click()
    expect(page.get_by_text("No se importó nada: 1 de 2 líneas tiene errores", exact=False)).to_be_visible()
    page.get_by_text("Cargar solo las líneas válidas", exact=True).click()
    expect(page.get_by_role("checkbox", name="Cargar solo las líneas válidas")).to_be_checked()
    wait_for_app(page)
    importar.click()
    expect(page.get_by_text("1 creada, 0 actualizadas, 1 línea rechazada (de 2 líneas).")).to_be_visible()
    screenshot(page, "importar-administrador")
