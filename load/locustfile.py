"""Locust users for Escala: four reps to one manager, each a browser tab speaking Streamlit's
own protocol (load/flows.py says what they do, load/streamlit_client.py how).

Each user keeps one app process for its life (``--app-urls``: one per process, handed out
in turn, as a sticky proxy would) and its own demo account (reps take vendedor1..N in turn,
managers are the administrator). Every step is a Locust request of type "WS" named after
the action. At the end the figures per action, the failures and the tasks attempted and
confirmed go to ``--items-file``, for load/run.py to report and compare with the database.

Run it through ``make load`` or ``python -m load.run`` rather than by hand.
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections import Counter
from pathlib import Path

from locust import User, between, events, task
from locust.stats import StatsError

from load.flows import MANAGER, Visit, sellers
from load.streamlit_client import Tab

_process_numbers = itertools.count()
_sellers: itertools.chain | None = None
_names: itertools.count | None = None
tally: Counter = Counter()


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--app-urls", default="", help="app processes, comma-separated (default: --host)")
    parser.add_argument("--sellers", type=int, default=8, help="demo reps vendedor1..N to sign in as")
    parser.add_argument("--marker", default="", help="created tasks are named '<marker> <n>' (default: random)")
    parser.add_argument("--items-file", default="", help="where to write the tasks attempted and created")
    parser.add_argument("--think", default="3-10", help="seconds a person pauses between steps, MIN-MAX")
    parser.add_argument("--step-timeout", type=float, default=60, help="seconds before a step counts as failed")


@events.test_start.add_listener
def _start(environment, **_) -> None:
    global _sellers, _names
    options = environment.parsed_options
    options.marker = options.marker or f"Carga {secrets.token_hex(3)}"
    _sellers = sellers(options.sellers)
    _names = (f"{options.marker} {n}" for n in itertools.count(1))


@events.test_stop.add_listener
def _stop(environment, **_) -> None:
    """Every user has stopped: the figures are final (Locust's CSV files are written every
    second and may miss the last one), so they go to ``--items-file`` with the tasks' counts."""
    options, stats = environment.parsed_options, environment.stats
    if not options.items_file:
        return
    actions = [{"name": e.name, "requests": e.num_requests, "failures": e.num_failures,
                "p50": e.get_response_time_percentile(0.5), "p95": e.get_response_time_percentile(0.95),
                "max": e.max_response_time} for e in stats.entries.values()]
    failures = [{"name": e.name, "error": StatsError.parse_error(e.error), "occurrences": e.occurrences}
                for e in stats.errors.values()]
    Path(options.items_file).write_text(json.dumps({
        "marker": options.marker, "created": tally["created"], "attempted": tally["attempted"],
        "actions": actions, "failures": failures}, ensure_ascii=False))


class EscalaUser(User):
    abstract = True

    def wait_time(self) -> float:
        low, high = (float(n) for n in self.environment.parsed_options.think.split("-"))
        return between(low, high)(self)

    def email(self) -> str:
        raise NotImplementedError

    def on_start(self) -> None:
        options = self.environment.parsed_options
        urls = [u.strip() for u in (options.app_urls or self.host or "").split(",") if u.strip()]
        tab = Tab(urls[next(_process_numbers) % len(urls)], timeout=options.step_timeout)
        self.visit = Visit(tab, self.email(), self.report, self.wait, tally, _names)

    def on_stop(self) -> None:
        self.visit.tab.close()

    def report(self, name: str, seconds: float, received: int, failure: Exception | None) -> None:
        self.environment.events.request.fire(request_type="WS", name=name, response_time=seconds * 1000,
                                             response_length=received, exception=failure, context={})


class Rep(EscalaUser):
    weight = 4

    def email(self) -> str:
        return next(_sellers)

    @task
    def work_the_agenda(self) -> None:
        self.visit.rep_round()


class Manager(EscalaUser):
    weight = 1

    def email(self) -> str:
        return MANAGER

    @task
    def read_the_tablero(self) -> None:
        self.visit.manager_round()
