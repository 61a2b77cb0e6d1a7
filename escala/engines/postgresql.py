"""PostgreSQL, the server-mode engine: a cursor that speaks the store's SQL and hands back
the same Python values as DuckDB's.

The store writes one SQL text for both engines, with ``?`` placeholders (DuckDB's); psycopg
binds ``%s``. ``translate`` rewrites the placeholders outside quoted text and doubles the
``%`` signs psycopg would otherwise read as its own. Values come back as DuckDB returns them:
naive UTC datetimes for TIMESTAMP, ``str`` for ENUM and JSON columns (psycopg would parse
JSON), ``Decimal`` for DECIMAL.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from escala.db import BaseDatabase, DatabaseUnusable, duckdb_memory_limit
from escala.engines import duckdb

TOTALS_WORK_MEM = "512MB"  # per sort or hash while building and checking the rollups (``prepare_totals``)
DEFAULT_POOL_SIZE = 10  # connections per process (ESCALA_POOL_SIZE): sessions and the Tablero's readers
CONNECT_TIMEOUT_S = 10
# Every write transaction of every process takes this lock first (released at COMMIT or
# ROLLBACK): writes run one at a time, as on the DuckDB file, so the check-then-write rules
# (unique emails, id counters, rollup sums) cannot race and rollup upserts cannot deadlock.
WRITE_LOCK = 0x657363616C61  # "escala"


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """``sql`` with each ``?`` placeholder as ``%s`` and each ``%`` as ``%%``; text inside
    single quotes (literals), double quotes (identifiers) and ``--`` comments keeps its
    question marks."""
    out, quote, k = [], None, 0
    while k < len(sql):
        char = sql[k]
        if quote is None and sql.startswith("--", k):
            end = sql.find("\n", k)
            end = len(sql) if end < 0 else end
            out.append(sql[k:end].replace("%", "%%"))
            k = end
            continue
        if char == "%":
            out.append("%%")
        elif quote is None and char == "?":
            out.append("%s")
        else:
            out.append(char)
            if char in "'\"":
                quote = None if quote == char else quote or char  # '' inside a literal closes and reopens
        k += 1
    return "".join(out)


# how every connection starts: autocommit (transactions are explicit, as on DuckDB), instants
# in UTC (naive TIMESTAMPs hold UTC: casts must not use the server's zone), and no JIT: LLVM
# spends seconds compiling the long generated expressions of exports, imports and rollups
# (12 s of CPU for a million-row export) and the rest are short queries it cannot speed up
CONNECTION_SETTINGS = {"autocommit": True, "options": "-c TimeZone=UTC -c jit=off", "connect_timeout": CONNECT_TIMEOUT_S}


def _configure(connection) -> None:
    """JSON columns load as text, as DuckDB returns them (the store parses them itself)."""
    from psycopg.types.string import TextLoader

    for json_type in ("json", "jsonb"):
        connection.adapters.register_loader(json_type, TextLoader)


def connect(url: str):
    """One psycopg connection set up as the pool's are."""
    import psycopg

    connection = psycopg.connect(url, **CONNECTION_SETTINGS)
    _configure(connection)
    return connection


