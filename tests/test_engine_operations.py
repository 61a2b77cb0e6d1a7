"""Each engine answers the same SQL questions alike (escala/engines): the same expression
built for DuckDB and for PostgreSQL gives the same value, the one Python gives, on the values
that are easy to get wrong (microseconds, before 1970, negative spans, DST changes, local
midnights)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb as duckdb_library
import pytest

from escala import times
from escala.engines import duckdb, postgresql


@pytest.fixture(scope="module")
def run(postgresql_url):
    """``run(build, *values)``: ``build(OPERATIONS)``'s SQL over bound ``values`` on each
    engine -> (DuckDB's value, PostgreSQL's value)."""
    duck = duckdb_library.connect()
    duck.execute("SET TimeZone = 'UTC'")
    with postgresql.connect(postgresql_url) as connection:
        pg = postgresql.Cursor(connection)

        def both(build, *values):
            duck_value = duck.execute(f"SELECT {build(duckdb.OPERATIONS)}", list(values)).fetchone()[0]  # sql-ok
            pg_value = pg.execute(f"SELECT {build(postgresql.OPERATIONS)}", list(values)).fetchone()[0]  # sql-ok
            return duck_value, pg_value

        yield both
    duck.close()


INSTANTS = [datetime(2026, 3, 2, 15, 0, 0, 123456), datetime(1969, 12, 31, 23, 59, 59, 999999),
            datetime(1970, 1, 1), datetime(2099, 12, 31, 23, 59, 59, 1)]


@pytest.mark.parametrize("instant", INSTANTS)
def test_microseconds_since_1970_alike(run, instant):
    expected = (instant - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    assert run(lambda sql: sql.epoch_us("?::TIMESTAMP"), instant) == (expected, expected)


@pytest.mark.parametrize("dividend, divisor", [(7, 2), (-7, 2), (7, -2), (-86_400_000_001, 86_400_000_000),
                                                (86_399_999_999, 86_400_000_000), (0, 5)])
def test_integer_division_truncates_toward_zero_alike(run, dividend, divisor):
    expected = abs(dividend) // abs(divisor) * (1 if (dividend >= 0) == (divisor > 0) else -1)
    assert run(lambda sql: sql.int_div("?::BIGINT", "?::BIGINT"), dividend, divisor) == (expected, expected)


@pytest.mark.parametrize("start, end", [
    (datetime(2026, 3, 1), datetime(2026, 3, 2)), (datetime(2026, 3, 1), datetime(2026, 3, 1, 23, 59, 59, 999999)),
    (datetime(2026, 3, 2), datetime(2026, 3, 1, 0, 0, 0, 1)), (datetime(2026, 3, 2), datetime(2026, 2, 28, 23, 59, 59, 999999)),
    (datetime(1969, 12, 31, 12, 0), datetime(1970, 1, 2, 11, 59, 59, 999999)), (datetime(2024, 2, 28), datetime(2024, 3, 1)),
    (datetime(2026, 3, 5, 10, 0), datetime(2026, 3, 5, 10, 0))])
def test_whole_days_between_instants_truncate_toward_zero_alike(run, start, end):
    span = (end - start) // timedelta(microseconds=1)
    expected = abs(span) // 86_400_000_000 * (1 if span >= 0 else -1)  # as rollups._each counts them
    literal = "TIMESTAMP '{}'".format  # not bound: each engine's SQL may name the two in either order
    assert run(lambda sql: sql.whole_days(literal(start), literal(end))) == (expected, expected)


def _around_changes() -> list[tuple[str, datetime]]:
    """Instants a microsecond either side of each 2026 offset change and local midnight of a
    few zones (UTC, naive)."""
    cases = []
    for zone in ("America/Mexico_City", "America/New_York", "Europe/Madrid", "Asia/Kolkata", "Australia/Lord_Howe"):
        for since, _ in times.offset_periods(zone, datetime(2026, 1, 1), datetime(2026, 12, 31)) or []:
            cases += [(zone, since - timedelta(microseconds=1)), (zone, since)]
        midnight = times.to_db(times.start_of_day(datetime(2026, 7, 1).date(), zone))
        cases += [(zone, midnight - timedelta(microseconds=1)), (zone, midnight)]
    return cases


@pytest.mark.parametrize("zone, instant", _around_changes())
def test_local_days_alike_either_side_of_offset_changes_and_midnights(run, zone, instant):
    expected = instant.replace(tzinfo=UTC).astimezone(times.zone_info(zone)).date()
    assert run(lambda sql: sql.local_day("?::TIMESTAMP", zone), instant) == (expected, expected)


def test_an_unknown_zone_never_reaches_the_sql():
    with pytest.raises(ValueError):
        duckdb.OPERATIONS.local_day("x", "America/Mexico_City'; DROP TABLE items; --")
