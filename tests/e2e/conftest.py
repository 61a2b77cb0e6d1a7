"""Browser tests: the real app (`python -m escala.ui.server`, as `make run`) on a free port with a fresh demo
database, driven by Playwright in Debian's Chromium. With CI=true a missing browser fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from escala import demo, times
from escala.db import open_database
from escala.domain import ContactDraft, ItemDraft, Kind, OpportunityDraft
from escala.store import Store
from tests.conftest import seed_demo_file
from tests.servers import ROOT, free_port, serve, wait_until_answers  # noqa: F401  (the browser tests import them from here)

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("ESCALA_CHROMIUM", "/usr/bin/chromium")
# Every browser assertion may wait this long for the page to get there: a busy 2-core runner
# (the app, Chromium and the test side by side) can take more than Playwright's 5 s to rerun.
expect.set_options(timeout=15_000)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


SELLER = "vendedor1@escala.demo"  # user 3
OTHER_SELLER_CONTACT = "Contacto de Otro Vendedor"
# Named as a page would render Markdown/HTML: the contact, its opportunity and its tasks.
HOSTILE_NAME = '![t](http://127.0.0.1:9/track.png) **b** <a href="http://127.0.0.1:9/x">l</a>'
AGENDA_CONTACT, AGENDA_OVERDUE = "Contacto Agenda", 45  # more overdue work than one agenda page shows
CONTACT_IDS: dict[str, int] = {}  # filled when the app's database is built
SEEDED_ITEMS = {
    "Contacto Sesión": ["Completar tras cerrar sesión", "Eliminar tras cerrar sesión"],
    "Contacto Concurrencia": ["Editada en dos pestañas"],
}


CALENDAR_TASK = "Revisión trimestral"


def next_wednesday(today: date) -> date:
    """Wednesday of the week after ``today``'s: where the Calendario test's task starts."""
    return today + timedelta(days=7 - today.weekday() + 2)


def calendar_day(store: Store) -> datetime:
    """``next_wednesday`` of the demo seller's today, at midnight on their wall clock."""
    wednesday = next_wednesday(times.to_local(store.clock(), store.get_user(3).time_zone).date())
    return datetime(wednesday.year, wednesday.month, wednesday.day)


