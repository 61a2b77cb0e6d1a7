"""Repeating activities and tasks: the rule a form chooses, kept as an RFC 5545 RRULE, and the
wall-clock times of a series' occurrences (python-dateutil's ``rrule``).

A series starts with the item as it was entered (occurrence 1, whether or not its day fits
the rule, as RFC 5545's DTSTART always counts) and goes on with the rule's times after it.
Times are wall clock in the series' zone, so a weekly 09:00 meeting stays at 09:00 across a
change of daylight saving time; a time that a change skips moves on by the hour it skipped.
The store creates each occurrence when the one before is done, deleted or its time passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from dateutil import rrule

from escala import times
from escala.domain import EARLIEST_DAY, LATEST_DAY, format_int

FIELD = "recurrence"  # where a rule's error lands in a form
MAX_COUNT = 1000
MAX_INTERVAL = 365
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Frequency(StrEnum):
    NONE = "No se repite"
    DAILY = "Cada día"
    WEEKDAYS = "Cada día hábil (lunes a viernes)"
    WEEKLY = "Cada semana"
    MONTHLY = "Cada mes"
    EVERY_N_DAYS = "Cada N días"


class Ending(StrEnum):
    COUNT = "Después de N veces"
    UNTIL = "En una fecha"
    NEVER = "Nunca"


@dataclass(frozen=True)
class RecurrenceDraft:
    """What the form's "Repetir" fields submit."""

    frequency: str = Frequency.NONE
    weekdays: tuple[int, ...] = ()  # 0 = lunes (weekly)
    month_day: int | None = None  # monthly
    interval: int | None = None  # every N days
    ending: str = Ending.COUNT
    count: int | None = 10  # occurrences in all, the first included
    until: date | None = None  # the last day an occurrence may fall on


def _whole(value, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value) if low <= value <= high else None


