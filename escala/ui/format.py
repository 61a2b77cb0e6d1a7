"""Spanish wording for dates, due states and people, shared by the pages."""

from __future__ import annotations

from datetime import datetime

from escala import times
from escala.domain import Item, Kind


def when(item: Item, zone: str) -> str:
    """"mar 3 dic, 10:00 – 11:00" for an activity, "mar 3 dic, 09:00" for a task."""
    start = times.format_local(item.starts_at, zone)
    if item.kind is Kind.TASK:
        return start
    same_day = times.to_local(item.starts_at, zone).date() == times.to_local(item.due_at, zone).date()
    end = f"{times.to_local(item.due_at, zone):%H:%M}" if same_day else times.format_local(item.due_at, zone)
    return f"{start} – {end}"


def overdue_badge(item: Item, now: datetime, zone: str) -> str:
    """":red-badge[Vencida · 3 días]" for an overdue item, "" otherwise."""
    days = item.days_overdue(now, zone)
    if days is None:
        return ""
    late = "hoy" if days == 0 else ("1 día" if days == 1 else f"{days} días")
    return f":red-badge[Vencida · {late}]"


MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|<>~:$")


def md(text: str) -> str:
    """User text inside our Markdown: every character Markdown (or Streamlit's :color[]
    and $math$ directives) would interpret is escaped, so it shows exactly as typed."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIALS else ch for ch in text).replace("\n", " ")


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def responsible(item: Item) -> str:
    if item.responsible_name:
        return item.responsible_name
    return "Sin asignar"


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
