"""The Tablero: filters in the sidebar (mirrored in the URL), metrics, charts with
drill-down, and the comparison table per responsible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st

from escala import charts, summaries, times
from escala.analytics import (
    AGE_BUCKETS, CHART_STATES, OTHERS_KEY, STATES, TYPE_LABELS, Analytics, Dashboard, Filters, Selection,
)
from escala.domain import EARLIEST_DAY, LATEST_DAY, ActivityType, Goal, Role, Stage, User
from escala.store import Store
from escala.ui import format as fmt
from escala.ui.downloads import quick_export
from escala.ui.session import current_user

PRESETS = ["Todo el historial", "Últimos 7 días", "Últimos 30 días", "Últimos 90 días", "Este mes",
           "Próximos 30 días", "Personalizado"]
KIND_LABELS = {"ambas": "Ambas", "actividades": "Actividades", "tareas": "Tareas"}
GRANULARITY = {"day": "por día", "week": "por semana", "month": "por mes"}


@st.cache_data(ttl=60, show_spinner=False, max_entries=200)
def _dashboard(_analytics: Analytics, filters: Filters, user: User, zone: str, version: int, minute: datetime,
               goals: tuple[Goal, ...] = ()) -> Dashboard:
    """Cached per filter set *and* user (their scope), store version (any write invalidates)
    and minute (Vencida moves with the clock)."""
    return _analytics.dashboard(filters, user, minute, zone, goals)


def preset_range(preset: str, today: date) -> tuple[date | None, date | None]:
    return {
        "Todo el historial": (None, None),
        "Últimos 7 días": (today - timedelta(days=6), today),
        "Últimos 30 días": (today - timedelta(days=29), today),
        "Últimos 90 días": (today - timedelta(days=89), today),
        "Este mes": (today.replace(day=1), today),
        "Próximos 30 días": (today, today + timedelta(days=29)),
    }.get(preset, (None, None))


def _initial_preset(filters: Filters, today: date) -> str:
    for preset in PRESETS[:-1]:
        if preset_range(preset, today) == (filters.date_from, filters.date_to):
            return preset
    return "Personalizado"


def sidebar_filters(store: Store, user: User, today: date) -> Filters:
    """The filter widgets, started from the URL once per tab; the URL follows every change."""
    if "tablero_filtros" not in st.session_state:  # first run in this tab: the URL wins
        from_url, ignored = Filters.parse_query(st.query_params.to_dict())
        if ignored:
            st.toast("Se ignoraron valores no válidos del enlace (" + ", ".join(ignored) + ").",
                     icon=":material/link_off:")
        st.session_state.update({
            "tablero_filtros": True, "f_preset": _initial_preset(from_url, today),
            "f_range": (from_url.date_from or today - timedelta(days=29), from_url.date_to or today),
            "f_kind": from_url.kind, "f_types": list(from_url.types), "f_states": list(from_url.states),
            "f_people": list(from_url.responsible_ids), "f_owners": list(from_url.owner_ids),
            "f_stages": list(from_url.stages)})
    people = {u.id: u.name for u in store.list_users(include_inactive=True) if u.role is not Role.ANALYST}
    with st.sidebar:
        st.subheader("Filtros")
        preset = st.selectbox("Periodo (por vencimiento)", PRESETS, key="f_preset")
        date_from, date_to = preset_range(preset, today)
        if preset == "Personalizado":
            chosen = st.date_input("Fechas", key="f_range", format="DD/MM/YYYY", min_value=EARLIEST_DAY,
                                   max_value=LATEST_DAY)
            if isinstance(chosen, (list, tuple)) and len(chosen) == 2:
                date_from, date_to = chosen
        kind = st.radio("Mostrar", list(KIND_LABELS), format_func=KIND_LABELS.get, key="f_kind", horizontal=True)
        # no "Select all" (English, and an empty filter already means all)
        types = st.multiselect("Tipo", [t.value for t in ActivityType], key="f_types", placeholder="Todos",
                               select_all=False)
        states = st.multiselect("Estado", list(STATES), key="f_states", placeholder="Todos", select_all=False)
        responsible = st.multiselect("Responsable", [0, *people], key="f_people", placeholder="Todos", select_all=False,
                                     format_func=lambda i: "Sin asignar" if i == 0 else people.get(i, f"Usuario {i}"))
        owners = st.multiselect("Dueño del contacto", list(people), key="f_owners", placeholder="Todos", select_all=False,
                                format_func=lambda i: people.get(i, f"Usuario {i}"))
        stages = st.multiselect("Etapa de la oportunidad", [s.value for s in Stage], key="f_stages",
                                placeholder="Todas", select_all=False)
    filters = Filters(date_from, date_to, kind, tuple(types), tuple(states), tuple(responsible), tuple(owners),
                      tuple(stages))
    query = filters.to_query()
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)  # bookmarkable and shareable
    return filters


def _metric_row(metrics: dict) -> None:
    previous = metrics.get("previous")
    columns = st.columns(4)
    for column, name in zip(columns, ["Pendientes", "Realizadas", "Vencidas", "% completado"]):
        value, is_percent = metrics[name], name == "% completado"
        shown = "—" if value is None else (fmt.percent(value) if is_percent else fmt.integer(value))
        delta, steady = None, False
        if previous is not None and value is not None and previous[name] is not None:
            delta = fmt.signed(value - previous[name], 1 if is_percent else 0)
            steady = delta == "0"  # no change: no arrow and no colour (Streamlit would draw a green up-arrow)
            delta += " pp" if is_percent else ""
        color = "off" if steady else ("inverse" if name in ("Pendientes", "Vencidas") else "normal")
        column.metric(name, shown, delta, delta_color=color, delta_arrow="off" if steady else "auto",
                      help="Cambio frente al periodo anterior de la misma duración" if previous else None)


def selected_bar(event) -> dict | None:
    """The first selected bar of a chart as {category, state, key}, or None.

    Streamlit hands ``customdata`` over as a list or as a dict keyed "0", "1", ... depending
    on how the figure was serialised; a missing or NaN key comes back as None.
    """
    points = ((event or {}).get("selection") or {}).get("points") or []
    if not points:
        return None
    point = points[0]
    custom = point.get("customdata")
    if isinstance(custom, dict):
        custom = [custom.get(str(index)) for index in range(len(custom))]
    key = custom[0] if isinstance(custom, (list, tuple)) and custom else None
    if key is not None and (isinstance(key, bool) or not isinstance(key, (int, float)) or pd.isna(key)):
        key = None
    return {"x": point.get("x"), "y": point.get("y"), "state": point.get("legendgroup"),
            "key": int(key) if key is not None else None}


def _drill_down(store: Store, analytics: Analytics, filters: Filters, user: User, now: datetime, zone: str,
                key: str, **bar) -> None:
    if bar.get("state") not in CHART_STATES:
        return  # not a bar of ours (a stale selection after the chart changed)
    selection = Selection(**bar)
    frame, total = analytics.items_behind(filters, user, now, zone, selection)
    st.markdown(f"**{fmt.plural(total, 'elemento', 'elementos')}** en la barra seleccionada")
    frame["Contacto"] = [f"/contactos?contacto={cid}#{name}" for cid, name in zip(frame.pop("contact_id"), frame["Contacto"])]
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={"Contacto": st.column_config.LinkColumn("Contacto", display_text=r"#(.*)$")})
    if total > len(frame):
        st.caption(f"Se muestran los primeros {len(frame)} por fecha de vencimiento.")
    quick_export(store, user, filters, f"drill-{key}", selection, label="Exportar estos elementos (CSV)")


@st.fragment
def _chart(store: Store, user: User, filters: Filters, now: datetime, zone: str, key: str, figure,
           selection_of: Callable[[dict], dict | None]) -> None:
    """A chart whose bars drill down to their items (``selection_of``: the chosen bar ->
    ``Selection`` fields, or None). A fragment: choosing a bar reruns this chart alone,
    after checking that the session still holds (a fragment skips the page's own check)."""
    still = current_user(store)
    if still is None or still.id != user.id or still.role is not user.role:
        st.rerun()  # the whole page, which says why
    event = st.plotly_chart(figure, key=f"chart_{key}", on_select="rerun", selection_mode="points",
                            config={"displayModeBar": False})
    chosen = selected_bar(event)
    bar = selection_of(chosen) if chosen else None
    if bar:
        _drill_down(store, Analytics(store.db), filters, still, now, zone, key, **bar)


def _goals(progress) -> None:
    """Metas: each goal's progress this week or month (bars with a marker at the target) and
    who is furthest along; only when there are goals."""
    if progress is None or progress.empty:
        return
    with st.expander("Metas del periodo", expanded=True, icon=":material/flag:"):
        st.plotly_chart(charts.goal_progress(progress), key="chart_metas", config={"displayModeBar": False})
        st.caption("Por el día en que se realizó cada una, en el calendario del equipo; la marca es la meta.")
        fmt.in_words(summaries.goal_summary(progress), progress.set_index("Responsable"))
        st.dataframe(Analytics.goal_leaderboard(progress), hide_index=True, width="stretch", column_config={
            "Avance": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0,
                                                      help="Promedio del avance de sus metas (cada una hasta 100 %)")})


