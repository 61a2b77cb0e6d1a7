"""PostgreSQL, the server-mode engine: a cursor that speaks the store's SQL and hands back
the same Python values as DuckDB's.

The store writes one SQL text for both engines, with ``?`` placeholders (DuckDB's); psycopg
binds ``%s``. ``translate`` rewrites the placeholders outside quoted text and doubles the
``%`` signs psycopg would otherwise read as its own. Values come back as DuckDB returns them:
naive UTC datetimes for TIMESTAMP, ``str`` for ENUM and JSON columns (psycopg would parse
JSON), ``Decimal`` for DECIMAL.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
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
        """Around a bulk copy into ``tables`` (in the caller's transaction): their secondary
        indexes dropped, and made again once the rows are in (one sort each instead of a
        btree insert per row). Keys stay: they check the rows as they come."""
        found = cursor.execute(
            "SELECT i.indexrelid::regclass::TEXT, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relnamespace = current_schema()::regnamespace "
            "AND t.relname = ANY(?) AND NOT i.indisunique ORDER BY 1", [list(tables)]).fetchall()
        for name, _ in found:
            cursor.execute(f"DROP INDEX {name}")  # sql-ok: a catalog name
        yield
        for _, definition in found:
            cursor.execute(definition)

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
    def export_order(self, alias: str) -> str:
        """The order DuckDB stores items in after demo data or ``compact`` (rollups.ITEM_ORDER)."""
        from escala.rollups import ITEM_ORDER

        return " ORDER BY " + ", ".join(f"{alias}.{term}" for term in ITEM_ORDER.split(", "))

    def starts_formula(self, text: str, mask: int) -> str:
        """By the first character's code: a comparison of texts follows the column's
        collation, under which a tab or a line break may weigh nothing."""
        return f"(ascii({text}) BETWEEN 9 AND 64 AND ({mask}::BIGINT >> (ascii({text}) - 9)) & 1 = 1)"

    def iso_wall_clock(self, timestamp: str) -> str:
        return f"to_char({timestamp}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"

    def iso_in_session_zone(self, instant: str) -> str:
        """``TZH:TZM`` always has its minutes; an old offset's seconds (-06:36:36) are added,
        as DuckDB prints them."""
        zoned = f"({instant} AT TIME ZONE 'UTC')"
        seconds = f"extract(timezone FROM {zoned})::INTEGER"
        return (f"to_char({zoned}, 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM') || CASE WHEN {seconds} % 60 = 0 THEN '' "
                f"ELSE ':' || lpad((abs({seconds}) % 60)::TEXT, 2, '0') END")

    def days_since_in_session_zone(self, instant: str, today: str) -> str:
        return f"(({today})::DATE - ({instant} AT TIME ZONE 'UTC')::DATE)::BIGINT"

    def write_csv(self, cursor, sql: str, params: list, path: Path, separator: str, gzip: bool) -> int:
        """``COPY (sql) TO STDOUT`` streamed into the file block by block (gzip by Python's
        ``gzip``, level 6, no name or time in its header). COPY takes no bound parameters: the
        values are rendered as SQL literals by psycopg (``ClientCursor.mogrify``)."""
        if separator not in (",", ";"):
            raise ValueError("El separador debe ser ',' o ';'.")
        statement = (f"COPY ({_client_bound(cursor.connection, sql, params)}) TO STDOUT "  # sql-ok: values rendered by psycopg
                     f"(FORMAT csv, HEADER, DELIMITER '{separator}', NULL '')")  # sql-ok: a checked separator
        with open(path, "wb") as raw, (gzip_file(raw) if gzip else nullcontext(raw)) as out:
            copier = cursor.connection.cursor()
            with copier.copy(statement) as copy:
                for block in copy:  # a row per block: PostgreSQL sends each row as one message
                    row = bytes(block)
                    out.write(_quote_hashes(row, separator) if b"#" in row else row)
            return copier.rowcount

    def write_parquet(self, cursor, sql: str, params: list, path: Path) -> int:
        """Read through a server-side cursor in batches of ``EXPORT_BATCH_ROWS`` rows, each
        written as Arrow columns by pyarrow's ``ParquetWriter`` (zstd): never the whole result
        in memory. The columns' types are DuckDB's for the same SQL types."""
        from pyarrow import parquet

        rows = 0
        with _arrow_batches(cursor, sql, params, EXPORT_BATCH_ROWS) as (schema, batches), \
                parquet.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
        return rows

    def frame(self, cursor, sql: str, params: list) -> pd.DataFrame:
        """DuckDB's own conversion of the same Arrow columns: the frame, its dtypes and
        missing values included, is the one DuckDB's ``.df()`` gives."""
        import duckdb as duckdb_library
        import pyarrow as pa

        with _arrow_batches(cursor, sql, params, EXPORT_BATCH_ROWS) as (schema, batches):
            table = pa.Table.from_batches(list(batches), schema=schema)
        return duckdb_library.from_arrow(table).df()

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
        a million lines take seconds; ``bring_in`` hands the results to the import's cursor."""
        import duckdb as duckdb_library

        folder = tempfile.mkdtemp(prefix="escala-import-")
        try:
            stage = duckdb_library.connect(config={"autoinstall_known_extensions": False, "temp_directory": folder,
                                                   "memory_limit": duckdb_memory_limit()})
            try:
                stage.execute("SET TimeZone = 'UTC'")  # as the DuckDB engine's cursors
                yield stage
            finally:
                stage.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def bring_in(self, stage, cursor, tables: dict[str, list[str]]) -> None:
        """Each of the file stage's ``tables`` (name: the columns the import goes on to read)
        as a temporary table of the same name, those columns and their types on ``cursor``:
        written by DuckDB as CSV beside its spill files, streamed in by ``COPY … FROM STDIN``,
        then analyzed (autovacuum never sees temporary tables). PostgreSQL's text holds no NUL:
        it becomes U+0001 (such a line is refused already)."""
        (folder,) = stage.execute("SELECT current_setting('temp_directory')").fetchone()
        for name, wanted in tables.items():
            kinds = dict(stage.execute(f"SELECT column_name, column_type FROM (DESCRIBE {name})").fetchall())  # sql-ok
            columns = [(column, kinds[column]) for column in wanted]
            cells = ", ".join(_postgresql_text(column, kind) for column, kind in columns)
            path = Path(folder) / f"{name}.csv"
            stage.execute(f"COPY (SELECT {cells} FROM {name}) TO {duckdb._literal(str(path))} "  # sql-ok: our names
                          "(FORMAT csv, HEADER false)")
            definition = ", ".join(f'"{column}" {_POSTGRESQL_TYPES[kind]}' for column, kind in columns)  # sql-ok
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")  # sql-ok: our names
            cursor.execute(f"CREATE TEMP TABLE {name} ({definition})")  # sql-ok: our names and types
            try:
                with open(path, "rb") as source, \
                        cursor.connection.cursor().copy(f"COPY {name} FROM STDIN (FORMAT csv)") as copy:  # sql-ok
                    while chunk := source.read(1 << 20):
                        copy.write(chunk)
            finally:
                path.unlink(missing_ok=True)
            cursor.execute(f"ANALYZE {name}")  # sql-ok: our names

    def replace_temp_table(self, cursor, name: str, select: str, params: list | tuple = ()) -> None:
        """Made under a new name first (``select`` may read the old table), then analyzed:
        autovacuum never sees temporary tables, and the planner needs their sizes."""
        if params:  # a CREATE TABLE takes no parameters: psycopg binds them into the text
            from psycopg import ClientCursor
            select = ClientCursor(cursor.connection).mogrify(translate(select), list(params))
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}_new")  # sql-ok: our names
        cursor.execute(f"CREATE TEMP TABLE {name}_new AS {select}")  # sql-ok: our names
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")  # sql-ok: our names
        cursor.execute(f"ALTER TABLE {name}_new RENAME TO {name}")  # sql-ok: our names
        cursor.execute(f"ANALYZE {name}")  # sql-ok: our names

    def drop_staging(self, cursor) -> None:
        """The import's temporary tables go: its connection returns to the pool."""
        cursor.execute("DISCARD TEMP")


