"""The DuckDB database: one connection per process, a cursor per thread, one writer at a time.

DuckDB lets a single process own a database file. Inside it, each thread (Streamlit runs
every session in its own) reads through its own cursor, so reads run side by side. Writes
go through ``transaction()``, which holds a process-wide lock for the duration of one
explicit ``BEGIN ... COMMIT``: writes never conflict, check-then-insert rules (unique
contact emails, id counters) are race-free, and DuckDB syncs its log before ``COMMIT``
returns, so a confirmed write survives a crash.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from escala import times

DEFAULT_PATH = Path("data") / "escala.duckdb"
DEFAULT_MEMORY_LIMIT = "1GB"


class DatabaseLocked(RuntimeError):
    """Another process holds the database file; the message says which and what to do."""


def default_path() -> Path:
    """``ESCALA_DB`` or ``data/escala.duckdb``."""
    return Path(os.environ.get("ESCALA_DB") or DEFAULT_PATH)


def _lock_message(path: Path, error: Exception) -> str:
    holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
    who = f"el proceso {holder.group(2)} ({holder.group(1)})" if holder else "otro proceso"
    return (f"La base de datos {path} está en uso por {who}. Detén ese proceso "
            "(por ejemplo, la app con Ctrl+C) o usa otra base con ESCALA_DB o --db.")


class Database:
    """A DuckDB file (or ``:memory:``) with per-thread cursors and serialized writes."""

    def __init__(self, path: str | Path | None = None, memory_limit: str | None = None):
        self.path = Path(path) if path is not None else default_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config = {"memory_limit": memory_limit or os.environ.get("ESCALA_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)}
        try:
            self._connection = duckdb.connect(str(self.path), config=config)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise DatabaseLocked(_lock_message(self.path, error)) from None
            raise
        self._local = threading.local()
        self._write_lock = threading.RLock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (created on first use)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._connection.cursor()
            cursor.execute("SET TimeZone = 'UTC'")  # naive TIMESTAMPs hold UTC: casts must not use the host's zone
        return cursor

    def new_cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the caller's own (to change session settings safely); close it after use."""
        cursor = self._connection.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor

    def query(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        """Run one read and fetch all of it."""
        return self.cursor().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: list | tuple = ()) -> tuple | None:
        return self.cursor().execute(sql, params).fetchone()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One explicit write transaction, committed on exit, rolled back on any error."""
        with self._write_lock:
            cursor = self.cursor()
            if getattr(self._local, "in_transaction", False):
                yield cursor  # nested use joins the outer transaction
                return
            cursor.execute("BEGIN TRANSACTION")
            self._local.in_transaction = True
            try:
                yield cursor
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            finally:
                self._local.in_transaction = False

    def next_ids(self, cursor: duckdb.DuckDBPyConnection, table: str, count: int = 1) -> int:
        """Reserve ``count`` ids for ``table`` inside the current transaction; returns the first."""
        (last,) = cursor.execute(
            "UPDATE id_counters SET last_id = last_id + ? WHERE name = ? RETURNING last_id",
            [count, table]).fetchone()
        return last - count + 1

    # ------------------------------------------------------------ migrations

    def migrate(self) -> list[str]:
        """Apply the numbered SQL files not yet recorded; returns the names applied."""
        with self.transaction() as cursor:
            cursor.execute("""CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)""")
        done = {row[0] for row in self.query("SELECT version FROM schema_version")}
        applied = []
        for version, name, sql in migration_files():
            if version in done:
                continue
            with self.transaction() as cursor:
                cursor.execute(sql)
                cursor.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, times.to_db(times.now_utc())])
            applied.append(name)
        return applied

    def checkpoint(self) -> None:
        with self._write_lock:
            self.cursor().execute("CHECKPOINT")

    def close(self) -> None:
        self._connection.close()


def migration_files() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` for each ``migrations/NNN_name.sql``, in order."""
    folder = resources.files("escala") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = re.fullmatch(r"(\d{3})_\w+\.sql", entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)
