"""Instants and wall clocks: everything is stored in UTC and shown in the user's zone.

Wall-clock input goes through ``to_utc``, which refuses times that a DST change skips
(``NonexistentTime``, a Spanish message) and resolves repeated times to their first
occurrence (``fold=0``), so an ambiguous 01:30 is always the earlier one.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FALLBACK_ZONE = "America/Mexico_City"
MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
WEEKDAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")


class NonexistentTime(ValueError):
    """A wall-clock time skipped by a DST change in that zone."""


def default_zone() -> str:
    """The zone for new users and unsigned views: ``ESCALA_TZ`` or America/Mexico_City."""
    zone = os.environ.get("ESCALA_TZ") or FALLBACK_ZONE
    return zone if is_valid_zone(zone) else FALLBACK_ZONE


@lru_cache(maxsize=64)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_zone(name: str | None) -> bool:
    if not name:
        return False
    try:
        zone_info(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_utc(moment: datetime, zone: str) -> datetime:
    """A wall-clock time in ``zone`` (naive) or an aware instant -> aware UTC."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    tz = zone_info(zone)
    wall = moment.replace(tzinfo=tz, fold=0)
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != moment.replace(fold=0):
        raise NonexistentTime(
            f"La hora {moment:%H:%M} del {moment:%d/%m/%Y} no existe en {zone} "
            "por el cambio de horario; elige otra hora."
        )
    return instant


def start_of_day(day: date, zone: str) -> datetime:
    """The first instant of ``day`` in ``zone`` (01:00 where a DST change skips midnight)."""
    midnight = datetime(day.year, day.month, day.day)
    try:
        return to_utc(midnight, zone)
    except NonexistentTime:
        return to_utc(midnight + timedelta(hours=1), zone)


def to_local(instant: datetime, zone: str) -> datetime:
    """Aware (or naive-UTC, as DuckDB returns it) instant -> aware time in ``zone``."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone_info(zone))


def from_db(value: datetime | None) -> datetime | None:
    """The store keeps naive UTC timestamps; hand them out as aware UTC."""
    return None if value is None else value.replace(tzinfo=UTC)


def to_db(instant: datetime) -> datetime:
    """Aware instant -> the naive UTC value the store keeps."""
    return instant.astimezone(UTC).replace(tzinfo=None)


def calendar_days_between(earlier: datetime, later: datetime, zone: str) -> int:
    """Whole calendar days from ``earlier`` to ``later`` as seen on a wall calendar in ``zone``."""
    return (to_local(later, zone).date() - to_local(earlier, zone).date()).days


def format_local(instant: datetime | None, zone: str, with_weekday: bool = True) -> str:
    """Spanish short form in the user's zone, e.g. "mar 3 dic, 10:00"."""
    if instant is None:
        return ""
    local = to_local(instant, zone)
    day = f"{local.day} {MONTHS[local.month - 1]}"
    if with_weekday:
        day = f"{WEEKDAYS[local.weekday()]} {day}"
    return f"{day}, {local:%H:%M}"


MAX_PERIOD_SPAN = timedelta(days=366 * 100)


def offset_periods(zone: str, first: datetime, last: datetime) -> list[tuple[datetime, timedelta]] | None:
    """The zone's UTC offsets over the naive-UTC span ``[first, last]``: ``(since, offset)``
    pairs in order, the first ``since`` being ``first``, each offset holding until the next
    ``since``; None for a span over a century (too many changes to list usefully).

    Offsets are looked up a day apart (zones change offset at most once a day) and each
    change is narrowed to its microsecond."""
    if last < first or last - first > MAX_PERIOD_SPAN:
        return None
    tz = zone_info(zone)

    def offset(instant: datetime) -> timedelta:
        return instant.replace(tzinfo=UTC).astimezone(tz).utcoffset()

    periods = [(first, offset(first))]
    day = timedelta(days=1)
    before = first
    while before < last:
        after = min(before + day, last)
        if offset(after) != periods[-1][1]:
            low, high = before, after  # offset(low) is the old one, offset(high) the new one
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) // 2
                low, high = (middle, high) if offset(middle) == periods[-1][1] else (low, middle)
            periods.append((high, offset(high)))
        before = after
    return periods
