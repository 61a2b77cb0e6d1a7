"""``python -m escala bench --screen``: the Tablero on screen, timed in Chromium.

Starts the app (``python -m escala.ui.server``, as ``make run`` does) over the bench database,
signs in as the demo administrator in a Spanish (Mexico) browser, and measures:

- ``tablero_screen_ms``: from a click on "Tablero" in the menu (coming from another page) to
  the last of its charts drawn, median of 5 (the first one is also reported: nothing cached);
- ``tablero_cold_ms``: a filtered Tablero link pasted into a new tab (signed in, nothing of the
  page loaded yet) to the last chart drawn, median of 5 different links.

Needs Playwright (a development dependency) and Chromium (``ESCALA_CHROMIUM``, by default
``/usr/bin/chromium``); the database must not be open in another process.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from escala import demo

CHROMIUM = os.environ.get("ESCALA_CHROMIUM", "/usr/bin/chromium")
ADMIN = f"admin@{demo.DEMO_DOMAIN}"
CHARTS = 5  # by responsible, by type, opportunities, ageing, created vs completed
DRAWN = f"""() => document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg').length >= {CHARTS}
             && !document.querySelector('[data-testid="stStatusWidget"]')"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answers(url: str, server: subprocess.Popen, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds  # the server folds the rollups' delta before it answers
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if b"ok" in answer.read():
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"La aplicación no respondió en {url}.")


def _timed(page, action) -> float:
    started = time.perf_counter()
    action()
    page.wait_for_function(DRAWN, timeout=120_000)
    return (time.perf_counter() - started) * 1000


def screen_numbers(path: Path, today: date, people: list[int], runs: int = 5) -> dict:
    """``tablero_screen_ms`` (and its first, uncached run) and ``tablero_cold_ms``."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    log = open(path.with_suffix(".screen.log"), "w")  # noqa: SIM115 - closed below, after the server
    server = subprocess.Popen(
        [sys.executable, "-m", "escala.ui.server", "--port", str(port), "--address", "127.0.0.1"],
        env={**os.environ, "ESCALA_DB": str(path)}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answers(f"{url}/_escala/health", server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-MX")
            page = context.new_page()
            page.goto(url)
            page.get_by_label("Correo electrónico").fill(ADMIN)
            page.get_by_label("Contraseña").fill(demo.DEMO_PASSWORD)
            page.get_by_role("button", name="Ingresar").click()
            page.wait_for_function(DRAWN, timeout=600_000)  # the administrator lands on the Tablero
            clicks = []
            for _ in range(runs + 1):
                page.get_by_role("link", name="Contactos").first.click()
                page.get_by_role("heading", name="Contactos").first.wait_for()
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
                clicks.append(_timed(page, lambda: page.get_by_role("link", name="Tablero").first.click()))
            cold = []
            for n in range(runs):
                tab = context.new_page()
                link = (f"{url}/tablero?date_from={(today - timedelta(days=89 + n)).isoformat()}"
                        f"&date_to={today.isoformat()}&responsible_ids={people[n % len(people)]}")
                cold.append(_timed(tab, lambda tab=tab, link=link: tab.goto(link)))
                tab.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    return {"tablero_screen_first_ms": round(clicks[0]), "tablero_screen_ms": round(statistics.median(clicks[1:])),
            "tablero_cold_ms": round(statistics.median(cold))}