def redacted(url: str) -> str:
    """``url`` without its password (what messages and logs may show)."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


class Operations(duckdb.Operations):
    """PostgreSQL's answers to ``duckdb.Operations``' questions (where they differ)."""

    name = "postgresql"

    def epoch_us(self, instant: str) -> str:
        return f"(extract(epoch FROM {instant}) * 1000000)::BIGINT"  # numeric: exact to the microsecond

    def int_div(self, dividend: str, divisor: str) -> str:
        return f"(({dividend})::BIGINT / ({divisor})::BIGINT)"  # integer division truncates toward zero

    def from_epoch_us(self, micros: str) -> str:
        return f"(TIMESTAMP '1970-01-01' + ({micros}) * INTERVAL '1 microsecond')"

    def rollup_index(self, table: str, columns: tuple[str, ...]) -> str | None:
        # PostgreSQL keeps no order to skip by: without an index a filtered Tablero read
        # (90 days, one person) scans the whole rollup (1 M items: 95 ms, with it 15 ms)
        return f"CREATE INDEX {table}_readers ON {table} ({', '.join(columns)})"  # sql-ok: our names

    def first_by(self, value: str, *order: str) -> str:  # as DuckDB's arg_min, NULL values are skipped
        return f"(array_agg({value} ORDER BY {', '.join(order)}) FILTER (WHERE {value} IS NOT NULL))[1]"  # sql-ok

    def whole_days(self, start: str, end: str) -> str:
        """The day field of the difference: PostgreSQL makes it whole days truncated toward
        zero plus the remainder (``justify_hours``); no NUMERIC per row, as ``epoch_us`` takes."""
        return f"extract(day FROM ({end}) - ({start}))::INTEGER"

    # the Tablero's rollups
    def prepare_totals(self, cursor) -> None:
        """For the rest of the transaction (``SET LOCAL``): no JIT (compiling a statement's
        26 sums took seconds, several times over with parallel workers); no parallel workers
        (nearly every key of the finest rollups holds one or two contributions, so each
        worker's partial sums are as many rows as its input, added up again after a sort);
        and memory enough for a million keys' sums to stay in one hash table."""
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(f"SET LOCAL work_mem = '{TOTALS_WORK_MEM}'")

    def storage_order(self, columns: tuple[str, ...]) -> str:
        """None: PostgreSQL reads a rollup whole (no zone maps, no index), whatever its order."""
        return ""

    def refresh_statistics(self, cursor, tables: list[str]) -> None:
        """ANALYZE ``tables`` (after a bulk copy, before the rollups are built from them):
        autovacuum would get to them only later, and the planner needs their sizes now."""
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')  # sql-ok: catalog names

    @contextmanager
    def indexes_after(self, cursor, tables: list[str]) -> Iterator[None]:
        """Around a bulk copy into ``tables`` (in the caller's transaction): their indexes and
        keys dropped, and made again once the rows are in (one sort each instead of a btree
        insert per row: 1 M items went in in 3.9 s instead of 5.3 with their primary key). A
        key made again checks every row, so a duplicate still fails the transaction."""
        found = cursor.execute(
            "SELECT t.relname, i.indexrelid::regclass::TEXT, c.conname, "
            "coalesce(pg_get_constraintdef(c.oid), pg_get_indexdef(i.indexrelid)) FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
            "AND c.conrelid = t.oid WHERE t.relnamespace = current_schema()::regnamespace "
            "AND t.relname = ANY(?) ORDER BY c.conname IS NULL, 2", [list(tables)]).fetchall()
        for table, index, constraint, _ in found:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"' if constraint  # sql-ok: catalog
                           else f"DROP INDEX {index}")  # sql-ok: a catalog name
        yield
        for table, _, constraint, definition in found:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" {definition}' if constraint  # sql-ok
                           else definition)

    def append(self, cursor, table: str, names: list[str], rows: list[tuple], dtypes: dict) -> None:
        """``COPY … FROM STDIN`` on the transaction's connection: no statement per row."""
        with cursor.connection.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:  # sql-ok
            for row in rows:
                copy.write_row(row)

    # transfer
    def batches(self, db, sql: str, size: int) -> Iterator[list[tuple]]:
        """The rows of ``sql`` (a trusted read), ``size`` at a time, through a server-side
        cursor in one read-only snapshot (the result never sits whole in memory)."""
        with db.own_cursor() as cursor, cursor.connection.transaction():
            cursor.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.connection.execute("SET LOCAL synchronize_seqscans = off")  # scans start at the table's start
            server = cursor.connection.cursor(name="escala_batches")
            server.execute(sql)
            while rows := server.fetchmany(size):
                yield rows

    # export
    @contextmanager
    def export_source(self, cursor, reads: tuple, where: str, params: list, limit: int | None) -> Iterator[tuple]:
        """A private in-memory DuckDB (as the import's ``file_stage``) where the export query
        runs, holding the ``items`` that ``where`` picks (at most ``limit``) and the rows of
        the other ``reads`` they name, each copied by ``COPY … TO STDOUT`` in the snapshot of
        ``cursor``'s transaction: PostgreSQL only finds and sends rows, and DuckDB joins,
        formats and writes them, so the file is DuckDB's by construction, and a million rows
        take seconds (joined and formatted here they took ten).

        Items come in the order the table holds them, as on DuckDB: read by a scan of the
        table from its start or by a bitmap of an index (both in the table's order), never by
        a plain index scan (in the index's order), so a ``limit`` or a filter changes which
        rows come, not their order. An import writes rows in its file's order, so export ->
        import -> export gives the same file."""
        for setting in ("synchronize_seqscans", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")  # sql-ok: our names
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")  # one process reads in the table's order
        cursor.execute("SET LOCAL DateStyle = 'ISO'")  # instants as DuckDB reads them
        with self.file_stage(cursor) as stage:
            (folder,) = stage.execute("SELECT current_setting('temp_directory')").fetchone()
            for table, types, named_by in reads:
                columns = ", ".join(types)
                if named_by is None:
                    select = f"SELECT {columns} FROM {table} i WHERE {where}"  # sql-ok: our names, the caller's filter
                    select += f" LIMIT {int(limit)}" if limit is not None else ""
                    bound = params
                else:
                    select = f"SELECT {columns} FROM {table} WHERE id = ANY(?::INTEGER[])"  # sql-ok: our names
                    bound = [_array_literal(stage, named_by)]
                definition = ", ".join(f"{name} {kind}" for name, kind in types.items())
                stage.execute(f"CREATE TABLE {table} ({definition})")  # sql-ok: our names and types
                _copy_into(stage, table, cursor.connection, _client_bound(cursor.connection, select, bound), Path(folder))
            yield stage, "TRUE", [], None

    # import

    @property
    def database_errors(self) -> tuple:
        import duckdb as duckdb_library
        import psycopg
        return (psycopg.Error, duckdb_library.Error)  # the file is read and judged on DuckDB (file_stage)

    @contextmanager
    def file_stage(self, cursor) -> Iterator:
        """A private in-memory DuckDB (under DuckDB's memory limit, spilling to a private
        folder) where the import reads its file and judges the file's own rules: DuckDB's
        reader (same dialect, same refusals and line numbers) and DuckDB's SQL (RE2's regexes,
        ``try_cast``'s instants), so every verdict on the file is DuckDB's by construction, and
        a million lines take seconds; ``load_stage`` then makes it a small copy of the database
        where the rows are judged against the database and loaded."""
        import duckdb as duckdb_library

        folder = tempfile.mkdtemp(prefix="escala-import-")
        try:
            # never checkpointed: DuckDB would compress an in-memory database's tables every
            # 16 MB of writes (0.2 s a time while a million rows come in) for a stage dropped after
            stage = duckdb_library.connect(config={"autoinstall_known_extensions": False, "temp_directory": folder,
                                                   "memory_limit": duckdb_memory_limit(),
                                                   "checkpoint_threshold": "1TB"})
            try:
                stage.execute("SET TimeZone = 'UTC'")  # as the DuckDB engine's cursors
                yield stage
            finally:
                stage.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def load_stage(self, stage, cursor, needs: tuple) -> Iterator[Callable[[], None]]:
        """The file ``stage`` made a small Escala database where the import judges its rows
        against the database and loads them, with DuckDB's SQL: the schema (DuckDB's
        migrations), and of each table in ``needs`` (imports.Need) the rows the import reads,
        copied from ``cursor``'s transaction (under the write lock: nothing changes them
        meanwhile). Yields ``write_back``, which writes to ``cursor`` what the load changed
        (``Need.writes``), by ``COPY … FROM STDIN``. A million rows are judged and loaded in
        seconds, where PostgreSQL's own statements over temporary tables took a minute."""
        from escala import rollups
        from escala.db import migration_files

        (folder,) = stage.execute("SELECT current_setting('temp_directory')").fetchone()
        for _, _, sql in migration_files("duckdb"):
            stage.execute(sql)
        rollups.create_write_tables(stage)
        for need in needs:
            stage.execute(f"DELETE FROM {need.table}")  # sql-ok: our names (what migrations put there)
            if need.rows != "FALSE":
                chosen = [_array_literal(stage, listing) for listing in need.lists]
                select = f"SELECT {_columns(stage, need.table)} FROM {need.table} WHERE {need.rows}"  # sql-ok: ours
                _copy_into(stage, need.table, cursor.connection, _client_bound(cursor.connection, select, chosen),
                           Path(folder))
            if need.writes == "rewrite":  # what was read, to write back only what the load changed
                stage.execute(f"CREATE TABLE {need.table}_as_read AS FROM {need.table}")  # sql-ok: ours
        counters = dict(stage.execute("SELECT name, last_id FROM id_counters").fetchall())

        def write_back() -> None:
            shipped = []  # (table, the stage's rows it gets, their values, the ids of the rows they replace)
            for need in needs:
                if need.writes == "counters":
                    for name, last in stage.execute("SELECT name, last_id FROM id_counters").fetchall():
                        if last != counters.get(name):
                            cursor.execute("UPDATE id_counters SET last_id = ? WHERE name = ?", [last, name])
                elif need.writes == "new":
                    shipped.append((need.table, "WHERE t.id > ?", [counters[need.table]], None))
                elif need.writes == "all":
                    shipped.append((need.table, "", [], None))
                elif need.writes == "rewrite":  # rows new or changed; the old versions of those changed or gone
                    as_read = f"{need.table}_as_read"
                    differ = "WHERE r.id IS NULL OR t IS DISTINCT FROM r"  # whole rows compared, NULLs alike
                    shipped.append((need.table, f"LEFT JOIN {as_read} r ON r.id = t.id {differ} ORDER BY t.rowid", [],
                                    _array_literal(stage, f"SELECT id FROM (SELECT r.id FROM {as_read} r "  # sql-ok
                                                          f"LEFT JOIN {need.table} t ON t.id = r.id {differ})")))
            # DuckDB writes each table's file in a thread of its own while PostgreSQL reads the one before
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="escala-import") as writer:
                files = [writer.submit(_stage_file, stage, table, rows, values, Path(folder))
                         for table, rows, values, _ in shipped]
                try:
                    for (table, _, _, replaced), file in zip(shipped, files, strict=True):
                        if replaced not in (None, "{}"):
                            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(?::BIGINT[])", [replaced])  # sql-ok
                        _copy_file(cursor, table, file.result())
                finally:
                    for file in files:
                        with suppress(Exception):  # the first failure is already on its way up
                            file.result().path.unlink(missing_ok=True)

        yield write_back


