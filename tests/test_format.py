"""Numbers and counts in es-MX Spanish: "2,670", "73.3 %", "1 tarea" / "2 tareas"."""

from __future__ import annotations

import pytest

from escala.ui import format as fmt


@pytest.mark.parametrize("count, expected", [(0, "0 tareas"), (1, "1 tarea"), (2, "2 tareas"),
                                             (2670, "2,670 tareas"), (1_204_000, "1,204,000 tareas")])
def test_plural_agrees_with_the_count_and_groups_thousands_with_commas(count, expected):
    assert fmt.plural(count, "tarea", "tareas") == expected


@pytest.mark.parametrize("value, expected", [(73.333, "73.3 %"), (0, "0.0 %"), (100, "100.0 %")])
def test_percent_uses_a_decimal_point(value, expected):
    assert fmt.percent(value) == expected


@pytest.mark.parametrize("change, decimals, expected", [(0, 0, "0"), (0.04, 1, "0"), (-0.04, 1, "0"),
                                                        (1204, 0, "+1,204"), (-3, 0, "-3"), (2.45, 1, "+2.5")])
def test_signed_changes_have_a_sign_except_no_change(change, decimals, expected):
    assert fmt.signed(change, decimals) == expected


def test_integer_groups_thousands_with_commas():
    assert fmt.integer(2670) == "2,670"


def _metric_row_app():
    from escala.ui.tablero import _metric_row
    _metric_row({"Pendientes": 2670, "Realizadas": 5, "Vencidas": 3, "% completado": 73.333,
                 "previous": {"Pendientes": 2670, "Realizadas": 4, "Vencidas": 1204 + 3, "% completado": 73.3}})


def test_metrics_write_es_mx_numbers_and_show_no_arrow_for_no_change():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_function(_metric_row_app).run()
    metrics = {m.label: m for m in at.metric}
    assert metrics["Pendientes"].value == "2,670" and metrics["% completado"].value == "73.3 %"
    steady = metrics["Pendientes"].proto
    assert steady.delta == "0" and steady.direction == steady.NONE and steady.color == steady.GRAY
    assert metrics["Vencidas"].delta == "-1,204" and metrics["Realizadas"].delta == "+1"
    assert metrics["% completado"].delta == "0 pp"
