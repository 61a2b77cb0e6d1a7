"""What the simulated people do, step by step, over a ``Tab`` (load/streamlit_client.py).

A rep (vendedor) opens Mi agenda, then Contactos and one of their contacts' profiles, the
"+" popup of Tareas, creates a Tarea named with the run's marker keeping every default, and
marks one pending item Realizada. A manager (the
administrator) opens the Tablero, changes its period and clicks a bar of one of the charts
that drill down. Each step is a ``Visit.step``: one action, timed from the rerun request to
the end of the run it caused, that fails on a traceback, an "Algo salió mal", an error
toast, a timeout, a missing confirmation or an unexpected page (the sign-in form).

The runner plugs in how a step is reported and how a person pauses between steps: Locust
(load/locustfile.py) fires a request event and sleeps its wait time; the smoke test raises
at the first failure and does not wait. Nothing here imports Locust or gevent.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import count

from load.streamlit_client import Run, Tab, bars, texts

PASSWORD = "escala-demo"  # escala.demo.DEMO_PASSWORD (not imported: Locust runs without the app's code)
DOMAIN = "escala.demo"
MANAGER = f"admin@{DOMAIN}"
CLICKABLE_CHARTS = ("chart_responsable", "chart_tipo", "chart_oportunidad")  # escala/ui/tablero.py's keys
PERIODS = ("Todo el historial", "Últimos 7 días", "Últimos 30 días", "Últimos 90 días", "Este mes",
           "Próximos 30 días")  # the Tablero's presets with dates of their own ("Personalizado" left out)
CREATED = "Tarea creada"
COMPLETED = "marcada como Realizada"

# report(name, seconds, bytes received, failure or None)
Report = Callable[[str, float, int, Exception | None], None]


class Problem(Exception):
    """The app answered, but not with what a person would have seen."""


def sellers(how_many: int) -> Iterator[str]:
    """The demo's reps in turn: vendedor1, vendedor2, ... vendedorN, vendedor1, ..."""
    for number in count():
        yield f"vendedor{number % how_many + 1}@{DOMAIN}"