OPERATIONS = Operations()


EXPORT_PART_BYTES = 32 * 2**20  # the rows a copy writes to one file before DuckDB appends it


def _copy_into(stage, table: str, connection, select: str, folder: Path) -> None:
    """Append the rows of ``select`` (PostgreSQL's, values bound) to the DuckDB ``stage``'s
    ``table`` (the same columns, in order), in the order they come: ``COPY … TO STDOUT``
    streamed into files of about ``EXPORT_PART_BYTES``, each appended by DuckDB's CSV reader
    in a thread of its own while the next one streams (DuckDB works outside the GIL)."""
    def append(path: Path) -> None:
        try:
            with stage.cursor() as loader:  # a connection of the thread's own to the same database
                loader.execute(f"INSERT INTO {table} SELECT * FROM read_csv({duckdb._literal(str(path))}, "  # sql-ok
                               f"columns = {{{columns}}}, header = false, delim = ',', quote = '\"', escape = '\"', "
                               "allow_quoted_nulls = false, auto_detect = false)")
        finally:
            path.unlink(missing_ok=True)

    columns = ", ".join(f"{duckdb._literal(name)}: {duckdb._literal(kind if kind in _CSV_TYPES else 'VARCHAR')}"
                        for name, kind in _described(stage, table))
    statement = f"COPY ({select}) TO STDOUT (FORMAT csv, ENCODING 'UTF8')"  # sql-ok: values rendered by psycopg
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="escala-export") as loader:  # one: parts in order
        appended, out, part = [], None, 0
        try:
            with connection.cursor().copy(statement) as copy:
                for row in copy:  # PostgreSQL sends each row as one message
                    if out is None:
                        out = open(folder / f"{table}-{len(appended)}.csv", "wb", buffering=1 << 20)  # noqa: SIM115
                    part += out.write(row)
                    if part >= EXPORT_PART_BYTES:
                        out.close()
                        appended.append(loader.submit(append, Path(out.name)))
                        out, part = None, 0
            if out is not None:
                out.close()
                appended.append(loader.submit(append, Path(out.name)))
                out = None
        finally:
            if out is not None:
                out.close()
                Path(out.name).unlink(missing_ok=True)
            for future in appended:
                future.result()  # raises the first failure; waits for every part either way


