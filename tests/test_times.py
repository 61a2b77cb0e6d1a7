"""Instants in UTC, wall clocks in the user's zone, and DST edges."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from escala import times


def test_default_zone_comes_from_escala_tz(monkeypatch):
    monkeypatch.setenv("ESCALA_TZ", "Europe/Madrid")
    assert times.default_zone() == "Europe/Madrid"
    monkeypatch.setenv("ESCALA_TZ", "No/Existe")
    assert times.default_zone() == "America/Mexico_City"
    monkeypatch.delenv("ESCALA_TZ")
    assert times.default_zone() == "America/Mexico_City"


def test_skipped_wall_time_is_refused():
    with pytest.raises(times.NonexistentTime, match="02:30 del 08/03/2026"):
        times.to_utc(datetime(2026, 3, 8, 2, 30), "America/New_York")


def test_aware_input_is_taken_as_the_instant_it_is():
    aware = datetime(2026, 3, 8, 2, 30, tzinfo=UTC)
    assert times.to_utc(aware, "America/New_York") == aware


def test_calendar_days_follow_the_wall_calendar_across_a_dst_change():
    due = datetime(2026, 3, 7, 17, 0, tzinfo=UTC)  # Sat 12:00 EST
    now = datetime(2026, 3, 9, 4, 30, tzinfo=UTC)  # Mon 00:30 EDT: 35.5 hours later, two calendar days
    assert times.calendar_days_between(due, now, "America/New_York") == 2


def test_spanish_short_format_in_the_users_zone():
    instant = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    assert times.format_local(instant, "America/Mexico_City") == "jue 3 dic, 10:00"
    assert times.format_local(instant, "Europe/Madrid", with_weekday=False) == "3 dic, 17:00"


def test_start_of_day_survives_a_dst_change_at_midnight():
    from datetime import date
    assert times.start_of_day(date(2026, 3, 2), "America/Mexico_City") == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    # Santiago de Chile skips 00:00-01:00 when DST starts (2026-09-06)
    assert times.start_of_day(date(2026, 9, 6), "America/Santiago") == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Madrid", "Australia/Lord_Howe", "Asia/Kolkata",
                                  "America/Mexico_City", "Pacific/Chatham", "UTC"])
def test_offset_periods_give_every_instants_offset_in_the_span(zone):
    first, last = datetime(2019, 5, 1, 12, 0, 0, 7), datetime(2027, 2, 1)
    periods = times.offset_periods(zone, first, last)
    assert periods[0][0] == first and all(a[0] < b[0] for a, b in pairwise(periods))
    tz = times.zone_info(zone)
    changes = [since for since, _ in periods[1:]]
    probes = [first, last] + [c + d for c in changes for d in (timedelta(microseconds=-1), timedelta(0))]
    probes += [first + (last - first) * n / 997 for n in range(997)]
    for instant in probes:
        since, offset = next(p for p in reversed(periods) if p[0] <= instant)
        assert offset == instant.replace(tzinfo=UTC).astimezone(tz).utcoffset(), (instant, since)


def test_offset_periods_decline_spans_of_over_a_century():
    assert times.offset_periods("Europe/Madrid", datetime(1900, 1, 1), datetime(2027, 1, 1)) is None
    assert times.offset_periods("Europe/Madrid", datetime(2027, 1, 1), datetime(2026, 1, 1)) is None
