"""What the browser receives: a download carries the security headers and no-store, like the pages."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app


def test_a_download_and_the_page_carry_the_security_headers(seller_page):
    page = seller_page
    answers = []
    page.on("response", lambda response: answers.append(response))
    page.get_by_role("link", name="Exportar").first.click()
    expect(page.get_by_role("heading", name="Exportar")).to_be_visible()
    wait_for_app(page)
    page.get_by_role("button", name="Preparar archivo").click()
    button = page.get_by_role("button", name=re.compile(r"^Descargar escala-"))
    expect(button).to_be_visible()
    with page.expect_download():
        button.click()
    downloads = [a for a in answers if "/media/" in a.url]
    assert downloads, [a.url for a in answers]
    for answer in downloads:
        headers = answer.all_headers()
        assert headers["cache-control"] == "no-store"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-security-policy"] == "frame-ancestors 'none'"
        assert headers["referrer-policy"] == "same-origin"
