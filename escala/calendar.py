"""iCalendar (.ics) files for "Agregar al calendario": one event with the item's reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escala.domain import Item

def _escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    encoded, parts = line.encode("utf-8"), []
    while len(encoded) > 75:
        cut = 75 if not parts else 74
        while (encoded[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        parts.append(encoded[:cut].decode("utf-8"))
        encoded = encoded[cut:]
    parts.append(encoded.decode("utf-8"))
    return [parts[0], *(" " + part for part in parts[1:])]


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def activity_ics(item: Item, now: datetime, host: str = "escala.local") -> str:
    """A calendar file for one activity (Desde to Hasta) with an alarm when its Recordatorio
    says (none without one)."""
    summary = f"{item.activity_type or item.kind}: {item.name}"
    description = f"Contacto: {item.contact_name}"
    if item.opportunity_name:
        description += f"\nOportunidad: {item.opportunity_name}"
    if item.description:
        description += "\n\n" + item.description
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Escala//Actividades y Tareas//ES", "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:actividad-{item.id}@{host}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(item.starts_at)}",
        f"DTEND:{_stamp(item.due_at if item.due_at > item.starts_at else item.starts_at + timedelta(minutes=30))}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        *(["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{_escape(item.name)}",
           f"TRIGGER:-PT{item.reminder_minutes}M", "END:VALARM"] if item.reminder_minutes is not None else []),
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"


def ics_file_name(item: Item) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in item.name.lower()).strip("-")[:40] or "actividad"
    return f"{safe}-{item.id}.ics"
