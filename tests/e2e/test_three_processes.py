"""Server mode in a browser: three app processes on one PostgreSQL database, as behind a
proxy. A cookie from one is good on the others, an item created through one shows on the
next run of another, signing out on one ends the session on all, and the CLI writes while
they run."""

from __future__ import annotations

import subprocess
import sys
from contextlib import ExitStack
from datetime import datetime

import pytest
from playwright.sync_api import expect

from escala.db import open_database
from escala.domain import ContactDraft
from escala.store import Store
from tests.conftest import app_env, seed_demo_file
from tests.e2e.conftest import SELLER, new_tab, serve, session_cookie, sign_in, wait_for_app
from tests.e2e.test_workflow import open_popup, set_datetime, submit
from tests.postgresql import create_database

CONTACT = "Contacto Tres Procesos"
TASK = "Confirmar la firma desde otro proceso"


@pytest.fixture(scope="module")
def three(tmp_path_factory, postgresql_url):
    folder = tmp_path_factory.mktemp("three")
    url = create_database(postgresql_url)
    seed_demo_file(url, users=4, contacts=10, activities=20, tasks=20, seed=5)
    db = open_database(url)
    contact = Store(db).create_contact(Store(db).get_user(3), ContactDraft(CONTACT, "tres.procesos@example.com"))
    db.close()
    with ExitStack() as servers:
        yield [servers.enter_context(serve(url, folder / f"server-{n}.log")) for n in range(3)], contact.id, url


def test_three_processes_share_sessions_and_items(browser, three):
    (first, second, third), contact_id, url = three
    with new_tab(browser) as tab, new_tab(browser) as elsewhere:
        tab.goto(first)
        sign_in(tab, SELLER)
        expect(tab.get_by_role("heading", name="Mi agenda")).to_be_visible()
        cookie = session_cookie(tab)
        assert cookie is not None

        tab.goto(second)  # the same cookie (one host), another process: still signed in
        expect(tab.get_by_role("heading", name="Mi agenda")).to_be_visible()
        tab.goto(f"{second}/contactos?contacto={contact_id}")
        expect(tab.get_by_role("heading", name=CONTACT)).to_be_visible()
        wait_for_app(tab)
        dialog = open_popup(tab, "nueva_tarea", "Nueva tarea")
        dialog.get_by_label("Nombre").fill(TASK)
        set_datetime(dialog, "Fecha", datetime(2031, 6, 2, 9, 15))
        submit(dialog, "Crear", "Tarea creada")

        tab.goto(f"{third}/contactos?contacto={contact_id}")  # the third process's next run shows it
        expect(tab.get_by_text(TASK, exact=True)).to_be_visible()

        elsewhere.context.add_cookies([cookie])  # another browser holding the same session, on the third
        elsewhere.goto(third)
        expect(elsewhere.get_by_role("heading", name="Mi agenda")).to_be_visible()

        tab.goto(first)
        expect(tab.get_by_role("heading", name="Mi agenda")).to_be_visible()
        tab.get_by_role("button", name="Cerrar sesión").click()
        expect(tab.get_by_role("button", name="Ingresar")).to_be_visible()

        for process in (second, third):  # ended on the server, for every process
            elsewhere.goto(process)
            expect(elsewhere.get_by_role("button", name="Ingresar")).to_be_visible()

        # the CLI writes while the three run (server mode has no file lock): a new rep signs in
        created = subprocess.run(
            [sys.executable, "-m", "escala", "create-user", "nueva.vendedora@example.com", "--name", "Nueva Vendedora",
             "--role", "seller", "--password-stdin"], input="clave-de-prueba-9\n", text=True, capture_output=True,
            env=app_env(url), timeout=60)
        assert created.returncode == 0, created.stderr
        sign_in(elsewhere, "nueva.vendedora@example.com", "clave-de-prueba-9")
        expect(elsewhere.get_by_role("heading", name="Mi agenda")).to_be_visible()
        expect(elsewhere.get_by_text("Nueva Vendedora")).to_be_visible()
