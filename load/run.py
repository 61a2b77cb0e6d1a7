"""``make load``: Locust, headless, against a running app; then p50 and p95 per action, the
failures, and the tasks created (confirmed by their "Tarea creada") against those found in
the app's database, which must be equal.

    python -m load.run --url http://localhost:8501 --users 30 --duration 2m [--database LOCATION]

``--url`` may be given once per app process (users are spread over them, each keeping its
own). The database is the app's (``--database``, else ``ESCALA_DATABASE_URL``, ``ESCALA_DB``
or data/escala.duckdb): PostgreSQL is counted at once; a DuckDB file only once the app has
stopped (one process owns it), so while the app runs the command says how to count later
(``python -m load.run --count-only``, what ``make load-check`` runs).

Locust's own reports land in ``load-report/``: ``<label>_stats.csv``, ``<label>_failures.csv``,
``<label>.html`` and ``<label>_items.json`` (the run's marker and counts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from escala.db import DatabaseLocked, is_url, open_database

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "load-report"
LOCUSTFILE = ROOT / "load" / "locustfile.py"
THINK = "3-10"  # seconds a person pauses between steps: reads the page, types a name
ORDER = ["sign in", "open app", "agenda", "contacts", "profile", "new task popup", "create task", "complete item",
         "tablero", "filter", "drill down"]


@dataclass
class Action:
    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    longest: float


@dataclass
class Result:
    """One Locust run: per-action figures, failures by message, and the tasks it created."""
    label: str
    actions: list[Action]
    failures: list[tuple[str, str, int]]
    marker: str
    created: int
    attempted: int
    found: int | None = None
    notes: list[str] = field(default_factory=list)
    cpu: str = ""  # how busy the machine was meanwhile, and how much of it Locust took

    @property
    def errors(self) -> int:
        return sum(action.failures for action in self.actions)

    @property
    def items_agree(self) -> bool:
        return self.found == self.created


def run_locust(urls: list[str], users: int, duration: str, label: str, *, spawn_rate: float = 2,
               think: str = THINK, sellers: int = 8, step_timeout: float = 60, folder: Path = REPORT,
               app_seconds: Callable[[], float] = lambda: 0.0) -> Result:
    """Run Locust headless with ``users`` (4 reps to 1 manager) for ``duration`` ("2m") against
    ``urls``; its CSV and HTML reports go to ``folder`` named after ``label``. ``app_seconds``
    (the CPU seconds the app's processes have used so far), when known, splits the machine's
    CPU between the app, Locust and whatever else ran meanwhile."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix, items = folder / label, folder / f"{label}_items.json"
    items.unlink(missing_ok=True)
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
               "-u", str(users), "-r", str(spawn_rate), "-t", duration, "--host", urls[0],
               "--app-urls", ",".join(urls), "--sellers", str(sellers), "--think", think,
               "--step-timeout", str(step_timeout), "--items-file", str(items),
               # a step under way when time is up finishes (a task sent is then counted or not, never cut off)
               "--stop-timeout", str(int(step_timeout) + 10),
               "--csv", str(prefix), "--html", f"{prefix}.html", "--exit-code-on-error", "0"]
    machine, locust, app = busy_seconds(), _children_seconds(), app_seconds()
    started = time.monotonic()
    with open(f"{prefix}.log", "w") as log:
        subprocess.run(command, cwd=ROOT, check=True, stdout=log, stderr=subprocess.STDOUT)
    elapsed = time.monotonic() - started
    busy, locust, app = busy_seconds() - machine, _children_seconds() - locust, app_seconds() - app
    result = read_result(prefix, label)
    result.cpu = (f"CPU in cores, on average: the machine {busy / elapsed:.1f} of {os.cpu_count()} busy; "
                  f"Locust {locust / elapsed:.1f}" + (f", the app and its database {app / elapsed:.1f}, "
                                                      f"other processes {(busy - locust - app) / elapsed:.1f}"
                                                      if app else ""))
    return result


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting), from /proc/stat."""
    with open("/proc/stat") as stat:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(n) for n in stat.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _children_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def read_result(prefix: Path, label: str) -> Result:
    """The run's figures as Locust had them once every user had stopped (load/locustfile.py)."""
    summary = json.loads(Path(f"{prefix}_items.json").read_text())
    actions = [Action(a["name"], a["requests"], a["failures"], a["p50"], a["p95"], a["max"])
               for a in summary["actions"]]
    actions.sort(key=lambda a: ORDER.index(a.name) if a.name in ORDER else len(ORDER))
    failures = [(f["name"], f["error"], f["occurrences"]) for f in summary["failures"]]
    return Result(label, actions, failures, summary["marker"], summary["created"], summary["attempted"])


