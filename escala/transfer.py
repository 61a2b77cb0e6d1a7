"""Move a team's data from one database to another (``python -m escala migrate --from --to``):
a DuckDB file to a PostgreSQL server when the team outgrows one machine, or back.

Every table the migrations made is copied row for row into an empty, migrated target in one
transaction, in batches through the target engine's bulk path (``Operations.append``: a
frame on DuckDB, ``COPY … FROM STDIN`` on PostgreSQL); the Tablero's rollups are derived data
and are built anew from the copied items (in a second transaction, as ``demo.seed`` does: the
uncommitted rows of a large copy would leave the aggregates little memory). Then the copy is
checked: the same row count in every table, rollups that agree with the items, and no broken
reference (``Store.integrity_problems``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from escala import rollups
from escala.db import BaseDatabase

BATCH_ROWS = 50_000
# What the copy leaves out: the migrations' own record (the target has its own) and the
# rollups (rebuilt from the items).
DERIVED = {"schema_version", rollups.DELTA, rollups.SOON, *(rollup.name for rollup in rollups.DEFINITIONS)}
# Tables the migrations fill with their starting rows: emptied in the target, then copied.
STARTING_ROWS = ("id_counters", "meta")


class TransferError(RuntimeError):
    """The target cannot take the copy, or the copy does not match its source; in Spanish."""


def tables(db: BaseDatabase) -> list[str]:
    """The tables holding the team's data, by name."""
    return [name for (name,) in db.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name") if name not in DERIVED]


def columns(db: BaseDatabase, table: str) -> list[str]:
    return [name for (name,) in db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? ORDER BY ordinal_position", [table])]


def counts(db: BaseDatabase, names: list[str]) -> dict[str, int]:
    """Rows per table; meta's without the rollups' own facts (derived, rebuilt by the copy)."""
    derived = [rollups.VERSION_KEY, rollups.SOON_KEY]
    return {table: db.query_one(f'SELECT count(*) FROM "{table}"'  # sql-ok: catalog names
                                + (" WHERE key NOT IN (?, ?)" if table == "meta" else ""),
                                derived if table == "meta" else [])[0] for table in names}


def copy(source: BaseDatabase, target: BaseDatabase, report: Callable[[str], None] = lambda line: None) -> dict[str, int]:
    """Copy every table of ``source`` into ``target`` (both migrated); returns the rows per
    table. Refuses a target that holds data; raises ``TransferError`` if the copy differs."""
    names = tables(source)
    if names != tables(target):
        raise TransferError("Las bases tienen tablas distintas: actualiza ambas con la misma versión de Escala (init).")
    held = {table: n for table, n in counts(target, names).items() if n and table not in STARTING_ROWS}
    if held:
        raise TransferError("La base de destino ya tiene datos (" + ", ".join(f"{t}: {n}" for t, n in held.items())
                            + "); migrate solo copia a una base vacía.")
    started = time.perf_counter()
    with target.transaction() as cursor:
        with target.operations.indexes_after(cursor, names):
            for table in names:
                wanted = columns(target, table)
                if wanted != columns(source, table):
                    raise TransferError(f"La tabla {table} tiene columnas distintas en las dos bases.")
                # empty already (or holding the migrations' starting rows); truncated in this
                # transaction, PostgreSQL fills the table's pages strictly in order (COPY skips
                # the free-space map), so storage order is the source's
                cursor.execute(f'TRUNCATE "{table}"')  # sql-ok: a catalog name
                # in storage order, which the copy keeps: an export (rows in storage order) of the
                # copy is the source's, byte for byte
                select = f'SELECT {", ".join(wanted)} FROM "{table}"'  # sql-ok: catalog names
                copied = 0
                for rows in source.operations.batches(source, select, BATCH_ROWS):
                    target.operations.append(cursor, table, wanted, rows, {})
                    copied += len(rows)
                report(f"{table}: {copied} filas")
        target.operations.refresh_statistics(cursor, names)  # what the rollups are built from next
        # stale until rebuilt below (a failed rebuild leaves them absent: the next start builds them)
        cursor.execute("DELETE FROM meta WHERE key IN (?, ?)", [rollups.VERSION_KEY, rollups.SOON_KEY])
    with target.transaction() as cursor:
        rollups.rebuild(cursor)
    report(f"Copia hecha en {time.perf_counter() - started:.1f} s; comprobando…")
    return verify(source, target, names)


def verify(source: BaseDatabase, target: BaseDatabase, names: list[str]) -> dict[str, int]:
    """Row counts equal table by table, rollups that agree with the items, no broken reference."""
    from escala.store import Store

    expected, found = counts(source, names), counts(target, names)
    differ = [f"{table}: {expected[table]} → {found[table]}" for table in names if expected[table] != found[table]]
    problems = differ + rollups.check(target) + Store(target).integrity_problems()
    if problems:
        raise TransferError("La copia no coincide con el origen: " + "; ".join(problems[:10]))
    return found
