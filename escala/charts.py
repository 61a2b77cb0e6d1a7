"""Tidy DataFrame -> plotly Figure. Pure functions; one fixed colour per status everywhere.

Plotly reads a subset of HTML in every text it draws (tick labels, legend, hover): ``<a href>``
becomes a live link, ``<b>`` bold, ``<br>`` a new line. Every value that comes from user data
goes through ``plotly_text`` first, and hover boxes use templates with Spanish labels.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

WEEKDAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
STATUS_COLORS = {"Por vencer": "#f0a202", "Vencida": "#d1495b", "Realizada": "#2e933c"}
PLOTLY_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "$": "&#36;"})


def plotly_text(value: object) -> object:
    """User text as plotly shows it literally: its markup characters as HTML entities (and "$",
    which would start LaTeX). Anything that is not a string is returned unchanged."""
    return value.translate(PLOTLY_ENTITIES) if isinstance(value, str) else value


def _literal(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of ``frame`` with the user-text ``columns`` made literal for plotly."""
    return frame.assign(**{column: frame[column].map(plotly_text) for column in columns})


def _hover(figure: go.Figure, template: str) -> go.Figure:
    """One hover template for every trace; ``{trace}`` stands for the trace's name (its state
    or series, a fixed word), the rest is plotly's ``%{...}`` syntax over escaped data."""
    return figure.for_each_trace(
        lambda trace: trace.update(hovertemplate=template.replace("{trace}", plotly_text(trace.name)) + "<extra></extra>"))


def week_timeline(activities: pd.DataFrame, week_start, week_end) -> go.Figure:
    """Activities of one week as bars from Desde to Hasta.

    ``activities`` has columns Actividad, Desde, Hasta, Estado (Pendiente/Realizada/Vencida),
    Contacto, with wall-clock times in the user's zone.
    """
    frame = _literal(activities, "Actividad", "Contacto").assign(
        desde=activities["Desde"].dt.strftime("%d/%m %H:%M"), hasta=activities["Hasta"].dt.strftime("%d/%m %H:%M"))
    figure = px.timeline(frame, x_start="Desde", x_end="Hasta", y="Actividad", color="Estado",
                         color_discrete_map=STATUS_COLORS, custom_data=["Contacto", "desde", "hasta"],
                         category_orders={"Estado": list(STATUS_COLORS)})
    _hover(figure, "%{y}<br>Contacto: %{customdata[0]}<br>Desde: %{customdata[1]}<br>Hasta: %{customdata[2]}"
                   "<br>Estado: {trace}")
    figure.update_yaxes(autorange="reversed", title=None)
    days = pd.date_range(week_start, week_end, freq="D", inclusive="left")
    figure.update_xaxes(range=[week_start, week_end], title=None, tickvals=days,
                        ticktext=[f"{WEEKDAYS[d.weekday()]} {d.day}" for d in days])
    figure.update_layout(height=max(220, 34 * len(activities) + 90), margin=dict(l=10, r=10, t=30, b=10),
                         legend_title_text=None, legend_orientation="h", legend_y=1.08)
    return figure


AGE_COLORS = {"1–7 días": "#f4a259", "8–30 días": "#e76f51", "31–90 días": "#c1121f", "Más de 90 días": "#780000"}
SERIES_COLORS = {"Creadas": "#1f6feb", "Realizadas": STATUS_COLORS["Realizada"]}


def _layout(height: int, barmode: str = "stack") -> dict:
    """The Tablero charts' layout, given whole when the figure is made (``update_layout``
    afterwards cost more than making the figure)."""
    return dict(height=height, margin=dict(l=10, r=10, t=40, b=10), barmode=barmode, clickmode="event+select",
                legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0, xanchor="left"))