_CSV_TYPES = {"BIGINT", "INTEGER", "SMALLINT", "BOOLEAN", "VARCHAR", "TIMESTAMP", "DATE"}  # read as such; others as text


def _columns(stage, table: str) -> str:
    """The stage ``table``'s columns, in order (the same names on PostgreSQL: the same migrations)."""
    return ", ".join(name for name, _ in _described(stage, table))


def _described(stage, table: str) -> list[tuple[str, str]]:
    return stage.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()  # sql-ok: our names


def _array_literal(stage, listing: str) -> str:
    """The distinct values of the stage's query ``listing`` as the text of a PostgreSQL array,
    e.g. ``{"7","12"}`` (each element quoted: a text's quotes and backslashes escaped; no NULL,
    and no text with a NUL, which no PostgreSQL text can equal), made by DuckDB: a million ids
    in a fraction of a second, where adapting a Python list took seconds. Cast it in SQL
    (``?::BIGINT[]``)."""
    escaped = r"""'"' || replace(replace(CAST(value AS VARCHAR), '\', '\\'), '"', '\"') || '"'"""
    (literal,) = stage.execute(f"SELECT '{{' || coalesce(string_agg({escaped}, ','), '') || '}}' "  # sql-ok: ours
                               f"FROM (SELECT DISTINCT value FROM ({listing}) AS listed(value) "  # sql-ok: ours
                               "WHERE value IS NOT NULL AND NOT contains(CAST(value AS VARCHAR), chr(0))) "
                               "AS distinct_values").fetchone()
    return literal