def _add_test_contacts(store: Store) -> None:
    """Contacts each browser test can own: one per flow, so tests never see each other's items."""
    admin, seller = store.get_user(1), store.get_user(3)
    for name in ("Contacto Actividades", "Contacto Tareas", "Contacto Errores", "Contacto Edición", "Contacto Tablero",
                 "Contacto Siguiente", "Contacto Omitir", "Contacto Repetir", "Contacto Rápido",
                 "Contacto Historial", "Contacto Aviso", "Contacto Teclado"):
        contact = store.create_contact(admin, ContactDraft(name, owner_id=seller.id))
        CONTACT_IDS[name] = contact.id
        store.create_opportunity(admin, OpportunityDraft(f"Oportunidad de {name}", contact.id, "Propuesta", 50000))
    CONTACT_IDS[OTHER_SELLER_CONTACT] = store.create_contact(admin, ContactDraft(OTHER_SELLER_CONTACT, owner_id=4)).id
    hostile = store.create_contact(admin, ContactDraft(HOSTILE_NAME, owner_id=seller.id))
    CONTACT_IDS[HOSTILE_NAME] = hostile.id
    opportunity = store.create_opportunity(admin, OpportunityDraft(HOSTILE_NAME, hostile.id, "Propuesta", 1000))
    for day in range(1, 9):  # the most pending work of any opportunity: first in the Tablero's chart
        store.create_item(seller, ItemDraft(Kind.TASK, HOSTILE_NAME, hostile.id, datetime(2019, 1, day, 9, 0),
                                            opportunity_id=opportunity.id, time_zone="America/Mexico_City"))
    agenda = store.create_contact(admin, ContactDraft(AGENDA_CONTACT, owner_id=seller.id))
    CONTACT_IDS[AGENDA_CONTACT] = agenda.id
    for number in range(AGENDA_OVERDUE):
        store.create_item(seller, ItemDraft(Kind.TASK, f"Vencida de agenda {number + 1:02d}", agenda.id,
                                            datetime(2020, 1, 1 + number % 28, 9, number),
                                            time_zone="America/Mexico_City"))
    calendar = store.create_contact(admin, ContactDraft("Contacto Calendario", owner_id=seller.id))
    CONTACT_IDS["Contacto Calendario"] = calendar.id
    store.create_item(seller, ItemDraft(Kind.TASK, CALENDAR_TASK, calendar.id, calendar_day(store) + timedelta(hours=10),
                                        time_zone=seller.time_zone))
    for contact_name, item_names in SEEDED_ITEMS.items():  # items a test acts on from the first page it sees
        contact = store.create_contact(admin, ContactDraft(contact_name, owner_id=seller.id))
        CONTACT_IDS[contact_name] = contact.id
        for name in item_names:
            store.create_item(admin, ItemDraft(Kind.TASK, name, contact.id, store.clock() + timedelta(hours=2),
                                               time_zone=seller.time_zone))


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, shared_location):
    """A running app over a small demo database on the engine under test; yields its base URL."""
    location = shared_location("e2e")
    seed_demo_file(location, users=5, contacts=20, activities=60, tasks=60, seed=3)
    db = open_database(location)
    _add_test_contacts(Store(db))
    db.close()
    with serve(location, tmp_path_factory.mktemp("e2e-log") / "server.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)  # only outside CI: with CI=true a missing browser fails just above
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def new_tab(browser) -> Iterator:
    """A fresh browser profile (no cookies) in Spanish (Mexico), one tab open."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-MX")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(browser, app_url):
    with new_tab(browser) as tab:
        tab.goto(app_url)
        yield tab


@pytest.fixture
def seller_page(page):
    """A browser tab signed in as the first demo seller."""
    sign_in(page, SELLER)
    expect(page.get_by_role("heading", name="Mi agenda")).to_be_visible()
    wait_for_session_cookie(page)
    return page


# Each role's menu, in order, and where each page lives.
MENUS = {
    "admin@escala.demo": ["Tablero", "Mi agenda", "Calendario", "Contactos", "Exportar", "Usuarios"],
    "analista@escala.demo": ["Tablero", "Contactos", "Exportar"],
    "vendedor1@escala.demo": ["Mi agenda", "Tablero", "Calendario", "Contactos", "Exportar"],
}
MENU_PAGES = [(email, title) for email, titles in MENUS.items() for title in titles]
URL_PATHS = {"Tablero": "tablero", "Mi agenda": "agenda", "Calendario": "calendario", "Contactos": "contactos",
             "Exportar": "exportar", "Usuarios": "usuarios"}


def role_of(email: str) -> str:
    """"admin", "analista", "vendedor": for test ids and screenshot names."""
    return email.split("@")[0].rstrip("0123456789")


@pytest.fixture(scope="module")
def tab_as(browser, app_url):
    """One signed-in tab per role for a module's tests (signing in is most of a short test's
    time): ``tab_as(email, viewport=…, has_touch=…)`` -> the tab. Each test opens its page
    with a fresh load, so nothing a test opened survives into the next."""
    tabs = {}

    def tab(email: str, **options):
        key = (email, repr(sorted(options.items())))
        if key not in tabs:
            context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "locale": "es-MX", **options})
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.goto(app_url)
            sign_in(page, email)
            expect(page.get_by_role("heading", name=MENUS[email][0], exact=True)).to_be_visible()
            tabs[key] = page
        return tabs[key]
    yield tab
    for page in tabs.values():
        page.context.close()


def session_cookie(page) -> dict | None:
    """The browser's session cookie (set by the server's sign-in response, HttpOnly)."""
    return next((c for c in page.context.cookies() if c["name"] == "escala_sesion"), None)


def wait_for_session_cookie(page) -> None:
    """The server sets the cookie in the response to the sign-in form itself: it is there
    as soon as the page after signing in has loaded."""
    assert session_cookie(page) is not None


def sign_in(page, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    """Fill the server's sign-in form (a signed-out page sends the browser there first)."""
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()


def wait_for_app(page) -> None:
    """Until Streamlit has finished the current run (its status widget says so)."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=20_000)


def check(control) -> None:
    """Check a radio or a checkbox. A run that redraws it just then (the sidebar's reminder
    fragment runs every 30 s) can swallow the click: try again, up to three times."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(3):
        try:
            control.check(force=True)
            return
        except PlaywrightError as error:
            if "did not change its state" not in str(error) or attempt == 2:
                raise
            wait_for_app(control.page)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
