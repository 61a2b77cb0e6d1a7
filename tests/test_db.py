"""The database under pressure: migrations, many threads, a killed writer, a second process."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from escala.db import Database, DatabaseLocked, DatabaseUnusable, cleanup_stale_temp_files, migration_files
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
    monkeypatch.setattr(db_module, "migration_files", lambda engine="duckdb": broken)
    db = Database(tmp_path / "b.duckdb")
    with pytest.raises(Exception):
        db.migrate()
    assert db.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'") == [(0,)]
    assert db.query("SELECT count(*) FROM schema_version") == [(0,)]


def test_eight_threads_of_two_hundred_writes_all_land_intact(store, world):
    errors = []
    writes = 200  # 8 x 200 durable commits interleave plenty (8 x 500 took 3 minutes of CI on DuckDB)

    def writer(thread: int) -> None:
        try:
            for n in range(writes):
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
    assert sorted(names) == sorted(f"hilo {t} escritura {n}" for t in range(8) for n in range(writes))
    ids = [row[0] for row in store.db.query("SELECT id FROM items ORDER BY id")]
    assert ids == list(range(1, 8 * writes + 1))
    assert store.db.query_one("SELECT count(*) FROM audit_log WHERE entity = 'item'") == (8 * writes,)


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


MIGRATE_AND_DIE = """
    import os, sys
    from escala.db import Database
    db = Database(sys.argv[1]); db.migrate()
    os._exit(0)  # no checkpoint, no close: every migration (ALTERs included) is only in the WAL
"""


def test_a_crash_right_after_migrating_leaves_a_file_that_opens(tmp_path):
    path = tmp_path / "migrated.duckdb"
    child = python(MIGRATE_AND_DIE, str(path))
    assert child.wait() == 0
    db = Database(path)  # replays the WAL offline: no extension download may be needed
    versions = [row[0] for row in db.query("SELECT version FROM schema_version ORDER BY version")]
    assert versions == [version for version, _, _ in migration_files()]
    assert db.query_one("SELECT count(*) FROM users WHERE password_allowed") == (0,)


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


@pytest.mark.parametrize("make", [
    pytest.param(lambda p: p.write_text("ID,Nombre\n1,Llamada\n", encoding="utf-8"), id="csv"),
    pytest.param(lambda p: p.write_bytes(b""), id="empty-file"),
    pytest.param(lambda p: p.mkdir(), id="folder"),
])
def test_what_is_not_a_duckdb_file_is_refused_and_left_alone(tmp_path, make):
    path = tmp_path / "datos.csv"
    make(path)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(DatabaseUnusable) as raised:
        Database(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)
    assert (path.read_bytes() if path.is_file() else None) == before


def test_an_empty_path_is_refused(tmp_path):
    with pytest.raises(DatabaseUnusable, match="Falta la ruta"):
        Database("")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_its_log_and_spill_files_are_private(tmp_path):
    path = tmp_path / "privada.duckdb"
    db = Database(path)
    db.migrate()
    with db.transaction() as cursor:
        cursor.execute("CREATE TABLE t AS SELECT range AS x FROM range(10)")
    wal = tmp_path / "privada.duckdb.wal"
    assert wal.exists()  # written since the last checkpoint
    assert mode(path) == 0o600 and mode(wal) == 0o600
    db.close()


def test_opening_makes_an_existing_loose_database_private(tmp_path):
    path = tmp_path / "suelta.duckdb"
    Database(path).close()
    path.chmod(0o644)
    db = Database(path)
    assert mode(path) == 0o600
    db.close()


UMASKS = """
    import os, sys
    from escala.db import Database
    os.umask(0o022)
    first, second = Database(sys.argv[1] + "/a.duckdb"), Database(sys.argv[1] + "/b.duckdb")
    first.close()
    held = os.umask(0o077)
    os.umask(held)
    second.close()
    print(oct(held), oct(os.umask(0o022)))
"""


def test_the_umask_is_private_while_a_database_is_open_and_restored_after(tmp_path):
    child = python(UMASKS, str(tmp_path))
    out, err = child.communicate(timeout=60)
    assert out.split() == ["0o77", "0o22"], err


def test_opening_clears_the_spill_folder_a_killed_process_left(tmp_path):
    path = tmp_path / "muerta.duckdb"
    Database(path).close()
    spill = tmp_path / "muerta.duckdb.tmp"
    (spill / "sub").mkdir(parents=True)
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 1024)
    (spill / "sub" / "more.tmp").write_bytes(b"y")
    db = Database(path)
    assert list(spill.iterdir()) == []
    db.close()


def test_a_second_handle_in_the_same_process_leaves_the_live_spill_folder_alone(tmp_path):
    path = tmp_path / "viva.duckdb"
    first = Database(path)
    spill = tmp_path / "viva.duckdb.tmp"
    spill.mkdir(exist_ok=True)
    (spill / "en-uso.tmp").write_bytes(b"x")
    second = Database(path)
    assert [p.name for p in spill.iterdir()] == ["en-uso.tmp"]
    second.close()
    first.close()


def test_opening_removes_exports_and_uploads_older_than_an_hour(tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    old = time.time() - 2 * 3600
    entries = {"escala-export-viejo": True, "escala-export-nuevo": False, "escala-import-viejo.csv": True,
               "escala-import-nuevo.csv": False, "otro-programa-viejo": False}
    for name in entries:
        if name.endswith(".csv"):
            (temp / name).write_text("a\n")
        else:
            (temp / name).mkdir()
            (temp / name / "escala.csv").write_text("a\n")
        if "viejo" in name:
            os.utime(temp / name, (old, old))
    Database(tmp_path / "arranque.duckdb").close()
    assert sorted(p.name for p in temp.iterdir()) == sorted(name for name, gone in entries.items() if not gone)
    assert cleanup_stale_temp_files(folder=temp) == 0