@dataclass(frozen=True)
class _StageFile:
    path: Path
    columns: str
    rows: int


def _stage_file(stage, table: str, rows: str, values: list, folder: Path) -> _StageFile:
    """The stage ``table``'s rows that ``rows`` picks (SQL after ``FROM table t``, with bound
    ``values``; without an ORDER BY they come in the table's order) written as CSV beside its
    spill files (on a connection of the calling thread's own)."""
    columns = _columns(stage, table)
    path = folder / f"{table}-back.csv"
    with stage.cursor() as writer:
        (count,) = writer.execute(f"COPY (SELECT t.* FROM {table} t {rows}) "  # sql-ok: ours
                                  f"TO {duckdb._literal(str(path))} (FORMAT csv, HEADER false)", values).fetchone()
    return _StageFile(path, columns, count)


def _copy_file(cursor, table: str, staged: _StageFile) -> None:
    """Append a ``_stage_file`` to the same table on ``cursor`` by ``COPY … FROM STDIN``; where
    its rows outnumber those already there (a team's first import), the table's indexes and
    keys are made again afterwards (``indexes_after``) rather than kept row by row."""
    try:
        if not staged.rows:
            return
        (present,) = cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?) AS counted",  # sql-ok
                                    [staged.rows]).fetchone()
        with (OPERATIONS.indexes_after(cursor, [table]) if present < staged.rows else nullcontext()), \
                open(staged.path, "rb") as source, cursor.connection.cursor().copy(
                    f"COPY {table} ({staged.columns}) FROM STDIN (FORMAT csv)") as copy:  # sql-ok: ours
            while chunk := source.read(1 << 20):
                copy.write(chunk)
    finally:
        staged.path.unlink(missing_ok=True)


def _client_bound(connection, sql: str, params) -> str:
    """``sql`` (``?`` placeholders) with ``params`` rendered as SQL literals by psycopg."""
    if not params:
        return sql
    from psycopg import ClientCursor

    return ClientCursor(connection).mogrify(translate(sql), list(params))


def _psycopg(sql: str, params) -> tuple[str, list | None]:
    """The store's statement and values as psycopg takes them: without values the text goes
    as it is (several statements allowed), with them ``?`` become ``%s``."""
    return (translate(sql), list(params)) if params else (sql, None)


