"""Facts about the database itself (the ``meta`` table: key -> text), e.g. ``demo`` when it
holds generated demo data, the Tablero rollups' zone and version."""

from __future__ import annotations


def set_meta(cursor, values: dict[str, str]) -> None:
    """Store ``values``, replacing what those keys held, in the caller's transaction (the
    standard upsert: every engine takes it)."""
    rows = ", ".join("(?, ?)" for _ in values)
    cursor.execute(f"INSERT INTO meta (key, value) VALUES {rows} "  # sql-ok: placeholders only
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [v for pair in values.items() for v in pair])
