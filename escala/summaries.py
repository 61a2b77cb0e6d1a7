"""Each chart in words and as a table: a Spanish sentence saying what stands out (what is
largest, what changed) and the same numbers in a small frame, for whoever cannot see the
chart. Pure functions over the tidy frames that ``charts`` draws."""

from __future__ import annotations

import pandas as pd

from escala.domain import format_int, plural

STATES = ["Por vencer", "Vencida", "Realizada"]
SERIES = ["Creadas", "Realizadas"]
PERIOD_WORDS = {"day": "Día", "week": "Semana del", "month": "Mes"}


def _wide(frame: pd.DataFrame, row: str, column: str, columns: list[str], label: str) -> pd.DataFrame:
    """``frame`` (row, column, count) as one line per ``row`` in its order, one column per
    ``columns`` value, and a Total."""
    order = list(dict.fromkeys(frame[row]))
    table = (frame.pivot_table(index=row, columns=column, values="count", aggfunc="sum", fill_value=0, sort=False)
             .reindex(index=order, columns=columns, fill_value=0).astype(int))
    table["Total"] = table.sum(axis=1)
    return table.rename_axis(index=label, columns=None)


def state_table(frame: pd.DataFrame, category: str, label: str) -> pd.DataFrame:
    """Por vencer / Vencida / Realizada / Total per ``category`` (a state_bars frame)."""
    return _wide(frame, category, "state", STATES, label)


def state_summary(table: pd.DataFrame) -> str:
    """Who or what has the most pending work (and how much of it is overdue), and the most
    overdue when that is someone else (``table``: a ``state_table``)."""
    label = table.index.name
    if table.empty:
        return "Sin datos con estos filtros."
    pending = table["Por vencer"] + table["Vencida"]
    if pending.max() == 0:
        return f"Nada pendiente; {label.lower()} con más realizadas: {table['Realizada'].idxmax()} " \
               f"({format_int(table['Realizada'].max())})."
    first = pending.idxmax()
    said = (f"Más pendientes: {first}, {format_int(pending[first])} "
            f"({plural(int(table.at[first, 'Vencida']), 'vencida', 'vencidas')}) de {format_int(pending.sum())} en total.")
    late = table["Vencida"].idxmax()
    if late != first and table.at[late, "Vencida"] > table.at[first, "Vencida"]:
        said += f" Más vencidas: {late}, {format_int(table.at[late, 'Vencida'])}."
    return said


def over_time_table(frame: pd.DataFrame, granularity: str) -> pd.DataFrame:
    table = _wide(frame.assign(period=pd.to_datetime(frame["period"]).dt.strftime("%d/%m/%Y")), "period", "series",
                  SERIES, PERIOD_WORDS[granularity])
    return table.drop(columns="Total")


def over_time_summary(table: pd.DataFrame, granularity: str) -> str:
    """The last period against the one before it, and the busiest period (``table``: an
    ``over_time_table``)."""
    if table.empty:
        return "Sin datos con estos filtros."
    last_word, before_word = {"day": ("Último día", "el anterior"), "week": ("Última semana", "la anterior"),
                              "month": ("Último mes", "el anterior")}[granularity]
    last = table.iloc[-1]
    said = f"{last_word} ({table.index[-1]}): {plural(int(last['Creadas']), 'creada', 'creadas')} y " \
           f"{plural(int(last['Realizadas']), 'realizada', 'realizadas')}"
    if len(table) > 1:
        before = table.iloc[-2]
        said += f"; {before_word}, {format_int(before['Creadas'])} y {format_int(before['Realizadas'])}"
    busiest = table["Realizadas"].idxmax()
    return said + f". Más realizadas: {busiest} ({format_int(table.at[busiest, 'Realizadas'])})."


def ageing_table(frame: pd.DataFrame, buckets: list[str]) -> pd.DataFrame:
    table = _wide(frame, "responsible", "bucket", buckets, "Responsable")
    return table.sort_values("Total", ascending=False, kind="stable")


def ageing_summary(table: pd.DataFrame) -> str:
    """Who has the most overdue work and who the oldest (``table``: an ``ageing_table``)."""
    if table.empty:
        return "Nada vencido."
    first = table.index[0]
    said = f"Más vencidas: {first}, {format_int(table.at[first, 'Total'])} de {format_int(table['Total'].sum())}."
    oldest = table.columns[-2]  # the last bucket, before Total
    if table[oldest].max() > 0:
        who = table[oldest].idxmax()
        said += f" {oldest} de atraso: {who} ({format_int(table.at[who, oldest])})."
    return said


def goal_summary(progress: pd.DataFrame) -> str:
    """How many goals are met, and the one furthest behind."""
    met = int((progress["Realizadas"] >= progress["Objetivo"]).sum())
    said = f"{format_int(met)} de {plural(len(progress), 'meta cumplida', 'metas cumplidas')}."
    share = progress["Realizadas"] / progress["Objetivo"]
    behind = share.idxmin()
    if share[behind] < 1:
        row = progress.loc[behind]
        said += f" La más atrasada: {row['Responsable']}, {row['Meta']} ({row['Realizadas']} de {row['Objetivo']})."
    return said


def week_summary(activities: pd.DataFrame) -> str:
    """The week's activities by state (a week_timeline frame: Actividad, Desde, Hasta, Estado)."""
    counts = activities["Estado"].value_counts()
    words = {"Vencida": ("vencida", "vencidas"), "Por vencer": ("por vencer", "por vencer"),
             "Realizada": ("realizada", "realizadas")}
    parts = [plural(int(counts[state]), *words[state]) for state in words if state in counts]
    return f"{plural(len(activities), 'actividad', 'actividades')} esta semana: {', '.join(parts)}."
