"""Calendario: the user's activities and tasks by day, week or month, in their own zone.

Drawn by ``streamlit-calendar`` (FullCalendar 6 in a component; its free day, week and month
views only, MIT-licensed, none of the premium plugins the package also bundles): it shows
the entries, and reports a click (the entry opens in its Editar popup) and a drag (the entry
moves, through ``Store.reschedule``, the write "Posponer" uses). FullCalendar knows only UTC
or the browser's zone without another plugin, so entries go in as the user's wall clock
labelled UTC, and a dragged entry's new time is read back the same way. The component keeps
the last thing it reported; after handling one, the calendar is drawn anew (a new key) so a
rerun never handles it twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import streamlit as st
from streamlit_calendar import calendar

from escala import times
from escala.domain import Item, Kind, Status, User
from escala.store import Store
from escala.ui import format as fmt
from escala.ui.dialogs import open_item_dialog
from escala.ui.items import run_action

VIEWS = {"Día": "timeGridDay", "Semana": "timeGridWeek", "Mes": "dayGridMonth"}
STEPS = {"Día": timedelta(days=1), "Semana": timedelta(days=7)}
SHOWN = 1000  # entries drawn at most in one view
ANCHOR, NONCE = "calendario-dia", "calendario-version"
SPANISH = {  # what FullCalendar would say in English (no locale files in the component)
    "locale": "es", "firstDay": 1, "allDayText": "Todo el día", "noEventsText": "Nada en estas fechas",
    "buttonText": {"today": "Hoy", "month": "Mes", "week": "Semana", "day": "Día", "list": "Lista"},
    "moreLinkText": "más", "weekText": "Sem",
}
# Each state's hue, dark enough behind FullCalendar's white text for WCAG AA (≥ 4.5:1).
EVENT_COLORS = {"Por vencer": "#8a5a00", "Vencida": "#b3261e", "Realizada": "#1e7e34"}
CLOCK = {"hour": "2-digit", "minute": "2-digit", "hour12": False}


def _span(view: str, day: date) -> tuple[date, date]:
    """The days a view shows around ``day``: the day, its week (Monday on), or its month's grid."""
    if view == "Día":
        return day, day + timedelta(days=1)
    if view == "Semana":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    first = day.replace(day=1)
    start = first - timedelta(days=first.weekday())
    return start, start + timedelta(days=42)


def _wall(instant: datetime, zone: str) -> str:
    return times.to_local(instant, zone).replace(tzinfo=None).isoformat(timespec="minutes")


def _event(item: Item, now: datetime, zone: str) -> dict:
    state = "Vencida" if item.is_overdue(now) else "Realizada" if item.status is Status.DONE else "Por vencer"
    told = "" if state == "Por vencer" else f" · {state}"  # the state in words too, never by colour alone
    event = {"id": str(item.id), "title": f"{item.name} · {item.activity_type or item.kind} · {item.contact_name}{told}",
             "start": _wall(item.starts_at, zone), "color": EVENT_COLORS[state],
             "editable": item.status is Status.PENDING}
    if item.kind is Kind.ACTIVITY and item.due_at > item.starts_at:
        event["end"] = _wall(item.due_at, zone)
    return event


def _redraw() -> None:
    st.session_state[NONCE] = st.session_state.get(NONCE, 0) + 1


def _move(anchor: date) -> None:
    st.session_state[ANCHOR] = anchor


def calendario(store: Store, user: User) -> None:
    st.title("Calendario")
    zone, now = user.time_zone, store.clock()
    today = times.to_local(now, zone).date()
    anchor = st.session_state.setdefault(ANCHOR, today)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        view = st.radio("Vista", list(VIEWS), index=list(VIEWS).index("Semana"), horizontal=True, key="calendario-vista")
        step = STEPS.get(view)
        previous = anchor - step if step else (anchor.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = anchor + step if step else (anchor.replace(day=28) + timedelta(days=4)).replace(day=1)
        st.button("Anterior", icon=":material/chevron_left:", on_click=_move, args=(previous,), key="calendario-anterior")
        st.button("Hoy", on_click=_move, args=(today,), key="calendario-hoy")
        st.button("Siguiente", icon=":material/chevron_right:", on_click=_move, args=(following,),
                  key="calendario-siguiente")
    first, end = _span(view, anchor)
    items = store.calendar_items(user, times.start_of_day(first, zone), times.start_of_day(end, zone), SHOWN)
    if len(items) == SHOWN:
        st.caption(f"Se muestran las primeras {fmt.integer(SHOWN)}; cambia a Semana o Día para ver el resto.")
    st.caption("Pulsa una entrada para abrirla; arrastra una pendiente para cambiarla de día u hora. "
               f"Horas de {zone}.")
    options = {**SPANISH, "initialView": VIEWS[view], "initialDate": anchor.isoformat(), "timeZone": "UTC",
               "now": _wall(now, zone), "nowIndicator": True, "headerToolbar": {"left": "", "center": "title", "right": ""},
               "editable": True, "eventDurationEditable": False, "allDaySlot": False,
               "height": "auto",  # the page scrolls, not a box inside the frame that a keyboard cannot reach
               "slotMinTime": "06:00:00", "scrollTime": "08:00:00", "slotLabelFormat": CLOCK, "eventTimeFormat": CLOCK,
               "dayMaxEvents": 4}
    said = calendar(events=[_event(item, now, zone) for item in items], options=options,
                    callbacks=["eventClick", "eventChange"],
                    key=f"calendario-{view}-{anchor}-{st.session_state.get(NONCE, 0)}")
    if not said:
        return
    _redraw()  # handled once: the next run draws a fresh calendar
    if said.get("callback") == "eventClick":
        item = store.get_item(user, int(said["eventClick"]["event"]["id"]))
        if item is not None:
            open_item_dialog(store, user, item.kind, item.contact_id, item.contact_name, item)
    elif said.get("callback") == "eventChange":
        moved = said["eventChange"]["event"]
        wall = datetime.fromisoformat(moved["start"].removesuffix("Z")).replace(tzinfo=None)
        item = store.get_item(user, int(moved["id"]))
        if item is not None:
            run_action(lambda: store.reschedule(user, item.id, wall, zone),
                       f"«{fmt.md(item.name)}» movida al {wall:%d/%m} a las {wall:%H:%M}")
        st.rerun()  # drawn again from the store: where it is now, or where it was if refused
