"""The database under pressure: migrations, many threads, a killed writer, a second process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from escala.db import Database, DatabaseLocked, migration_files
from escala.store import Store
from tests.conftest import task

ROOT = Path(__file__).resolve().parents[1]


def python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_migrations_applied_twice_are_a_no_op(tmp_path):
    db = Database(tmp_path / "m.duckdb")
    assert db.migrate() == [name for _, name, _ in migration_files()]
    tables = db.query("SELECT table_name FROM information_schema.tables ORDER BY 1")
    assert db.migrate() == []
    assert db.query("SELECT table_name FROM information_schema.tables ORDER BY 1") == tables
    assert db.query("SELECT version FROM schema_version ORDER BY 1") == [(v,) for v, _, _ in migration_files()]


def test_a_failing_migration_leaves_nothing_behind(tmp_path, monkeypatch):
    import escala.db as db_module
    broken = [(1, "001_broken.sql", "CREATE TABLE half (x INTEGER); CREATE TABLE oops (;")]
    monkeypatch.setattr(db_module, "migration_files", lambda: broken)
    db = Database(tmp_path / "b.duckdb")
    with pytest.raises(Exception):
        db.migrate()
    assert db.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'") == [(0,)]
    assert db.query("SELECT count(*) FROM schema_version") == [(0,)]


def test_eight_threads_of_five_hundred_writes_all_land_intact(store, world):
    errors = []

    def writer(thread: int) -> None:
        try:
            for n in range(500):
                store.create_item(world.ana, task(world.ana_contact, name=f"hilo {thread} escritura {n}"))
        except Exception as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    names = [row[0] for row in store.db.query("SELECT name FROM items")]
    assert sorted(names) == sorted(f"hilo {t} escritura {n}" for t in range(8) for n in range(500))
    ids = [row[0] for row in store.db.query("SELECT id FROM items ORDER BY id")]
    assert ids == list(range(1, 4001))
    assert store.db.query_one("SELECT count(*) FROM audit_log WHERE entity = 'item'") == (4000,)


WRITER = """
    import sys
    from escala.db import Database
    from escala.domain import ContactDraft, ItemDraft, Kind, UserDraft
    from escala.store import Store
    from datetime import datetime
    db = Database(sys.argv[1]); db.migrate(); store = Store(db)
    admin = store.create_user(None, UserDraft("Admin", "admin@example.com", "admin", "12345678"))
    contact = store.create_contact(admin, ContactDraft("Cliente")).id
    n = 0
    while True:
        item = store.create_item(admin, ItemDraft(Kind.TASK, f"tarea {n}", contact, datetime(2026, 3, 1, 9)))
        print(item.id, item.name, flush=True)  # confirmed: the commit has returned
        n += 1
"""


def test_a_killed_writer_loses_no_confirmed_write(tmp_path):
    path = tmp_path / "killed.duckdb"
    child = python(WRITER, str(path))
    confirmed = []
    for line in child.stdout:
        confirmed.append(line.split(" ", 1))
        if len(confirmed) == 200:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    db = Database(path)
    stored = dict(db.query("SELECT id::VARCHAR, name FROM items"))
    for item_id, name in confirmed:
        assert stored.get(item_id) == name.rstrip("\n")
    assert Store(db).integrity_problems() == []


HOLDER = """
    import sys, time
    from escala.db import Database
    db = Database(sys.argv[1]); db.migrate()
    print("ready", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def held_database(tmp_path):
    path = tmp_path / "held.duckdb"
    holder = python(HOLDER, str(path))
    assert holder.stdout.readline().strip() == "ready"
    yield path, holder.pid
    holder.kill()
    holder.wait()


def test_a_second_process_gets_a_clear_message_naming_the_holder(held_database):
    path, pid = held_database
    with pytest.raises(DatabaseLocked) as raised:
        Database(path)
    message = str(raised.value)
    assert f"está en uso por el proceso {pid}" in message and "ESCALA_DB" in message
    assert "\n" not in message


def test_the_cli_reports_a_held_database_in_one_line(held_database):
    path, pid = held_database
    result = subprocess.run([sys.executable, "-m", "escala", "--db", str(path), "users"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and str(pid) in result.stderr
