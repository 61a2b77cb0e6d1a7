"""The load figures, on this machine, in one run: one app process on a fresh DuckDB demo
database, then three app processes on a fresh PostgreSQL demo database (a throwaway cluster,
every commit synced), each under 30 and then 60 simulated users for 2 minutes; one table of
p50/p95 per action, errors, and tasks created vs found in the database.

    python -m load.figures [--users 30 60] [--duration 2m] [--think 3-10]   # or: make load-figures

Each configuration's reports land in ``load-report/`` (``duckdb-1p-30u.html``...), the app
servers' logs beside them; a traceback in a log is reported with the figures.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, suppress
from pathlib import Path
from urllib.parse import urlsplit

from load.run import REPORT, ROOT, THINK, Result, busy_seconds, check_items, format_result, items_line, run_locust

SECRET = "una-clave-para-las-cifras-de-carga"  # server mode: every process must sign sessions alike


def prepare(location) -> None:
    """A demo database at ``location`` as ``make run`` makes one: ``init`` then ``seed-demo``."""
    where = ["--database-url", str(location)] if str(location).startswith("postgresql://") else ["--db", str(location)]
    for command in (["init"], ["seed-demo"]):
        subprocess.run([sys.executable, "-m", "escala", *where, *command], cwd=ROOT, check=True)


def log_sizes(logs: list[Path]) -> list[int]:
    return [log.stat().st_size if log.exists() else 0 for log in logs]


def tracebacks(logs: list[Path], since: list[int]) -> list[str]:
    """Lines the servers logged after ``since`` (byte offsets) that start a traceback or
    report an unexpected error."""
    found = []
    for log, offset in zip(logs, since):
        with open(log, "rb") as text:
            text.seek(offset)
            for line in text.read().decode(errors="replace").splitlines():
                if line.startswith("Traceback") or "Unexpected error" in line or "ERROR" in line:
                    found.append(f"{log.name}: {line[:200]}")
    return found


def app_seconds(location) -> float:
    """CPU seconds used so far by this machine's app servers (our children) and, on
    PostgreSQL, by the cluster serving ``location`` (found by its port)."""
    import psutil

    port = urlsplit(str(location)).port if str(location).startswith("postgresql://") else None
    mine = [p for p in psutil.Process().children(recursive=True) if "escala.ui.server" in " ".join(_cmdline(p))]
    if port:
        for process in psutil.process_iter():
            if f"-p {port}" in " ".join(_cmdline(process)):  # the postmaster, then its backends
                mine += [process, *process.children(recursive=True)]
    total = 0.0
    for process in mine:
        with suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _cmdline(process) -> list[str]:
    import psutil
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def wait_for_quiet(limit: float, window: float = 5) -> str:
    """Wait (up to ``limit`` seconds) until the machine is nearly idle for three windows in a
    row, so other work does not weigh on the figures; say how it went."""
    started, quiet = time.monotonic(), 0
    while time.monotonic() - started < limit:
        before = busy_seconds()
        time.sleep(window)
        busy = (busy_seconds() - before) / window
        quiet = quiet + 1 if busy < 0.25 else 0
        if quiet == 3:
            return f"machine idle after {time.monotonic() - started:.0f} s of waiting"
    return f"the machine was still busy after {limit:.0f} s of waiting ({busy:.1f} cores): measured anyway"


def measure(engine: str, location, processes: int, args) -> list[Result]:
    """Serve ``location`` with ``processes`` app processes and run each user count against
    them; the tasks are counted once the servers have stopped (a DuckDB file has one owner)."""
    from tests.servers import serve

    results, logs = [], [REPORT / f"{engine}-server-{n}.log" for n in range(processes)]
    with ExitStack() as servers:
        urls = [servers.enter_context(serve(location, log, env={"ESCALA_SESSION_SECRET": SECRET})) for log in logs]
        for users in args.users:
            label = f"{engine}-{processes}p-{users}u"
            print(f"\n== {label}: {users} users for {args.duration} on {processes} process(es): {', '.join(urls)}",
                  flush=True)
            waited = wait_for_quiet(args.quiet_wait)
            print(waited, flush=True)
            before = log_sizes(logs)
            result = run_locust(urls, users, args.duration, label, think=args.think, spawn_rate=args.spawn_rate,
                                app_seconds=lambda: app_seconds(location))
            result.notes.extend([waited, *tracebacks(logs, before)])
            results.append(result)
    for result in results:
        check_items(result, location)
        print(f"\n== {result.label}\n{format_result(result)}", flush=True)
    return results


def summary(results: list[Result]) -> str:
    """One table: a row per configuration and action."""
    lines = [f"{'configuration':<18}{'action':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}"]
    for result in results:
        for a in result.actions:
            lines.append(f"{result.label:<18}{a.name:<16}{a.requests:>9}{a.failures:>8}{a.p50:>9.0f}{a.p95:>9.0f}")
        lines.append(f"{result.label:<18}{'(all)':<16}{sum(a.requests for a in result.actions):>9}{result.errors:>8}")
        lines.append(f"{result.label:<18}{items_line(result)}")
        lines.extend(f"{result.label:<18}{note}" for note in [result.cpu, *result.notes[:5]] if note)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load.figures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[30, 60])
    parser.add_argument("--duration", default="2m")
    parser.add_argument("--think", default=THINK, help="seconds a person pauses between steps, MIN-MAX")
    parser.add_argument("--spawn-rate", type=float, default=2, help="users started per second")
    parser.add_argument("--quiet-wait", type=float, default=300,
                        help="seconds to wait, before each run, for the machine to be idle")
    parser.add_argument("--engines", nargs="+", default=["duckdb", "postgresql"], choices=["duckdb", "postgresql"])
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: the servers and the cluster stop too
    REPORT.mkdir(exist_ok=True)
    os.environ.pop("ESCALA_DATABASE_URL", None)
    results: list[Result] = []
    if "duckdb" in args.engines:
        with tempfile.TemporaryDirectory(prefix="escala-load-") as folder:
            location = Path(folder) / "escala.duckdb"
            prepare(location)
            results += measure("duckdb", location, 1, args)
    if "postgresql" in args.engines:
        from tests.postgresql import throwaway_cluster
        with throwaway_cluster(durable=True) as url:
            prepare(url)
            results += measure("postgresql", url, 3, args)
    print("\n== Figures (same machine, same run)\n" + summary(results))
    return 0 if all(r.items_agree for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
