"""The load harness speaks Streamlit's protocol: a rep and a manager take every step of their
rounds once against the real app (one process over a small DuckDB demo), through the very
code Locust runs (load/flows.py), and the task the rep created is in the database afterwards.
Locust itself is not needed (nor imported) here."""

from __future__ import annotations

import random
import sys
from collections import Counter

from load.flows import MANAGER, Visit
from load.run import count_items
from load.streamlit_client import Tab
from tests.conftest import seed_demo_file
from tests.servers import serve

REP_STEPS = ["sign in", "open app", "agenda", "contacts", "profile", "new task popup", "create task", "complete item"]
MANAGER_STEPS = ["sign in", "open app", "tablero", "filter", "drill down"]


def test_every_load_step_works_once_and_the_task_created_is_in_the_database(tmp_path):
    location = tmp_path / "escala.duckdb"
    seed_demo_file(location, users=4, contacts=12, activities=200, tasks=200, seed=7)
    taken: list[str] = []

    def report(name: str, seconds: float, received: int, failure: Exception | None) -> None:
        if failure is not None:
            raise AssertionError(f"{name}: {failure}")
        assert seconds > 0 and (received > 0 or name == "sign in")
        taken.append(name)

    tally: Counter = Counter()
    with serve(location, tmp_path / "server.log") as url:
        rep = Visit(Tab(url, timeout=30), "vendedor1@escala.demo", report, lambda: None, tally,
                    iter(["Carga prueba 1"]), random.Random(1))
        rep.rep_round()
        rep_steps, taken[:] = list(taken), []
        manager = Visit(Tab(url, timeout=30), MANAGER, report, lambda: None, tally, iter(()), random.Random(2))
        manager.manager_round()
        rep.tab.close()
        manager.tab.close()

    assert rep_steps == REP_STEPS
    assert taken == MANAGER_STEPS
    assert manager.tab.title() == "Tablero"  # the chart's fragment ran alone: the rest of the page stayed
    assert tally == {"attempted": 1, "created": 1}
    assert count_items(location, "Carga prueba") == 1  # the app has stopped: its DuckDB file is free
    assert "locust" not in sys.modules and "gevent" not in sys.modules