# DuckDB's types of a file stage's tables, as PostgreSQL's (bring_in)
_POSTGRESQL_TYPES = {"BIGINT": "BIGINT", "INTEGER": "INTEGER", "BOOLEAN": "BOOLEAN", "VARCHAR": "TEXT",
                     "TIMESTAMP": "TIMESTAMP"}


def _postgresql_text(column: str, kind: str) -> str:
    """DuckDB SQL: the column as PostgreSQL's CSV input reads it back exactly: text without
    NUL, and an instant before year 1 as PostgreSQL writes it (``0001-02-29 10:00:00 BC``,
    where DuckDB writes ``0001-02-29 (BC) 10:00:00``)."""
    if kind not in _POSTGRESQL_TYPES:
        raise TypeError(f"no PostgreSQL type for DuckDB's {kind} (column {column})")
    quoted = f'"{column}"'
    if kind == "VARCHAR":
        return f"replace({quoted}, chr(0), chr(1))"  # sql-ok: our names
    if kind == "TIMESTAMP":
        return (f"CASE WHEN {quoted} < TIMESTAMP '0001-01-01' THEN replace(CAST({quoted} AS VARCHAR), ' (BC)', '') "  # sql-ok
                f"|| ' BC' ELSE CAST({quoted} AS VARCHAR) END")  # sql-ok: our names
    return quoted


