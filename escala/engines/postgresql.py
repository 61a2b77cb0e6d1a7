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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import pandas as pd

from escala.db import BaseDatabase, DatabaseUnusable
from escala.engines import duckdb

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


# how every connection starts: autocommit (transactions are explicit, as on DuckDB) and
# instants in UTC (naive TIMESTAMPs hold UTC: casts must not use the server's zone)
CONNECTION_SETTINGS = {"autocommit": True, "options": "-c TimeZone=UTC", "connect_timeout": CONNECT_TIMEOUT_S}


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

    def first_by(self, value: str, *order: str) -> str:
        return f"(array_agg({value} ORDER BY {', '.join(order)}))[1]"

    def append(self, cursor, table: str, names: list[str], rows: list[tuple], dtypes: dict) -> None:
        """``COPY … FROM STDIN`` on the transaction's connection: no statement per row."""
        with cursor.connection.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:  # sql-ok
            for row in rows:
                copy.write_row(row)

    # transfer
    def batches(self, db, sql: str, size: int) -> Iterator[list[tuple]]:
        """The rows of ``sql`` (a trusted read), ``size`` at a time, through a server-side
        cursor in one read-only snapshot (the result never sits whole in memory)."""
        cursor = db.new_cursor()
        try:
            with cursor.connection.transaction():
                cursor.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.connection.execute("SET LOCAL synchronize_seqscans = off")  # scans start at the table's start
                server = cursor.connection.cursor(name="escala_batches")
                server.execute(sql)
                while rows := server.fetchmany(size):
                    yield rows
        finally:
            cursor.close()


OPERATIONS = Operations()


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
        # without values psycopg sends the text as it is (several statements allowed)
        cursor = connection.execute(translate(sql) if params else sql, list(params) if params else None)
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
            connection.execute("ROLLBACK; RESET ALL") if connection.info.transaction_status else \
                connection.execute("RESET ALL")
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
        with self._pool.connection() as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])  # processes starting together
            # a sequence: never blocks a writer, never rolls back, and is not a table
            connection.execute("CREATE SEQUENCE IF NOT EXISTS escala_data_version")
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