class Visit:
    """One person in one browser tab. ``tally`` counts the tasks whose creation was
    attempted and confirmed (shared by every visit of a run); ``names`` the task names."""

    def __init__(self, tab: Tab, email: str, report: Report, think: Callable[[], None], tally: Counter,
                 names: Iterator[str], rng: random.Random | None = None):
        self.tab, self.email, self.report, self.think = tab, email, report, think
        self.tally, self.names, self.rng = tally, names, rng or random.Random()
        self.signed_in = False

    def step(self, name: str, action: Callable[[], Run], expect: Callable[[Run], None] = lambda run: None) -> bool:
        """Do ``action``, check what it brought with ``expect``, report it; True if it did
        what a person expects."""
        run, error, started = None, None, time.perf_counter()
        try:
            run = action()
            if run.problems:
                raise Problem("; ".join(run.problems))
            expect(run)
        except Exception as failure:  # noqa: BLE001 - anything (a timeout, a refused connection...) fails the step
            error = failure
        self.report(name, run.seconds if run else time.perf_counter() - started, run.received if run else 0, error)
        return error is None

    def fail(self, name: str, message: str) -> bool:
        self.report(name, 0.0, 0, Problem(message))
        return False

    # ------------------------------------------------------------------ checks

    def expect_signed_in(self, run: Run) -> None:
        if not self.tab.find_all("button", key="cerrar_sesion"):  # app.py's sidebar, for the signed-in only
            raise Problem(f"signed out: the page says {self.tab.title()!r}")

    def expect_title(self, title: str) -> Callable[[Run], None]:
        def check(run: Run) -> None:
            self.expect_signed_in(run)
            if self.tab.title() != title:
                shown = [text[:80] for text in texts(self.tab)][:6]
                raise Problem(f"expected the page {title!r}, got {self.tab.title()!r} (the page says {shown})")
        return check

    # ------------------------------------------------------------------ both

    def ready(self) -> bool:
        """Signed in, with a tab open on the app (again, after a tab lost its connection)."""
        if not self.signed_in:
            self.signed_in = self.step("sign in", lambda: Run(seconds=self.tab.sign_in(self.email, PASSWORD)))
            if not self.signed_in:
                return False
        return self.tab.connected or self.step("open app", lambda: self.tab.open("/"), self.expect_signed_in)

    # ------------------------------------------------------------------ a rep

    def rep_round(self) -> None:
        if not self.ready() or not self.step("agenda", lambda: self.tab.go_to("agenda"), self.expect_title("Mi agenda")):
            return
        self.think()
        if not self.open_a_profile():
            return
        self.think()
        if not self.step("new task popup", lambda: self.tab.click(self.tab.find("button", key="nueva_tarea")),
                         self.expect_popup):
            return
        self.think()
        if not self.create_task():
            return
        self.think()
        self.complete_one()

    def contact_links(self):
        return [e for e in self.tab.find_all("page_link") if e.proto.query_string.startswith("contacto=")]

    def open_a_profile(self) -> bool:
        """One of the rep's own contacts, from Contactos (the agenda also links to contacts of
        other reps, on items assigned to this one, which this rep may not open)."""
        if not self.step("contacts", lambda: self.tab.go_to("contactos"), self.expect_title("Contactos")):
            return False
        self.think()
        links = self.contact_links()
        if not links:
            return self.fail("profile", "no contact to open")
        link = self.rng.choice(links)
        return self.step("profile", lambda: self.tab.follow(link), self.expect_title(link.label))

    def expect_popup(self, run: Run) -> None:
        dialog = self.tab.dialog()
        if dialog is None or dialog.proto.dialog.title != "Nueva tarea":
            raise Problem("the «Nueva tarea» popup did not open")

    def create_task(self) -> bool:
        dialog = self.tab.dialog()
        name = next(self.names)

        def create() -> Run:
            self.tab.type_into(self.tab.find("text_input", label="Nombre", within=dialog), name)
            button = self.tab.find("button", label="Crear", within=dialog)
            self.tally["attempted"] += 1
            return self.tab.click(button)

        def confirmed(run: Run) -> None:
            if CREATED not in run.toasts or self.tab.dialog() is not None:
                errors = [e.text for e in self.tab.find_all("alert")]
                raise Problem(f"no «{CREATED}» (toasts {run.toasts}, errors {errors})")
            self.tally["created"] += 1

        return self.step("create task", create, confirmed)

    def complete_one(self) -> bool:
        buttons = self.tab.find_all("button", label="Realizada")
        if not buttons:
            return self.fail("complete item", "no pending item on the profile")
        button = self.rng.choice(buttons)

        def marked(run: Run) -> None:
            if not any(COMPLETED in toast for toast in run.toasts):
                raise Problem(f"no «{COMPLETED}» (toasts {run.toasts})")

        return self.step("complete item", lambda: self.tab.click(button), marked)

    # ------------------------------------------------------------------ a manager

    def manager_round(self) -> None:
        if not self.ready() or not self.step("tablero", lambda: self.tab.go_to("tablero"),
                                             self.expect_title("Tablero")):
            return
        self.think()
        period = self.tab.find("selectbox", label="Periodo (por vencimiento)")
        choice = self.rng.choice([p for p in PERIODS if p != self.tab.value(period)])
        if not self.step("filter", lambda: self.tab.choose(period, choice), self.expect_title("Tablero")):
            return
        self.think()
        charts = [chart for key in CLICKABLE_CHARTS for chart in self.tab.find_all("plotly_chart", key=key)]
        clickable = [(chart, bar) for chart in charts for bar in bars(chart) if bar["value"]]
        if not clickable:
            return  # nothing in this period: no bar to click
        chart, bar = self.rng.choice(clickable)

        def listed(run: Run) -> None:
            if not self.tab.find_all("markdown", text="en la barra seleccionada"):
                raise Problem("the drill-down listed nothing")

        self.step("drill down", lambda: self.tab.select_bar(chart, bar), listed)
