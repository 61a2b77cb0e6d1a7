"""Server mode: several processes on one PostgreSQL database, each with its own pool (here,
two ``Database`` objects stand for two processes)."""

from __future__ import annotations

import threading

import pytest

from escala import auth, times
from escala.db import open_database
from escala.domain import ContactDraft
from escala.store import DuplicateContact, Store
from tests.conftest import activity, make_user
from tests.postgresql import create_database


@pytest.fixture
def two_processes(postgresql_url, tmp_path, clock):
    url = create_database(postgresql_url)
    first, second = open_database(url), open_database(url)
    first.migrate()
    second.migrate()  # a second process starting on a migrated database: nothing to do
    yield Store(first, clock=clock), Store(second, clock=clock)
    first.close()
    second.close()


def test_a_write_in_one_process_changes_the_data_version_the_others_read(two_processes):
    here, there = two_processes
    before = there.version
    admin = make_user(here, "Admin", "admin@example.com", "admin")
    assert there.version != before and there.version == here.version
    contact = here.create_contact(admin, ContactDraft("Cliente", "cliente@example.com"))
    seen = there.version
    assert there.create_item(there.get_user(admin.id), activity(contact.id)).contact_id == contact.id
    assert here.version != seen


def test_writers_in_two_processes_never_share_an_id_nor_an_email(two_processes):
    here, there = two_processes
    admin = make_user(here, "Admin", "admin@example.com", "admin")
    made, refused = [], []

    def write(store: Store, who: str) -> None:
        actor = store.get_user(admin.id)
        for n in range(15):
            made.append(store.create_contact(actor, ContactDraft(f"{who} {n}", f"{who}{n}@example.com")).id)
            try:
                made.append(store.create_contact(actor, ContactDraft(f"Común {n}", f"comun{n}@example.com")).id)
            except DuplicateContact:
                refused.append(n)

    threads = [threading.Thread(target=write, args=(store, who)) for store, who in ((here, "a"), (there, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == len(set(made)) == 45 and sorted(refused) == list(range(15))
    assert here.db.query_one("SELECT count(*), count(DISTINCT email) FROM contacts") == (45, 45)


def test_a_session_opened_in_one_process_is_valid_and_ended_in_the_other(two_processes, monkeypatch):
    here, there = two_processes
    monkeypatch.setenv("ESCALA_SESSION_SECRET", "la-misma-clave-en-todos-los-procesos")
    secret = auth.session_secret(None, required=True)
    seller = make_user(here, "Ana", "ana@example.com", "seller")
    token = auth.issue_token(here, seller, secret)
    assert auth.user_from_token(there, token, secret).id == seller.id
    auth.revoke_token(there, token, secret)
    assert auth.user_from_token(here, token, secret) is None


def test_server_mode_refuses_to_make_up_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("ESCALA_SESSION_SECRET", raising=False)
    with pytest.raises(auth.MissingSecret, match="ESCALA_SESSION_SECRET"):
        auth.session_secret(tmp_path, secrets_file=tmp_path / "none.toml", required=True)
    assert not (tmp_path / ".session_secret").exists()
    monkeypatch.setenv("ESCALA_SESSION_SECRET", "  compartida  ")
    assert auth.session_secret(tmp_path, required=True) == b"compartida"


def test_a_failed_export_setup_gives_its_connection_back(postgresql_url, tmp_path, monkeypatch):
    from escala.analytics import Filters
    from escala.engines import postgresql
    from escala.export import Exporter

    monkeypatch.setenv("ESCALA_POOL_SIZE", "2")
    db = open_database(create_database(postgresql_url))
    try:
        db.migrate()
        admin = make_user(Store(db), "Admin Uno", "admin@example.com", "admin")

        def refused(cursor):
            raise RuntimeError("el servidor rechazó la transacción")

        with monkeypatch.context() as patch:
            patch.setattr(postgresql.Cursor, "begin", refused)
            for n in range(4):  # twice the pool: a leaked connection would leave the next one waiting
                with pytest.raises(RuntimeError):
                    Exporter(db).write(tmp_path / f"{n}.csv", Filters(), admin, times.now_utc(), admin.time_zone)
        assert db.query_one("SELECT 1") == (1,)
        assert list(tmp_path.iterdir()) == []  # nor a partial file
    finally:
        db.close()


def test_an_import_writes_back_only_the_rows_it_changed(two_processes, tmp_path):
    """On PostgreSQL an import loads in a copy on DuckDB and writes back what changed: a contacts
    file that moves one contact to another owner rewrites that contact's items (and the other
    contacts' items stay where they were in the table), and the Tablero's totals still agree."""
    from escala import rollups
    from escala.imports import import_contacts

    store, _ = two_processes
    admin = make_user(store, "Admin Uno", "admin@example.com", "admin")
    ana = make_user(store, "Ana Vendedora", "ana@example.com", "seller")
    make_user(store, "Bea Vendedora", "bea@example.com", "seller")
    moved = store.create_contact(ana, ContactDraft("Cliente Movido", "movido@example.com")).id
    kept = store.create_contact(ana, ContactDraft("Cliente Igual", "igual@example.com")).id
    for contact in (moved, kept, moved, kept):
        store.create_item(ana, activity(contact))

    def places(contact: int) -> list:
        return store.db.query("SELECT id, ctid::TEXT FROM items WHERE contact_id = ? ORDER BY id", [contact])

    before = {contact: places(contact) for contact in (moved, kept)}
    source = tmp_path / "contactos.csv"
    source.write_text("Nombre,Correo electrónico,Dueño del contacto\n"
                      "Cliente Movido,movido@example.com,Bea Vendedora\n"
                      "Cliente Igual,igual@example.com,Ana Vendedora\n", encoding="utf-8")
    report = import_contacts(store, store.get_user(admin.id), source)
    assert (report.written, report.updated, report.rejected) == (True, 2, [])
    assert places(kept) == before[kept]  # the same rows, where they were
    assert [i for i, _ in places(moved)] == [i for i, _ in before[moved]] and places(moved) != before[moved]
    owners = store.db.query("SELECT DISTINCT responsible_id FROM items WHERE contact_id = ?", [moved])
    assert owners == store.db.query("SELECT id FROM users WHERE name = 'Bea Vendedora'")
    assert rollups.check(store.db) == []
