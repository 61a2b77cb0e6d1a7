"""The DuckDB database: one connection per process, a cursor per thread, one writer at a time.

DuckDB lets a single process own a database file. Inside it, each thread (Streamlit runs
every session in its own) reads through its own cursor, so reads run side by side. Writes
go through ``transaction()``, which holds a process-wide lock for the duration of one
explicit ``BEGIN ... COMMIT``: writes never conflict, check-then-insert rules (unique
contact emails, id counters) are race-free, and DuckDB syncs its log before ``COMMIT``
returns, so a confirmed write survives a crash.

The database holds every customer's data, so its files are private to the owner (0600):
DuckDB creates the write-ahead log and its spill folder itself, whenever it needs them, with
the process's umask, so the umask is ``0o077`` for as long as a database is open. Opening
also refuses what is not a DuckDB file (DuckDB would otherwise open a CSV as a throwaway
in-memory database) and clears what a killed process left behind (spill files, prepared
exports and import uploads older than an hour).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from escala import rollups, times
from escala.engines import duckdb as duckdb_operations

DEFAULT_PATH = Path("data") / "escala.duckdb"
DEFAULT_MEMORY_LIMIT = "1GB"
DUCKDB_MAGIC = b"DUCK"  # every DuckDB file carries it at byte 8
DUCKDB_MAGIC_OFFSET = 8
PRIVATE_UMASK = 0o077
PRIVATE_FILE_MODE = 0o600
TEMP_PREFIXES = ("escala-export-", "escala-import-")  # names in the system temp folder that are ours
STALE_TEMP_SECONDS = 3600


def one_of(column: str, values) -> str:
    """``column IN (?, ?, ...)``, one placeholder per value (``FALSE`` for none): unlike a list
    parameter, the optimizer sees the values, so it skips row groups and uses an index."""
    return f"{column} IN ({', '.join('?' for _ in values)})" if values else "FALSE"


class DatabaseLocked(RuntimeError):
    """Another process holds the database file; the message says which and what to do."""


class DatabaseUnusable(RuntimeError):
    """The path is not a database Escala can open (a folder, a CSV, an unreadable file...);
    the message says which and what to do."""


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit in this process (``ESCALA_MEMORY_LIMIT``): the database file's,
    and an import's file stage on PostgreSQL."""
    return os.environ.get("ESCALA_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


def default_path() -> Path:
    """``ESCALA_DB`` or ``data/escala.duckdb``."""
    return Path(os.environ.get("ESCALA_DB") or DEFAULT_PATH)


def is_url(location) -> bool:
    """True for a PostgreSQL URL (server mode), False for a DuckDB file path."""
    return str(location).startswith(("postgresql://", "postgres://"))


def default_location() -> str:
    """``ESCALA_DATABASE_URL`` (server mode), else ``ESCALA_DB`` or ``data/escala.duckdb``."""
    return os.environ.get("ESCALA_DATABASE_URL") or str(default_path())


def open_database(location=None, memory_limit: str | None = None) -> BaseDatabase:
    """The database at ``location`` (a ``postgresql://`` URL or a DuckDB file path; by
    default ``default_location()``), opened but not migrated."""
    location = default_location() if location is None else location
    if is_url(location):
        from escala.engines import postgresql
        return postgresql.Database(str(location))
    return Database(location, memory_limit)


def _lock_message(path: Path, error: Exception) -> str:
    holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
    who = f"el proceso {holder.group(2)} ({holder.group(1)})" if holder else "otro proceso"
    return (f"La base de datos {path} está en uso por {who}. Detén ese proceso "
            "(por ejemplo, la app con Ctrl+C) o usa otra base con ESCALA_DB o --db.")


def _unusable(path: Path, problem: str) -> DatabaseUnusable:
    return DatabaseUnusable(f"No se puede usar {path} como base de datos: {problem}. "
                            "Indica un archivo .duckdb con ESCALA_DB o --db.")


def _check_database_file(path: Path) -> None:
    """Refuse, before DuckDB sees it, a path that is not a DuckDB file or a place to create one."""
    if path.is_dir():
        raise _unusable(path, "es una carpeta")
    if path.parent.exists() and not path.parent.is_dir():
        raise _unusable(path, f"{path.parent} no es una carpeta")
    if not path.exists():
        return
    if not path.is_file():
        raise _unusable(path, "no es un archivo normal")
    try:
        with open(path, "rb") as handle:
            header = handle.read(DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    except OSError as error:
        raise _unusable(path, f"no se puede leer ({error.strerror})") from None
    if header[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC:
        raise _unusable(path, "el archivo existe y no es una base de datos DuckDB")


# What this process has open, under one lock: the umask is process-wide (the first open
# database sets it, the last one closed restores it), and DuckDB shares one instance between
# connections to the same file, so only the first of them may clear its spill folder.
_open_lock = threading.Lock()
_open_files: Counter[str] = Counter()
_umask_saved = 0


def _register_open(name: str) -> bool:
    """Count ``name`` as open; True if no other database of this process had it open."""
    global _umask_saved
    with _open_lock:
        if not _open_files:
            _umask_saved = os.umask(PRIVATE_UMASK)
        _open_files[name] += 1
        return _open_files[name] == 1


def _register_close(name: str) -> None:
    with _open_lock:
        _open_files[name] -= 1
        if _open_files[name] <= 0:
            del _open_files[name]
        if not _open_files:
            os.umask(_umask_saved)


def _remove(entry: Path) -> None:
    """Delete a file, link or folder tree; what cannot be deleted stays (never an error)."""
    try:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    except OSError:
        pass


def cleanup_stale_temp_files(max_age_seconds: float = STALE_TEMP_SECONDS, folder: Path | None = None) -> int:
    """Delete this user's ``escala-export-*`` folders and ``escala-import-*`` files in the
    system temp folder (or ``folder``) untouched for ``max_age_seconds``: what a killed or
    closed session left behind. Returns how many entries went."""
    folder = Path(folder or tempfile.gettempdir())
    oldest = time.time() - max_age_seconds
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIXES):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_mtime < oldest and (not hasattr(os, "getuid") or info.st_uid == os.getuid()):
            _remove(Path(entry.path))
            removed += 1
    return removed


class BaseDatabase:
    """What every engine's database does alike, over its ``cursor()`` and ``transaction()``:
    reads, id counters and the numbered migrations."""

    engine = "duckdb"  # which migrations/<engine>/ files replace or add to the shared ones
    operations = duckdb_operations.OPERATIONS  # the engine's SQL fragments (escala/engines)

    def query(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        """Run one read and fetch all of it."""
        return self.cursor().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: list | tuple = ()) -> tuple | None:
        return self.cursor().execute(sql, params).fetchone()

    def next_ids(self, cursor, table: str, count: int = 1) -> int:
        """Reserve ``count`` ids for ``table`` inside the current transaction; returns the first."""
        return self.reserve_ids(cursor, {table: count})[table]

    def reserve_ids(self, cursor, counts: dict[str, int]) -> dict[str, int]:
        """Reserve ``counts[table]`` ids for each table in one statement (inside the current
        transaction); returns each table's first id."""
        cases = " ".join("WHEN ? THEN ?" for _ in counts)
        rows = cursor.execute(
            f"UPDATE id_counters SET last_id = last_id + CASE name {cases} END "  # sql-ok: placeholders
            f"WHERE {one_of('name', counts)} RETURNING name, last_id",  # sql-ok: placeholders
            [value for pair in counts.items() for value in pair] + list(counts)).fetchall()
        return {name: last - counts[name] + 1 for name, last in rows}

    @contextmanager
    def own_cursor(self) -> Iterator:
        """``new_cursor()``, closed on the way out."""
        cursor = self.new_cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def migrate(self) -> list[str]:
        """Apply the numbered SQL files not yet recorded, one transaction each (checked again
        inside it: another process may be migrating the same database); returns the names
        applied."""
        with self.transaction() as cursor:
            cursor.execute(SCHEMA_VERSION_TABLE)
        applied = []
        for version, name, sql in migration_files(self.engine):
            with self.transaction() as cursor:
                if cursor.execute("SELECT 1 FROM schema_version WHERE version = ?", [version]).fetchone():
                    continue
                cursor.execute(sql)
                cursor.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, times.to_db(times.now_utc())])
            applied.append(name)
        rollups.ensure(self)  # derived tables, made from their definitions (escala/rollups.py)
        return applied