OPERATIONS = Operations()

EXPORT_BATCH_ROWS = 50_000  # rows read at a time for Parquet: a few tens of MB of Python values


def gzip_file(raw):
    """A gzip stream over the open binary file ``raw`` (no file name or time in its header)."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)


@lru_cache(maxsize=2)
def _csv_field(separator: str) -> re.Pattern:
    """A field of a CSV row: quoted (``""`` inside), or a run without quotes, separators or line breaks."""
    return re.compile(b'"(?:[^"]|"")*"|[^"' + re.escape(separator.encode()) + b'\r\n]+')


def _quote_hashes(row: bytes, separator: str) -> bytes:
    """The CSV ``row`` with DuckDB's one extra rule: a cell holding ``#`` (its CSV comment
    mark) is quoted too; PostgreSQL quotes only the cells CSV needs quoted."""
    return _csv_field(separator).sub(
        lambda field: field[0] if field[0].startswith(b'"') or b"#" not in field[0] else b'"' + field[0] + b'"', row)


def _client_bound(connection, sql: str, params) -> str:
    """``sql`` (``?`` placeholders) with ``params`` rendered as SQL literals by psycopg."""
    if not params:
        return sql
    from psycopg import ClientCursor

    return ClientCursor(connection).mogrify(translate(sql), list(params))


def _arrow_type(type_code: int):
    """The Arrow type DuckDB gives the same SQL type (in Parquet and in ``.df()``)."""
    import pyarrow as pa
    from psycopg.postgres import types

    name = types.get(type_code).name if types.get(type_code) else None
    known = {"int2": pa.int16(), "int4": pa.int32(), "int8": pa.int64(), "bool": pa.bool_(), "text": pa.string(),
             "varchar": pa.string(), "float8": pa.float64(), "date": pa.date32(), "timestamp": pa.timestamp("us"),
             "timestamptz": pa.timestamp("us", tz="UTC")}
    if name not in known:
        raise TypeError(f"no Arrow type for PostgreSQL type {name or type_code}")
    return known[name]


@contextmanager
def _arrow_batches(cursor, sql: str, params, size: int):
    """``(schema, batches)``: ``sql``'s columns as an Arrow schema and its rows as Arrow
    record batches of up to ``size`` rows, read through a server-side cursor on ``cursor``'s
    connection (inside its transaction)."""
    import pyarrow as pa

    with cursor.connection.cursor(name="escala_export") as reader:
        reader.execute(*_psycopg(sql, params))
        schema = pa.schema([(column.name, _arrow_type(column.type_code)) for column in reader.description])

        def batches():
            while rows := reader.fetchmany(size):
                columns = zip(*rows, strict=True)
                yield pa.record_batch([pa.array(values, type=field.type) for values, field in
                                       zip(columns, schema, strict=True)], schema=schema)

        yield schema, batches()


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