def _bars(frame: pd.DataFrame, category: str, group: str, colors: dict[str, str], hover: str, layout: dict,
          horizontal: bool = True, order: list | None = None, key_column: str | None = None,
          value_title: str = "Elementos", category_title: str = "") -> go.Figure:
    """Bars of ``count`` per ``category``, one trace per ``group`` value (in ``colors``' order,
    its colour, legend entry and selection group); ``order``: the categories from the top
    (horizontal) or the left; ``hover``: a template where ``{trace}`` is the group value.
    Built from graph objects: plotly express took 50–70 ms a chart."""
    traces = []
    for name, color in colors.items():
        part = frame[frame[group] == name]
        if part.empty:
            continue
        categories, values = part[category].tolist(), part["count"].tolist()
        traces.append(go.Bar(
            x=values if horizontal else categories, y=categories if horizontal else values, name=name,
            legendgroup=name, orientation="h" if horizontal else "v", marker_color=color, showlegend=True,
            customdata=[[key] for key in part[key_column].tolist()] if key_column else None,
            hovertemplate=hover.replace("{trace}", plotly_text(name)) + "<extra></extra>"))
    categories = dict(title_text=category_title)
    if order is not None:
        categories.update(categoryorder="array", categoryarray=order[::-1] if horizontal else order)
    values = dict(title_text=value_title)
    return go.Figure(traces, layout=dict(xaxis=values if horizontal else categories,
                                         yaxis=categories if horizontal else values, **layout))


def state_bars(frame: pd.DataFrame, category: str, horizontal: bool = True, key_column: str | None = None) -> go.Figure:
    """Stacked bars, one colour per state, categories (user text: names, opportunities) in the
    frame's order. ``key_column`` travels in customdata so a selected bar can be traced back
    to the items behind it."""
    frame = _literal(frame, category)
    order = list(dict.fromkeys(frame[category]))
    return _bars(frame, category, "state", STATUS_COLORS, "%{y}<br>Estado: {trace}<br>Elementos: %{x:,}" if horizontal
                 else "%{x}<br>Estado: {trace}<br>Elementos: %{y:,}",
                 _layout(max(260, 28 * len(order) + 90) if horizontal else 340), horizontal, order, key_column)


PERIOD_HOVER = {"day": "Día: %{x|%d/%m/%Y}", "week": "Semana del %{x|%d/%m/%Y}", "month": "Mes: %{x|%m/%Y}"}


def over_time(frame: pd.DataFrame, granularity: str) -> go.Figure:
    """Created vs completed per period (the "activities added vs completed" report)."""
    label = {"day": "Día", "week": "Semana", "month": "Mes"}[granularity]
    return _bars(frame, "period", "series", SERIES_COLORS, PERIOD_HOVER[granularity] + "<br>{trace}: %{y:,}",
                 _layout(320, barmode="group"), horizontal=False, category_title=label)


def ageing(frame: pd.DataFrame) -> go.Figure:
    """Overdue work by how late it is, per responsible (most overdue first)."""
    frame = _literal(frame, "responsible")
    totals = frame.groupby("responsible")["count"].sum().sort_values(ascending=False)
    return _bars(frame, "responsible", "bucket", AGE_COLORS, "%{y}<br>Días de atraso: {trace}<br>Vencidas: %{x:,}",
                 _layout(max(260, 24 * len(totals) + 90)), order=list(totals.index), value_title="Vencidas")


GOAL_PERIOD_WORDS = {"Semana": "esta semana", "Mes": "este mes"}


def goal_progress(progress: pd.DataFrame) -> go.Figure:
    """One bar per goal (what its user completed in its period) with a marker at its target.

    ``progress`` has columns Responsable, Periodo (Semana/Mes), Meta, Objetivo, Realizadas."""
    frame = progress.assign(label=[f"{plotly_text(name)} · {measure} ({GOAL_PERIOD_WORDS[period]})"
                                   for name, measure, period in zip(progress["Responsable"], progress["Meta"],
                                                                    progress["Periodo"])])
    reached = frame["Realizadas"] >= frame["Objetivo"]
    figure = go.Figure([
        go.Bar(name="Realizadas", y=frame["label"], x=frame["Realizadas"], orientation="h",
               marker_color=[STATUS_COLORS["Realizada"] if done else "#8fb8de" for done in reached],
               text=[f"{done} de {target}" for done, target in zip(frame["Realizadas"], frame["Objetivo"])],
               textposition="outside", hovertemplate="%{y}<br>Realizadas: %{x}<extra></extra>"),
        go.Scatter(name="Meta", y=frame["label"], x=frame["Objetivo"], mode="markers",
                   marker={"symbol": "line-ns-open", "size": 22, "color": "#1f2937", "line": {"width": 3, "color": "#1f2937"}},
                   hovertemplate="%{y}<br>Meta: %{x}<extra></extra>"),
    ])
    figure.update_layout(height=130 + 36 * len(frame), margin={"l": 10, "r": 40, "t": 40, "b": 10},
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
                         xaxis={"title": "Realizadas en el periodo", "rangemode": "tozero"},
                         yaxis={"autorange": "reversed"}, bargap=0.35)
    return figure
