"""Spanish wording for dates, due states, people and numbers, and user text made literal
in Markdown; shared by the pages."""

from __future__ import annotations

import re
import string
from datetime import datetime

import pandas as pd
import streamlit as st

from escala import times
from escala.domain import Item, Kind, format_int, plural  # noqa: F401  plural: fmt.plural for the pages


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


# CommonMark lets a backslash escape any ASCII punctuation, and escaping all of it is the only
# safe rule: besides Markdown proper (*, _, [, !, <, &, #, 1., >, ...) Streamlit adds :red[...]
# directives, $math$, :material/icon: (rewritten by the browser before parsing, so "/" must be
# escaped too), emoji shortcodes (only looked for when some "word:" follows a bare colon) and
# autolinked URLs and e-mail addresses.
MARKDOWN_SPECIALS = frozenset(string.punctuation)


# GFM turns bare URLs and e-mail addresses into links after escapes are resolved, so no
# backslash stops it: an invisible word joiner after "://" and "@" and before "www." does.
AUTOLINK_STARTS = re.compile(r"(?<=://)|(?<=@)|(?<=www)(?=\.)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def md(text: str) -> str:
    """User text inside our Markdown (st.markdown/write/caption/title/toast/info and every
    widget label), escaped so it shows exactly as typed on one line."""
    text = AUTOLINK_STARTS.sub(WORD_JOINER, text)
    escaped = "".join("\\" + ch if ch in MARKDOWN_SPECIALS else ch for ch in text)
    return " ".join(escaped.split())  # a newline or a leading tab would start a new block


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def responsible(item: Item) -> str:
    if item.responsible_name:
        return item.responsible_name
    return "Sin asignar"


# Numbers as es-MX writes them: thousands with a comma, decimals with a point ("2,670",
# "73.3 %"). The whole-number rule lives in the domain (its messages count characters too).
integer = format_int


def percent(value: float) -> str:
    """"73.3 %"."""
    return f"{value:,.1f} %"


def signed(change: float, decimals: int = 0) -> str:
    """A change with its sign ("+1,204", "-3", "+2.5"); zero is "0", with no sign at all."""
    if round(change, decimals) == 0:
        return "0"
    return f"{change:+,.{decimals}f}"


def in_words(summary: str, table) -> None:
    """A chart for whoever cannot see it: what stands out, in a sentence (``escala.summaries``),
    and its numbers as a table (a real HTML table, read cell by cell by a screen reader)."""
    st.caption(md(summary))
    with st.expander("Ver los datos", icon=":material/table:"):
        st.table(_literal(table))


def _literal(table):
    """``table`` as st.table shows it literally: st.table reads Markdown in its cells, so the
    user text among them (names, opportunities) is escaped like any other; whole numbers are
    written as in es-MX (2,670)."""
    escape = lambda value: md(value) if isinstance(value, str) else value  # noqa: E731
    table = table.copy()
    table.index = table.index.map(escape)
    return table.assign(**{column: table[column].map(lambda n: md(format_int(n))) for column in table.columns
                           if pd.api.types.is_integer_dtype(table[column])},
                        **{column: table[column].map(escape) for column in table.columns
                           if table[column].dtype == object or pd.api.types.is_string_dtype(table[column])})
