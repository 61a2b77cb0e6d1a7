"""Tidy DataFrame -> plotly Figure. Pure functions; one fixed colour per status everywhere."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

WEEKDAYS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
STATUS_COLORS = {"Pendiente": "#f0a202", "Realizada": "#2e933c", "Vencida": "#d1495b"}


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