def validate_recurrence(draft: RecurrenceDraft | None, first: date) -> tuple[str | None, dict[str, str]]:
    """The RRULE of ``draft`` for a series starting on ``first`` (None: it does not repeat),
    or the form's errors in Spanish under ``FIELD``."""
    if draft is None or draft.frequency == Frequency.NONE:
        return None, {}
    try:
        frequency = Frequency(draft.frequency)
    except ValueError:
        return None, {FIELD: "Elige cómo se repite: " + ", ".join(f.value for f in Frequency) + "."}
    parts = []
    if frequency is Frequency.DAILY:
        parts.append("FREQ=DAILY")
    elif frequency is Frequency.WEEKDAYS:
        parts.append("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    elif frequency is Frequency.WEEKLY:
        days = sorted(set(draft.weekdays))
        if not days or any(_whole(day, 0, 6) is None for day in days):
            return None, {FIELD: "Elige al menos un día de la semana."}
        parts.append("FREQ=WEEKLY;BYDAY=" + ",".join(RRULE_DAYS[day] for day in days))
    elif frequency is Frequency.MONTHLY:
        day = _whole(draft.month_day, 1, 31)
        if day is None:
            return None, {FIELD: "El día del mes va del 1 al 31."}
        # past the 28th, a shorter month uses its last day (BYSETPOS=1 takes the earlier of the two)
        parts.append(f"FREQ=MONTHLY;BYMONTHDAY={day}" + (",-1;BYSETPOS=1" if day > 28 else ""))
    else:
        interval = _whole(draft.interval, 1, MAX_INTERVAL)
        if interval is None:
            return None, {FIELD: f"Cada cuántos días: un número entero del 1 al {MAX_INTERVAL}."}
        parts.append(f"FREQ=DAILY;INTERVAL={interval}")
    try:
        ending = Ending(draft.ending)
    except ValueError:
        return None, {FIELD: "Elige cuándo termina: " + ", ".join(e.value for e in Ending) + "."}
    if ending is Ending.COUNT:
        count = _whole(draft.count, 2, MAX_COUNT)
        if count is None:
            return None, {FIELD: f"Cuántas veces: un número entero del 2 al {format_int(MAX_COUNT)}."}
        parts.append(f"COUNT={count}")
    elif ending is Ending.UNTIL:
        if not isinstance(draft.until, date) or not EARLIEST_DAY <= draft.until < LATEST_DAY:
            return None, {FIELD: "Indica la fecha en que termina."}
        if draft.until <= first:
            return None, {FIELD: "La fecha en que termina debe ser posterior a la primera vez."}
        parts.append(f"UNTIL={draft.until:%Y%m%d}T235959")
    return ";".join(parts), {}


def _rule(rule: str, first: datetime) -> tuple[rrule.rrule, int | None]:
    """dateutil's reading of ``rule`` from ``first`` without its COUNT (counted here, the
    first occurrence included), and that count."""
    parsed = rrule.rrulestr(rule, dtstart=first)
    count = parsed._count  # noqa: SLF001  dateutil keeps no public accessor
    return parsed.replace(count=None), count


def occurrence_time(rule: str, first: datetime, number: int) -> datetime | None:
    """The wall-clock time of occurrence ``number`` (1 = ``first``, naive, in the series' zone),
    or None past the series' end."""
    if number == 1:
        return first
    parsed, count = _rule(rule, first)
    if count is not None and number > count:
        return None
    found = 1
    for moment in parsed.xafter(first, inc=False):
        found += 1
        if found == number:
            return moment
    return None


def instant(wall: datetime, zone: str) -> datetime:
    """The UTC instant of an occurrence's wall-clock time; a time skipped by a change of
    daylight saving time moves on by the hour skipped."""
    try:
        return times.to_utc(wall, zone)
    except times.NonexistentTime:
        return times.to_utc(wall + timedelta(hours=1), zone)


def describe(rule: str) -> str:
    """The rule in Spanish, for an item's line: "Cada semana: lunes y jueves · 10 veces"."""
    fields = dict(part.split("=", 1) for part in rule.split(";"))
    frequency, days = fields.get("FREQ"), fields.get("BYDAY", "")
    if frequency == "DAILY":
        interval = int(fields.get("INTERVAL", "1"))
        text = "Cada día" if interval == 1 else f"Cada {interval} días"
    elif frequency == "WEEKLY" and days == "MO,TU,WE,TH,FR":
        text = "Cada día hábil"
    elif frequency == "WEEKLY":
        names = [WEEKDAYS[RRULE_DAYS.index(day)] for day in days.split(",") if day in RRULE_DAYS]
        text = "Cada semana: " + (" y ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " y " + names[-1])
    elif frequency == "MONTHLY":
        day = fields.get("BYMONTHDAY", "").split(",")[0]
        text = f"Cada mes, el día {day}" + (" (o el último, si el mes es más corto)" if int(day or 0) > 28 else "")
    else:
        text = "Se repite"
    if "COUNT" in fields:
        text += f" · {fields['COUNT']} veces"
    elif "UNTIL" in fields:
        until = datetime.strptime(fields["UNTIL"][:8], "%Y%m%d")
        text += f" · hasta el {until:%d/%m/%Y}"
    return text


def draft_of(rule: str | None) -> RecurrenceDraft:
    """The form's values for a stored ``rule`` (the "Editar" popup starts from them)."""
    if rule is None:
        return RecurrenceDraft()
    fields = dict(part.split("=", 1) for part in rule.split(";"))
    days = fields.get("BYDAY", "")
    interval = int(fields.get("INTERVAL", "1"))
    if fields["FREQ"] == "DAILY":
        frequency = Frequency.DAILY if interval == 1 else Frequency.EVERY_N_DAYS
    elif fields["FREQ"] == "WEEKLY":
        frequency = Frequency.WEEKDAYS if days == "MO,TU,WE,TH,FR" else Frequency.WEEKLY
    else:
        frequency = Frequency.MONTHLY
    ending, count, until = Ending.NEVER, None, None
    if "COUNT" in fields:
        ending, count = Ending.COUNT, int(fields["COUNT"])
    elif "UNTIL" in fields:
        ending, until = Ending.UNTIL, datetime.strptime(fields["UNTIL"][:8], "%Y%m%d").date()
    return RecurrenceDraft(frequency, tuple(RRULE_DAYS.index(day) for day in days.split(",") if day in RRULE_DAYS)
                           if frequency is Frequency.WEEKLY else (),
                           int(fields["BYMONTHDAY"].split(",")[0]) if "BYMONTHDAY" in fields else None,
                           interval if frequency is Frequency.EVERY_N_DAYS else None, ending, count, until)
