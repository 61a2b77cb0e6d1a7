"""Mi agenda: pending work grouped Vencidas / Hoy / Próximos 7 días / Más adelante, and a
week view of the user's activities from Desde to Hasta."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from escala import charts, summaries, times
from escala.domain import EARLIEST_DAY, LATEST_DAY, ActivityType, Kind, Status, User
from escala.analytics import ON_TIME, Analytics, Filters
from escala.store import AGENDA_GROUPS, AgendaFilter, Store
from escala.ui.dialogs import open_quick_add, show_next_step
from escala.ui.downloads import quick_export
from escala.ui import format as fmt
from escala.ui.items import PAGE_SIZE, item_row, pager, read_pages


FILTER_KEYS = ("agenda_buscar", "agenda_tipo", "agenda_contacto", "agenda_oportunidad")
TYPES = [*ActivityType, Kind.TASK]  # what "Tipo" offers: an activity's type, or Tarea


def _page_key(group: str) -> str:
    return f"pagina-agenda-{group}"


def _first_pages() -> None:
    """A filter changed: every group starts again from its first page."""
    for group in AGENDA_GROUPS:
        st.session_state.pop(_page_key(group), None)


def _filters(store: Store, user: User) -> AgendaFilter:
    """Buscar, Tipo, Contacto and Oportunidad over the user's pending work."""
    contacts, opportunities = store.agenda_choices(user)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        text = st.text_input("Buscar", placeholder="Nombre, descripción o contacto", key=FILTER_KEYS[0],
                             on_change=_first_pages)
        types = st.multiselect("Tipo", TYPES, key=FILTER_KEYS[1], placeholder="Todos",
                               select_all=False, on_change=_first_pages)
        contact_id = st.selectbox("Contacto", list(contacts), format_func=contacts.get, index=None,
                                  placeholder="Todos", key=FILTER_KEYS[2], on_change=_first_pages)
        opportunity_id = st.selectbox("Oportunidad", list(opportunities), format_func=opportunities.get, index=None,
                                      placeholder="Todas", key=FILTER_KEYS[3], on_change=_first_pages)
    return AgendaFilter(tuple(str(t) for t in types), contact_id, opportunity_id, text or "")


def _my_goals(store: Store, user: User, now: datetime) -> None:
    """The user's own goals and how far along they are this week or month."""
    goals = [goal for goal in store.goals(user) if goal.user_id == user.id]
    if not goals:
        return
    progress = Analytics(store.db).goal_progress(goals, now)
    with st.container(horizontal=True, key="mis-metas"):
        for row in progress.itertuples():
            st.progress(min(row.Avance, 1.0), width=220,
                        text=f"{row.Meta} {charts.GOAL_PERIOD_WORDS[row.Periodo]}: "
                             f"{fmt.integer(row.Realizadas)} de {fmt.integer(row.Objetivo)}")


def agenda(store: Store, user: User) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.title("Mi agenda", width="content")
        if st.button("Nueva", icon=":material/add:", key="nueva_agenda", type="primary",
                     help="Nueva actividad o tarea en uno de tus contactos"):
            open_quick_add(store, user)
    show_next_step(store, user)
    now = store.clock()
    _my_goals(store, user, now)
    narrow = _filters(store, user)

    groups = read_pages(lambda pages: store.agenda(user, now, user.time_zone, pages, PAGE_SIZE, narrow),
                        {group: _page_key(group) for group in AGENDA_GROUPS})
    if not any(total for _, total in groups.values()):
        if narrow != AgendaFilter():
            st.info("Ningún pendiente coincide con los filtros. Quita alguno para ver más.")
        else:
            st.success("No tienes pendientes. 🎉 Revisa tus contactos para planear el siguiente paso.")
            st.page_link("pages/contactos.py", label="Ir a Contactos", icon=":material/group:")
    else:
        quick_export(store, user, Filters(states=("Pendiente",), responsible_ids=(user.id,)), "agenda-export",
                     label="Exportar mis pendientes (CSV)")
        tabs = st.tabs([f"{name} ({fmt.integer(total)})" for name, (_, total) in groups.items()])
        for tab, (name, (items, total)) in zip(tabs, groups.items()):
            with tab:
                if not total:
                    st.caption(f"Nada en «{name}».")
                pager(total, _page_key(name))
                for item in items:
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
    fmt.in_words(summaries.week_summary(frame), frame.drop(columns="Actividad").assign(
        Desde=frame["Desde"].dt.strftime("%d/%m %H:%M"), Hasta=frame["Hasta"].dt.strftime("%d/%m %H:%M"),
        Actividad=frame["Actividad"].str.replace(r" #\d+$", "", regex=True)).set_index("Actividad"))