def count_items(location, marker: str) -> int:
    """Items in the database at ``location`` whose name starts with the run's marker."""
    db = open_database(location)
    try:
        prefix = f"{marker} "
        (found,) = db.query_one("SELECT count(*) FROM items WHERE left(name, ?) = ?", [len(prefix), prefix])
        return int(found)
    finally:
        db.close()


def check_items(result: Result, location) -> None:
    """Fill ``result.found`` from the database, or say why it cannot be counted yet."""
    try:
        result.found = count_items(location, result.marker)
    except DatabaseLocked:
        result.notes.append(f"{location} is the running app's DuckDB file: stop the app, then run "
                            f"`make load-check DB={location} RUN={result.label}` to count the tasks.")


def items_line(result: Result) -> str:
    found = "not counted yet" if result.found is None else f"found {result.found}"
    verdict = "" if result.found is None else ("  OK" if result.items_agree else "  MISMATCH")
    extra = f" (attempted {result.attempted})" if result.attempted != result.created else ""
    return f"tasks «{result.marker} …»: created {result.created}{extra}, {found}{verdict}"


def format_result(result: Result) -> str:
    """The per-action table of one run, its failures and its tasks created vs found."""
    lines = [f"{'action':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
    for a in result.actions:
        lines.append(f"{a.name:<16}{a.requests:>9}{a.failures:>8}{a.p50:>9.0f}{a.p95:>9.0f}{a.longest:>9.0f}")
    lines.append(f"{'all':<16}{sum(a.requests for a in result.actions):>9}{result.errors:>8}")
    for name, error, occurrences in result.failures:
        lines.append(f"  {occurrences} × {name}: {error[:200]}")
    lines.append(items_line(result))
    lines.extend(filter(None, [result.cpu, *result.notes]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", default=[], help="an app process (repeat, or separate with commas)")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--duration", default="2m", help="Locust's --run-time: 2m, 90s...")
    parser.add_argument("--spawn-rate", type=float, default=2, help="users started per second")
    parser.add_argument("--think", default=THINK, help="seconds a person pauses between steps, MIN-MAX")
    parser.add_argument("--sellers", type=int, default=8, help="demo reps vendedor1..N (the demo has 8)")
    parser.add_argument("--database", help="the app's database (default: as the app, ESCALA_DATABASE_URL or ESCALA_DB)")
    parser.add_argument("--label", help="report names (default: load-<users>u)")
    parser.add_argument("--count-only", action="store_true", help="only count the tasks of the run --label")
    args = parser.parse_args(argv)
    from escala.db import default_location
    location = args.database or default_location()
    label = args.label or f"load-{args.users}u"
    if args.count_only:
        result = read_result(REPORT / label, label)
    else:
        urls = [u.strip().rstrip("/") for value in args.url for u in value.split(",") if u.strip()]
        if not urls:
            parser.error("falta --url")
        result = run_locust(urls, args.users, args.duration, label, spawn_rate=args.spawn_rate, think=args.think,
                            sellers=args.sellers)
    if not is_url(location) and not Path(location).exists():
        result.notes.append(f"{location} does not exist: pass the app's database with --database (DB=...).")
    else:
        check_items(result, location)
    print(format_result(result))
    print(f"Reports: {REPORT / label}.html, {REPORT / label}_stats.csv and Locust's log {REPORT / label}.log")
    if result.found is not None and not result.items_agree:
        print(f"ERROR: {result.created} tasks were confirmed but {result.found} are in the database.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