class Database(BaseDatabase):
    """A DuckDB file (or ``:memory:``) with per-thread cursors and serialized writes."""

    def __init__(self, path: str | Path | None = None, memory_limit: str | None = None):
        if path is not None and not str(path).strip():
            raise DatabaseUnusable("Falta la ruta de la base de datos: indica un archivo .duckdb con ESCALA_DB o --db.")
        self.path = Path(path) if path is not None else default_path()
        self.name = str(self.path)  # what messages call it
        self.location = self.path  # what open_database takes to open it again
        self.in_memory = str(self.path) == ":memory:"
        # Never download extensions: everything Escala uses is built into the wheel. (With
        # downloads on, DuckDB 2.0 replaying a WAL that holds an ALTER of a table whose CHECK
        # uses trim() tries to *install* core_functions and the file cannot be opened offline.)
        config = {"memory_limit": memory_limit or duckdb_memory_limit(),
                  "autoinstall_known_extensions": False}
        self._key = ":memory:" if self.in_memory else str(self.path.resolve())
        first = _register_open(self._key)
        try:
            self._connection = self._connect(config)
        except BaseException:
            _register_close(self._key)
            raise
        self._closed = False
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._version = 0  # committed write transactions
        if not self.in_memory:  # the file is ours now (DuckDB holds its lock): tidy up after others
            self._make_private()
            if first:
                self._clear_spill_folder()
        cleanup_stale_temp_files()

    def _connect(self, config: dict) -> duckdb.DuckDBPyConnection:
        if not self.in_memory:
            _check_database_file(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                problem = f"no se puede crear la carpeta {self.path.parent} ({error.strerror})"
                raise _unusable(self.path, problem) from None
        try:
            return duckdb.connect(str(self.path), config=config)
        except duckdb.Error as error:  # a damaged file, a newer format, no permission...
            if isinstance(error, duckdb.IOException) and "lock" in str(error).lower():
                raise DatabaseLocked(_lock_message(self.path, error)) from None
            raise _unusable(self.path, str(error).splitlines()[0]) from None

    def own_files(self) -> tuple[Path, ...]:
        """The file, its write-ahead log and its spill folder (DuckDB's default, ``<file>.tmp``):
        paths nothing else may write to."""
        if self.in_memory:
            return ()
        return (self.path, self.path.with_name(self.path.name + ".wal"),
                self.path.with_name(self.path.name + ".tmp"))

    def _make_private(self) -> None:
        """0600 for a file and log created before files were private (or copied in loosely)."""
        for file in self.own_files()[:2]:
            try:
                if file.exists() and stat.S_IMODE(file.stat().st_mode) != PRIVATE_FILE_MODE:
                    file.chmod(PRIVATE_FILE_MODE)
            except OSError:
                pass  # not the owner: DuckDB could open it, so it is the operator's to fix

    def _clear_spill_folder(self) -> None:
        """Empty the spill folder a killed process left (nobody else can be using it: we hold the lock)."""
        folder = self.own_files()[2]
        if folder.is_dir() and not folder.is_symlink():
            for entry in folder.iterdir():
                _remove(entry)

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
                self._version += 1
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            finally:
                self._local.in_transaction = False

    def data_version(self) -> int:
        """A number that changes after every committed write (this process owns the file:
        nobody else writes while it is open)."""
        return self._version

    def rewrite_sorted(self, cursor: duckdb.DuckDBPyConnection, table: str, order_by: str) -> None:
        """Inside a transaction: store ``table``'s rows again in ``order_by`` order (same rows,
        same schema and indexes), so that reads filtering on the leading columns skip most
        row groups by their min/max. The table is made anew: DuckDB cannot delete and re-insert
        the same primary keys in one transaction."""
        (ddl,) = cursor.execute("SELECT sql FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()
        indexes = [row[0] for row in cursor.execute(
            "SELECT sql FROM duckdb_indexes() WHERE table_name = ? AND sql IS NOT NULL", [table]).fetchall()]
        cursor.execute(f"CREATE TEMP TABLE rewrite AS SELECT * FROM {table} ORDER BY {order_by}")  # sql-ok: ours
        cursor.execute(f"DROP TABLE {table}")  # sql-ok
        cursor.execute(ddl)
        cursor.execute(f"INSERT INTO {table} SELECT * FROM rewrite")  # sql-ok
        for statement in indexes:
            cursor.execute(statement)
        cursor.execute("DROP TABLE rewrite")

    def checkpoint(self) -> None:
        with self._write_lock:
            self.cursor().execute("CHECKPOINT")

    def close(self) -> None:
        self._connection.close()
        if not self._closed:
            self._closed = True
            _register_close(self._key)


# which numbered migrations a database has applied (the same table on every engine)
SCHEMA_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"""


def migration_files(engine: str = "duckdb") -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` for each ``migrations/NNN_name.sql``, in order; a file of the
    same name in ``migrations/<engine>/`` replaces the shared one on that engine, and a number
    found only there is that engine's alone (what its dialect needs first)."""
    def numbered(folder) -> dict[str, tuple[int, str, str]]:
        found = {}
        for entry in folder.iterdir() if folder.is_dir() else ():
            match = re.fullmatch(r"(\d{3})_\w+\.sql", entry.name)
            if match:
                found[entry.name] = (int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
        return found

    folder = resources.files("escala") / "migrations"
    files = numbered(folder) | numbered(folder / engine)
    versions = [version for version, _, _ in files.values()]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number for {engine}: {sorted(files)}")
    return sorted(files.values())
