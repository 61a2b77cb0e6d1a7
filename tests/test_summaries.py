"""Each chart in words and as a table (escala/summaries.py)."""

from __future__ import annotations

import pandas as pd

from escala import summaries
from escala.analytics import AGE_BUCKETS

BY_PERSON = pd.DataFrame([
    ("Ana", "Por vencer", 5), ("Ana", "Vencida", 1), ("Ana", "Realizada", 9),
    ("Bruno", "Por vencer", 2), ("Bruno", "Vencida", 3),
    ("Carla", "Realizada", 4),
], columns=["responsible", "state", "count"])


def test_a_state_table_has_one_row_per_category_in_order_with_every_state_and_a_total():
    table = summaries.state_table(BY_PERSON, "responsible", "Responsable")
    assert list(table.index) == ["Ana", "Bruno", "Carla"]
    assert table.index.name == "Responsable"
    assert table.loc["Bruno"].to_dict() == {"Por vencer": 2, "Vencida": 3, "Realizada": 0, "Total": 5}
    assert table.loc["Carla", "Total"] == 4


def test_a_state_summary_names_the_most_pending_and_the_most_overdue_when_different():
    said = summaries.state_summary(summaries.state_table(BY_PERSON, "responsible", "Responsable"))
    assert said == "Más pendientes: Ana, 6 (1 vencida) de 11 en total. Más vencidas: Bruno, 3."


def test_a_state_summary_with_nothing_pending_names_the_most_done():
    done = BY_PERSON[BY_PERSON["state"] == "Realizada"]
    assert summaries.state_summary(summaries.state_table(done, "responsible", "Tipo")) == (
        "Nada pendiente; tipo con más realizadas: Ana (9).")
    assert summaries.state_summary(summaries.state_table(done.iloc[0:0], "responsible", "Tipo")) == (
        "Sin datos con estos filtros.")


def test_over_time_compares_the_last_period_with_the_one_before():
    frame = pd.DataFrame([
        (pd.Timestamp("2026-11-09"), "Creadas", 10), (pd.Timestamp("2026-11-09"), "Realizadas", 12),
        (pd.Timestamp("2026-11-16"), "Creadas", 7), (pd.Timestamp("2026-11-16"), "Realizadas", 5),
    ], columns=["period", "series", "count"])
    assert list(summaries.over_time_table(frame, "week").index) == ["09/11/2026", "16/11/2026"]
    assert summaries.over_time_summary(summaries.over_time_table(frame, "week"), "week") == (
        "Última semana (16/11/2026): 7 creadas y 5 realizadas; la anterior, 10 y 12. Más realizadas: 09/11/2026 (12).")


def test_ageing_names_who_has_the_most_overdue_and_the_oldest():
    frame = pd.DataFrame([("Ana", "1–7 días", 5), ("Bruno", "1–7 días", 1), ("Bruno", "Más de 90 días", 2)],
                         columns=["responsible", "bucket", "count"])
    table = summaries.ageing_table(frame, list(AGE_BUCKETS))
    assert list(table.index) == ["Ana", "Bruno"] and list(table.columns) == [*AGE_BUCKETS, "Total"]
    assert summaries.ageing_summary(table) == (
        "Más vencidas: Ana, 5 de 8. Más de 90 días de atraso: Bruno (2).")


def test_goals_say_how_many_are_met_and_which_is_furthest_behind():
    progress = pd.DataFrame([("Ana", "Semana", "Llamada", 5, 5), ("Bruno", "Mes", "Tareas", 10, 2)],
                            columns=["Responsable", "Periodo", "Meta", "Objetivo", "Realizadas"])
    assert summaries.goal_summary(progress) == "1 de 2 metas cumplidas. La más atrasada: Bruno, Tareas (2 de 10)."


def test_a_week_of_activities_is_counted_by_state():
    frame = pd.DataFrame({"Actividad": ["a", "b", "c"], "Estado": ["Vencida", "Realizada", "Vencida"]})
    assert summaries.week_summary(frame) == "3 actividades esta semana: 2 vencidas, 1 realizada."
