"""Mi agenda: pending work grouped Vencidas / Hoy / Próximos 7 días / Más adelante, and a
week view of the user's activities from Desde to Hasta."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from escala import charts, times
from escala.domain import EARLIEST_DAY, LATEST_DAY, Item, Kind, Status, User
from escala.analytics import ON_TIME, Filters
from escala.store import Store
from escala.ui.dialogs import show_next_step
from escala.ui.downloads import quick_export
from escala.ui import format as fmt
from escala.ui.items import item_row, paged


def group_by_due(items: list[Item], now: datetime, zone: str) -> dict[str, list[Item]]:
    """Pending items into the agenda's four groups, by the user's calendar."""
    today = times.to_local(now, zone).date()
    groups: dict[str, list[Item]] = {"Vencidas": [], "Hoy": [], "Próximos 7 días": [], "Más adelante": []}
    for item in items:
        day = times.to_local(item.due_at, zone).date()
        if item.is_overdue(now):
            groups["Vencidas"].append(item)
        elif day == today:
            groups["Hoy"].append(item)
        elif day <= today + timedelta(days=7):
            groups["Próximos 7 días"].append(item)
        else:
            groups["Más adelante"].append(item)
    return groups


def agenda(store: Store, user: User) -> None:
    st.title("Mi agenda")
    show_next_step(store, user)
    now = store.clock()
    pending = store.list_items(user, responsible_id=user.id, status=Status.PENDING, order="due")
    if not pending:
        st.success("No tienes pendientes. 🎉 Revisa tus contactos para planear el siguiente paso.")
        st.page_link("pages/contactos.py", label="Ir a Contactos", icon=":material/group:")
    else:
        quick_export(store, user, Filters(states=("Pendiente",), responsible_ids=(user.id,)), "agenda-export",
                     label="Exportar mis pendientes (CSV)")
        groups = group_by_due(pending, now, user.time_zone)
        tabs = st.tabs([f"{name} ({fmt.integer(len(items))})" for name, items in groups.items()])
        for tab, (name, items) in zip(tabs, groups.items()):
            with tab:
                if not items:
                    st.caption(f"Nada en «{name}».")
                for item in paged(items, f"pagina-agenda-{name}"):
                    item_row(store, user, item, now, in_agenda=True)
    st.divider()
    _week(store, user, now)


def _week(store: Store, user: User, now: datetime) -> None:
    st.subheader("Semana")
    today = times.to_local(now, user.time_zone).date()
    monday = st.date_input("Semana del", value=today - timedelta(days=today.weekday()), format="DD/MM/YYYY",
                           min_value=EARLIEST_DAY, max_value=LATEST_DAY - timedelta(days=7),
                           key="semana_agenda")
    monday = monday - timedelta(days=monday.weekday())
    start = datetime(monday.year, monday.month, monday.day)
    end = start + timedelta(days=7)
    activities = store.list_items(user, responsible_id=user.id, kind=Kind.ACTIVITY, order="due",
                                  due_from=times.start_of_day(monday, user.time_zone),
                                  due_before=times.start_of_day(end.date(), user.time_zone))
    if not activities:
        st.caption(f"Sin actividades entre el {monday:%d/%m} y el {monday + timedelta(days=6):%d/%m}.")
        return
    frame = pd.DataFrame([{
        "Actividad": fmt.shorten(f"{a.name} · {a.contact_name}", 60) + f" #{a.id}",
        "Desde": times.to_local(a.starts_at, user.time_zone).replace(tzinfo=None),
        "Hasta": times.to_local(a.due_at, user.time_zone).replace(tzinfo=None),
        "Estado": "Vencida" if a.is_overdue(now) else ON_TIME if a.status is Status.PENDING else str(a.status),
        "Contacto": a.contact_name,
    } for a in activities])
    st.plotly_chart(charts.week_timeline(frame, start, end), width="stretch",
                    config={"displayModeBar": False})
