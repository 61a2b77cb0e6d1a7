"""What differs between the engines, one module each (the store says *what*, the engine
*how*, as Django's database backends do): ``duckdb`` (the embedded default; its connection
and transactions still live in escala/db.py) and ``postgresql`` (server mode, being built
step by step: its schema comes from the same migrations, its cursor runs the store's SQL, the
Tablero's rollups are built and checked alike). Each module's ``OPERATIONS`` answers the same
questions (``epoch_us``, ``int_div``, ``local_day``), found from a cursor by
``operations_of``; tests/test_engine_operations.py checks the answers agree."""


def operations_of(cursor):
    """The SQL fragments of the engine ``cursor`` talks to: engines' own cursors carry theirs;
    DuckDB's native cursors carry none and get DuckDB's."""
    from escala.engines import duckdb
    return getattr(cursor, "operations", duckdb.OPERATIONS)


class CsvUnreadable(Exception):
    """An engine could not read an import's CSV: ``problem`` is ``columns`` (a line with
    ``found`` columns where the header has ``expected``), ``encoding`` (not UTF-8), ``quote``
    (a quoted value that does not close well) or ``other``; ``line`` as a spreadsheet numbers
    it, when known. escala/imports.py says it in Spanish."""

    def __init__(self, problem: str, line: int | None = None, found: int | None = None, expected: int | None = None):
        super().__init__(problem, line, found, expected)
        self.problem, self.line, self.found, self.expected = problem, line, found, expected
