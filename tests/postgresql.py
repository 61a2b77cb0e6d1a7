"""A throwaway PostgreSQL cluster for the tests: Debian's binaries (``apt-get install
postgresql``, which ``.ci/run`` does), a fresh data folder, a free loopback port, stopped and
removed at the end. ``initdb`` refuses to run as root, so as root the cluster runs as the
``postgres`` user the package creates. Without the binaries the tests that need a cluster
skip, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port

USER = "escala"


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: ``ESCALA_POSTGRES_BIN``, or the newest
    Debian install under /usr/lib/postgresql."""
    configured = os.environ.get("ESCALA_POSTGRES_BIN")
    found = [Path(configured) / "initdb"] if configured else sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    return found[-1].parent if found and found[-1].exists() else None


def require_binaries() -> Path:
    found = binaries()
    if found is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)  # only outside CI: with CI=true a missing PostgreSQL fails just above
    return found


def _run(command: list[str], as_postgres: bool) -> None:
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, text=True)


@contextmanager
def throwaway_cluster(durable: bool = False) -> Iterator[str]:
    """Start a cluster; yield the URL of an empty database ``escala`` in it (user ``escala``,
    trusted on loopback only). Tests skip the disk syncs; ``durable`` keeps PostgreSQL's own
    settings (every commit synced, as DuckDB's are), for figures that compare the engines."""
    bin_dir = require_binaries()
    as_postgres = os.geteuid() == 0
    home = Path(tempfile.mkdtemp(prefix="escala-pg-"))  # not under pytest's 0700 folders: postgres must enter
    data, sockets = home / "data", home / "sockets"
    sockets.mkdir()
    if as_postgres:
        home.chmod(0o755)
        shutil.chown(home, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8", "--no-sync"], as_postgres)
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "server.log"), "-w",
              "start"], as_postgres)
        try:
            import psycopg
            with psycopg.connect(f"postgresql://{USER}@127.0.0.1:{port}/postgres", autocommit=True) as admin:
                admin.execute("CREATE DATABASE escala")
            yield f"postgresql://{USER}@127.0.0.1:{port}/escala"
        finally:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def migrated_schema(connection, schema: str):
    """A new schema ``schema`` (the session's cluster is shared) made the search path of
    ``connection``, with PostgreSQL's migration files applied through the engine's cursor, one
    transaction each and recorded, as ``Database.migrate`` applies them to a DuckDB file;
    returns that cursor."""
    from escala.db import SCHEMA_VERSION_TABLE, migration_files
    from escala.engines import postgresql

    connection.execute(f"CREATE SCHEMA {schema}")  # sql-ok: a name the tests make
    connection.execute(f"SET search_path = {schema}")  # sql-ok
    cursor = postgresql.Cursor(connection)
    cursor.execute(SCHEMA_VERSION_TABLE)
    for version, name, sql in migration_files("postgresql"):  # as Database.migrate on this engine
        with connection.transaction():
            cursor.execute(sql)
            cursor.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, name])
    return cursor


def _admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


_names = itertools.count(1)


def create_database(url: str) -> str:
    """A new empty database on ``url``'s cluster, named uniquely; returns its URL."""
    import psycopg

    name = f"t{os.getpid()}_{next(_names)}"  # one cluster per test process: unique in it
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # sql-ok: a name the tests make
    return url.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    """Drop ``url``'s database, ending whatever connection is left to it."""
    import psycopg
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")  # sql-ok: ours
