"""Exportar in the browser: the downloaded file has the header and the rows the page announced."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from escala.export import HEADERS
from tests.e2e.conftest import wait_for_app


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
