"""Tidy DataFrame -> plotly Figure. Pure functions; one fixed colour per status everywhere."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

WEEKDAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
STATUS_COLORS = {"Por vencer": "#f0a202", "Vencida": "#d1495b", "Realizada": "#2e933c"}


def week_timeline(activities: pd.DataFrame, week_start, week_end) -> go.Figure:
    """Activities of one week as bars from Desde to Hasta.

    ``activities`` has columns Actividad, Desde, Hasta, Estado (Pendiente/Realizada/Vencida),
    Contacto, with wall-clock times in the user's zone.
    """
    figure = px.timeline(activities, x_start="Desde", x_end="Hasta", y="Actividad", color="Estado",
                         color_discrete_map=STATUS_COLORS, hover_data={"Contacto": True, "Actividad": False},
                         category_orders={"Estado": list(STATUS_COLORS)})
    figure.update_yaxes(autorange="reversed", title=None)
    days = pd.date_range(week_start, week_end, freq="D", inclusive="left")
    figure.update_xaxes(range=[week_start, week_end], title=None, tickvals=days,
                        ticktext=[f"{WEEKDAYS[d.weekday()]} {d.day}" for d in days])
    figure.update_layout(height=max(220, 34 * len(activities) + 90), margin=dict(l=10, r=10, t=30, b=10),
                         legend_title_text=None, legend_orientation="h", legend_y=1.08)
    return figure


AGE_COLORS = {"1–7 días": "#f4a259", "8–30 días": "#e76f51", "31–90 días": "#c1121f", "Más de 90 días": "#780000"}
SERIES_COLORS = {"Creadas": "#1f6feb", "Realizadas": STATUS_COLORS["Realizada"]}


def _layout(figure: go.Figure, height: int) -> go.Figure:
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), legend_title_text=None,
                         legend=dict(orientation="h", y=1.0, yanchor="bottom", x=0, xanchor="left"),
                         barmode="stack", clickmode="event+select")
    return figure


def state_bars(frame: pd.DataFrame, category: str, horizontal: bool = True, key_column: str | None = None) -> go.Figure:
    """Stacked bars, one colour per state, categories in the frame's order. ``key_column``
    travels in customdata so a selected bar can be traced back to the items behind it."""
    order = list(dict.fromkeys(frame[category]))
    custom = [key_column] if key_column else None
    axes = dict(y=category, x="count") if horizontal else dict(x=category, y="count")
    figure = px.bar(frame, **axes, color="state", orientation="h" if horizontal else "v",
                    color_discrete_map=STATUS_COLORS, custom_data=custom,
                    category_orders={category: order, "state": list(STATUS_COLORS)},
                    labels={"count": "Elementos", "state": "Estado", category: ""})
    return _layout(figure, max(260, 28 * len(order) + 90) if horizontal else 340)


def over_time(frame: pd.DataFrame, granularity: str) -> go.Figure:
    """Created vs completed per period (the "activities added vs completed" report)."""
    label = {"day": "Día", "week": "Semana", "month": "Mes"}[granularity]
    figure = px.bar(frame, x="period", y="count", color="series", barmode="group",
                    color_discrete_map=SERIES_COLORS, labels={"period": label, "count": "Elementos", "series": ""})
    figure.update_layout(barmode="group")
    return _layout(figure, 320).update_layout(barmode="group")


def ageing(frame: pd.DataFrame) -> go.Figure:
    """Overdue work by how late it is, per responsible (most overdue first)."""
    totals = frame.groupby("responsible")["count"].sum().sort_values(ascending=False)
    figure = px.bar(frame, y="responsible", x="count", color="bucket", orientation="h",
                    color_discrete_map=AGE_COLORS,
                    category_orders={"responsible": list(totals.index), "bucket": list(AGE_COLORS)},
                    labels={"count": "Vencidas", "responsible": "", "bucket": "Días de atraso"})
    return _layout(figure, max(260, 24 * len(totals) + 90))