def tablero(store: Store, user: User) -> None:
    analytics = Analytics(store.db)
    zone, now = user.time_zone, store.clock()
    today = times.to_local(now, zone).date()
    filters = sidebar_filters(store, user, today)
    st.title("Tablero")
    if user.role is Role.SELLER:
        st.caption("Tu trabajo: tus contactos y todo lo que tienes asignado.")
    minute = now.replace(second=0, microsecond=0)
    board = _dashboard(analytics, filters, user, zone, store.version, minute, tuple(store.goals(user)))
    _metric_row(board.metrics)
    _goals(board.goals)
    if board.metrics["Pendientes"] + board.metrics["Realizadas"] == 0:
        st.info("No hay actividades ni tareas con estos filtros. Amplía el periodo o quita algún filtro.")
        return

    left, right = st.columns(2)
    with left:
        st.subheader("Por responsable")
        drawn = tuple(int(k) for k in board.by_responsible["responsible_id"].unique() if k != OTHERS_KEY)
        _chart(store, user, filters, minute, zone, "responsable",
               charts.state_bars(board.by_responsible, "responsible", key_column="responsible_id"),
               lambda bar: None if bar["key"] is None else {
                   "state": bar["state"],
                   **({"responsible_not_in": drawn} if bar["key"] == OTHERS_KEY else {"responsible_id": bar["key"]})})
        table = summaries.state_table(board.by_responsible, "responsible", "Responsable")
        fmt.in_words(summaries.state_summary(table), table)
    with right:
        st.subheader("Por tipo")
        _chart(store, user, filters, minute, zone, "tipo", charts.state_bars(board.by_type, "type", horizontal=False),
               lambda bar: {"type": bar["x"], "state": bar["state"]} if bar["x"] in TYPE_LABELS else None)
        table = summaries.state_table(board.by_type, "type", "Tipo")
        fmt.in_words(summaries.state_summary(table), table)

    st.subheader("Oportunidades con más trabajo pendiente")
    if board.by_opportunity.empty:
        st.caption("Ningún elemento pendiente está vinculado a una oportunidad.")
    else:
        frame = board.by_opportunity.assign(label=board.by_opportunity["opportunity"] + " · "
                                            + board.by_opportunity["stage"])
        _chart(store, user, filters, minute, zone, "oportunidad",
               charts.state_bars(frame, "label", key_column="opportunity_id"),
               lambda bar: None if bar["key"] is None else {"opportunity_id": bar["key"], "state": bar["state"]})
        table = summaries.state_table(frame, "label", "Oportunidad")
        fmt.in_words(summaries.state_summary(table), table)

    left, right = st.columns(2)
    with left:
        st.subheader(f"Creadas vs. realizadas {GRANULARITY[board.granularity]}")
        st.plotly_chart(charts.over_time(board.over_time, board.granularity), key="chart_tiempo",
                        config={"displayModeBar": False})
        if not board.over_time.empty:
            table = summaries.over_time_table(board.over_time, board.granularity)
            fmt.in_words(summaries.over_time_summary(table, board.granularity), table)
    with right:
        st.subheader("Antigüedad de lo vencido")
        if board.ageing.empty:
            st.caption("Nada vencido. 🎉")
        else:
            st.plotly_chart(charts.ageing(board.ageing), key="chart_antiguedad", config={"displayModeBar": False})
            st.caption("Días de atraso: " + ", ".join(AGE_BUCKETS) + ".")
            table = summaries.ageing_table(board.ageing, list(AGE_BUCKETS))
            fmt.in_words(summaries.ageing_summary(table), table)

    st.subheader("Comparativo por responsable")
    st.dataframe(board.comparison, hide_index=True, width="stretch", column_config={
        "% a tiempo": st.column_config.NumberColumn(format="%.1f %%", help="Realizadas a más tardar en su fecha"),
        "Promedio de días para completar": st.column_config.NumberColumn(format="%.1f",
                                                                        help="Desde que se creó hasta que se realizó"),
    })