class Cursor:
    """The part of DuckDB's cursor the store uses: over one connection (a transaction's, or
    one taken for a caller's own settings), or over the pool, each statement on whichever
    connection is free. Results are fetched whole at ``execute`` (libpq has them all by then)."""

    operations = OPERATIONS  # what escala.engines.operations_of finds on a cursor of ours

    def __init__(self, connection=None, pool=None, release=None):
        self.connection, self._pool, self._release = connection, pool, release
        self._rows: list[tuple] = []
        self._description = None

    def execute(self, sql: str, params=()) -> Cursor:
        if self.connection is not None:
            return self._run(self.connection, sql, params)
        with self._pool.connection() as connection:
            return self._run(connection, sql, params)

    def _run(self, connection, sql: str, params) -> Cursor:
        cursor = connection.execute(*_psycopg(sql, params))
        self._description = cursor.description
        if cursor.description:
            self._rows = cursor.fetchall()
        else:  # DuckDB answers a write with its row count: so does this cursor
            written = (cursor.statusmessage or "").startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
            self._rows = [(cursor.rowcount,)] if written else []
        return self

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows

    @property
    def description(self):
        return self._description

    def df(self) -> pd.DataFrame:
        return pd.DataFrame(self.fetchall(), columns=[column.name for column in self.description or []])

    def begin(self) -> None:
        """A read transaction over one snapshot (what an export reads first and its rows agree)."""
        self.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def close(self) -> None:
        if self._release is not None:
            self._release(self.connection)
            self._release = self.connection = None


class Database(BaseDatabase):
    """A PostgreSQL database through a pool of connections (server mode): several processes
    at once, writes one at a time across all of them (``WRITE_LOCK``)."""

    engine = "postgresql"
    operations = OPERATIONS
    in_memory = False

    def __init__(self, url: str, pool_size: int | None = None):
        from psycopg_pool import ConnectionPool

        self.url, self.location, self.name = url, url, redacted(url)
        try:
            connect(url).close()  # fail now, with a message, rather than when a page first reads
        except Exception as error:  # noqa: BLE001  psycopg says why: refused, unknown database, password...
            raise DatabaseUnusable(f"No se puede conectar a la base de datos {self.name}: "
                                   f"{str(error).strip().splitlines()[-1]}. Revisa ESCALA_DATABASE_URL o "
                                   "--database-url.") from None
        size = pool_size or int(os.environ.get("ESCALA_POOL_SIZE") or DEFAULT_POOL_SIZE)
        self._pool = ConnectionPool(url, min_size=1, max_size=size, kwargs=CONNECTION_SETTINGS,
                                    configure=_configure, open=True, name="escala")
        self._local = threading.local()
        self._closed = False

    def cursor(self) -> Cursor:
        """The current transaction's cursor in this thread, or one over the pool."""
        return getattr(self._local, "cursor", None) or Cursor(pool=self._pool)

    def new_cursor(self) -> Cursor:
        """A cursor over a connection of its own (to change session settings safely); close
        it after use (the connection goes back to the pool, its settings reset)."""
        def release(connection) -> None:
            connection.execute("ROLLBACK; RESET ALL" if connection.info.transaction_status else "RESET ALL")
            self._pool.putconn(connection)

        return Cursor(self._pool.getconn(), release=release)

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One explicit write transaction, committed on exit, rolled back on any error; it
        waits for the writes of every other process and thread (``WRITE_LOCK``)."""
        current = getattr(self._local, "cursor", None)
        if current is not None:
            yield current  # nested use joins the outer transaction
            return
        with self._pool.connection() as connection:
            with connection.transaction():
                cursor = Cursor(connection)
                connection.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
                self._local.cursor = cursor
                try:
                    yield cursor
                finally:
                    self._local.cursor = None
            # after COMMIT, never before: a reader seeing the new version sees the new data
            connection.execute("SELECT nextval('escala_data_version')")

    def migrate(self) -> list[str]:
        """The data version's sequence first (every write transaction, the migrations' too,
        moves it), then the numbered migrations."""
        with self.transaction() as cursor:  # under the write lock: processes may start together
            # a sequence: never blocks a writer, never rolls back, and is not a table
            cursor.execute("CREATE SEQUENCE IF NOT EXISTS escala_data_version")
        return super().migrate()

    def data_version(self) -> int:
        """A number that changes after every committed write of any process."""
        return self.query_one("SELECT last_value FROM escala_data_version")[0]

    def own_files(self) -> tuple:
        return ()  # the server's files are the server's

    def rewrite_sorted(self, cursor, table: str, order_by: str) -> None:
        """Nothing to do: PostgreSQL reads by index, not by row-group ranges."""

    def checkpoint(self) -> None:
        """Nothing to do: a committed write is in the server's log already."""

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.close()
