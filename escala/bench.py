"""``python -m escala bench``: the performance targets, measured in one run.

Builds (or reuses) ``bench/bench-N-ORDER.duckdb`` with N items (half activities, half tasks;
500 users, 100,000 contacts, 200,000 opportunities) plus one contact with 1,000 items (a
quarter of N below 4,000: tiny benches stay quick), stored
in ``insertion`` order (by creation time, as a real team's rows arrive: the default) or as
``python -m escala compact`` leaves them (per responsible, then due date). Then reports
medians of 5: the whole Tablero over all history and with a typical filter (last 90 days,
one responsible), the 95th percentile over 20 varied filter sets, the same numbers computed
the naive way in pandas, a contact profile load, one durable insert, completing 1,000 items
in one transaction, and the process's peak RSS (taken before the pandas baseline, which
runs last because it is the memory hog being compared against).
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from escala import demo, rollups, times, transfer
from escala.analytics import STATES, Analytics, Filters
from escala.db import BaseDatabase, Database, open_database
from escala.export import Exporter
from escala.meta import set_meta
from escala.domain import ContactDraft, ItemDraft, Kind, Status
from escala.store import Store

RUNS = 5
LAYOUT = 2  # how the bench data are made: a new layout needs a new file (2: the profile's items spread over the year)
PROFILE_ITEMS = 1000  # the profile contact's items (fewer in a bench smaller than 4,000 items)
PROFILE_CONTACT = "Perfil de referencia ({} elementos)"
ORDERS = {"insertion": "created_at, id", "compact": rollups.ITEM_ORDER}  # how the items are stored


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 1)


def bench_database(items: int, folder: Path = Path("bench"), order: str = "insertion") -> Database:
    """The bench database for ``items`` items stored in ``order``, built once and reused."""
    path = folder / f"bench-{items}-{order}.duckdb"
    db = Database(path)
    db.migrate()
    built = f"{items} items, layout {LAYOUT}"
    if db.query_one("SELECT value FROM meta WHERE key = 'bench_items'") != (built,):
        if not Store(db).is_empty():
            raise ValueError(f"{path} tiene otros datos (o datos de una versión anterior del banco de pruebas); "
                             "bórralo para reconstruirlo.")
        demo.seed(db, demo.DemoSize(users=500, contacts=100_000, opportunities=200_000,
                                    activities=items // 2, tasks=items - items // 2, seed=7))
        _add_profile_contact(db, min(PROFILE_ITEMS, items // 4))
        with db.transaction() as cursor:  # one large step per transaction: uncommitted rows hold memory
            db.rewrite_sorted(cursor, "items", ORDERS[order])
        with db.transaction() as cursor:
            rollups.compact(cursor)
            set_meta(cursor, {"bench_items": str(built)})
        db.checkpoint()
        db.close()  # measured as the app finds it: opened afresh, not amid the build's buffers
        db = Database(path)
    rollups.compact_if_grown(db)  # as the server does when it starts (a run before wrote to this file)
    return db


def varied_filters(today, people: list[int], count: int = 20, seed: int = 3) -> list[Filters]:
    """``count`` filter sets such as people pick: periods of a week to a quarter, kinds, types,
    states, one or two responsibles or owners, stages (the same sets in every run)."""
    pick = random.Random(seed)
    sets = []
    for _ in range(count):
        length = pick.choice([7, 30, 90, None])
        start = today - timedelta(days=pick.randint(0, 120)) if length else None
        sets.append(Filters(
            date_from=start, date_to=start + timedelta(days=length - 1) if length else None,
            kind=pick.choice(["ambas", "ambas", "actividades", "tareas"]),
            types=tuple(pick.sample(["Llamada", "Reunión", "Webinar", "Evento", "Otro"], pick.choice([0, 0, 1, 2]))),
            states=tuple(pick.sample(list(STATES), pick.choice([0, 0, 1]))),
            responsible_ids=tuple(pick.sample(people, pick.choice([0, 1, 1, 2]))),
            owner_ids=tuple(pick.sample(people, pick.choice([0, 0, 0, 1]))),
            stages=tuple(pick.sample(["Propuesta", "Negociación", "Calificada"], pick.choice([0, 0, 0, 1])))))
    return sets


def percentile_ms(actions: list[Callable[[], object]], share: float = 0.95) -> float:
    samples = []
    for action in actions:
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.quantiles(samples, n=100, method="inclusive")[int(share * 100) - 1], 1)


def _add_profile_contact(db: Database, count: int) -> None:
    """A contact with ``count`` items written over the year, each two days before it is due (or
    now), so that in insertion order they lie among everyone else's, as a real contact's do."""
    written = [times.now_utc()]
    store = Store(db, clock=lambda: written[0])
    admin, seller = store.get_user(1), store.get_user(3)
    name = PROFILE_CONTACT.format(f"{count:,}".replace(",", "."))
    contact = store.create_contact(admin, ContactDraft(name, owner_id=seller.id))
    start = datetime(2026, 1, 5, 9, 0)
    for n in range(count):
        kind = Kind.ACTIVITY if n % 2 else Kind.TASK
        moment = start + timedelta(hours=7 * n)
        written[0] = min(times.from_db(moment - timedelta(days=2)), times.now_utc())
        store.create_item(seller, ItemDraft(
            kind, f"Elemento {n}", contact.id, moment, moment + timedelta(hours=1) if kind is Kind.ACTIVITY else None,
            activity_type="Llamada" if kind is Kind.ACTIVITY else None,
            status=Status.DONE if n % 3 == 0 else Status.PENDING))


def pandas_tablero(db: Database, now: datetime, zone: str) -> dict:
    """The naive way, for comparison: load the items into pandas, then groupby."""
    frame = db.cursor().execute(
        "SELECT responsible_id, activity_type, status, due_at, created_at, completed_at, opportunity_id "
        "FROM items").df()
    naive_now = times.to_db(now)
    late = (frame["status"] == "Pendiente") & (frame["due_at"] < naive_now)
    state = pd.Series("Pendiente", index=frame.index).mask(late, "Vencida").mask(frame["status"] == "Realizada",
                                                                                 "Realizada")
    frame = frame.assign(state=state, type=frame["activity_type"].astype(object).fillna("Tarea"))
    by_responsible = frame.groupby(["responsible_id", "state"], dropna=False).size()
    by_type = frame.groupby(["type", "state"]).size()
    pending = frame[frame["status"] == "Pendiente"]
    top = pending.groupby("opportunity_id").size().nlargest(15)
    by_opportunity = frame[frame["opportunity_id"].isin(top.index)].groupby(["opportunity_id", "state"]).size()
    local_created = frame["created_at"].dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
    local_done = frame["completed_at"].dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
    over_time = (local_created.dt.to_period("W").value_counts(), local_done.dt.to_period("W").value_counts())
    days_late = (naive_now - frame.loc[late, "due_at"]).dt.days
    ageing = frame.loc[late].assign(bucket=pd.cut(days_late, [-1, 7, 30, 90, 10**6])).groupby(
        ["responsible_id", "bucket"], observed=True).size()
    done = frame[frame["status"] == "Realizada"]
    completion = done.assign(days=(done["completed_at"] - done["created_at"]).dt.days,
                             on_time=done["completed_at"] <= done["due_at"]).groupby("responsible_id").agg(
        median_days=("days", "median"), on_time=("on_time", "mean"))
    return {"by_responsible": by_responsible, "by_type": by_type, "by_opportunity": by_opportunity,
            "over_time": over_time, "ageing": ageing, "completion": completion}


def run(items: int, folder: Path = Path("bench"), order: str = "insertion", screen: bool = False,
        database_url: str | None = None) -> dict:
    started = time.perf_counter()
    db = bench_database(items, folder, order)
    built_s = round(time.perf_counter() - started, 1)
    admin = Store(db).get_user(1)
    zone, now = admin.time_zone, times.now_utc()
    server = server_database(db, database_url) if database_url else None
    result = {"items": items, "order": order, **engine_numbers(db, now)}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["pandas_baseline_ms"] = median_ms(lambda: pandas_tablero(db, now, zone))
    result["database_mb"] = round(Path(db.path).stat().st_size / 2**20)
    result["build_s"] = built_s
    result["baseline_ratio"] = round(result["pandas_baseline_ms"] / result["tablero_ms"], 1)
    result.update(export_numbers(db, admin, now, zone, min(items, EXPORT_ROWS), Path(folder)))
    result.update(import_numbers(db, admin, now, zone, min(items // 2, EXPORT_ROWS), Path(folder)))
    if server is not None:  # the same measurements on the same data in PostgreSQL, in this run
        numbers = engine_numbers(server, now)
        numbers.update(export_numbers(server, admin, now, zone, min(items, EXPORT_ROWS), Path(folder), naive=False))
        numbers.update(import_numbers(server, admin, now, zone, min(items // 2, EXPORT_ROWS), Path(folder)))
        result[SERVER] = numbers
        server.close()
    people = sellers(db)
    db.close()
    if screen:  # the app opens the file itself: after this process has let it go
        from escala.bench_screen import screen_numbers
        result.update(screen_numbers(Path(db.path), times.to_local(now, zone).date(), people))
    return result


def sellers(db: BaseDatabase) -> list[int]:
    return [row[0] for row in db.query("SELECT id FROM users WHERE role = 'seller' ORDER BY id LIMIT 50")]


BENCH_GOALS = (("Semana", "Actividades", 20), ("Semana", "Llamada", 8), ("Mes", "Tareas", 40))  # per seller


def engine_numbers(db: BaseDatabase, now: datetime) -> dict:
    """The Tablero, a profile, one durable insert and a bulk completion, on ``db``."""
    store, analytics = Store(db), Analytics(db)
    admin, seller = store.get_user(1), store.get_user(3)
    zone = admin.time_zone
    today = times.to_local(now, zone).date()
    typical = Filters(date_from=today - timedelta(days=89), date_to=today, responsible_ids=(seller.id,))
    (contact_id,) = db.query_one("SELECT id FROM contacts WHERE name LIKE ?", [PROFILE_CONTACT.format("%")])

    def profile():  # what the profile page reads (escala/ui/contacts.py)
        store.get_contact(seller, contact_id)
        store.opportunities_for_contact(seller, contact_id)
        store.contact_items(seller, contact_id, {(kind, Status.PENDING): 1 for kind in Kind})  # done ones folded

    inserted = iter(range(10**6))
    people = sellers(db)
    if not store.goals(admin):  # goals on the Tablero, as a team that sets them has (once per database)
        for person in people:
            for period, measure, target in BENCH_GOALS:
                store.set_goal(admin, person, period, measure, target)
    goals = tuple(store.goals(admin))
    varied = varied_filters(today, people)
    pending = [row[0] for row in db.query("SELECT id FROM items WHERE status = 'Pendiente' ORDER BY id LIMIT 5000")]
    batches = iter([pending[k:k + 1000] for k in range(0, len(pending), 1000)])
    return {
        "tablero_ms": median_ms(lambda: analytics.dashboard(Filters(), admin, now, zone, goals)),
        "tablero_filtered_ms": median_ms(lambda: analytics.dashboard(typical, admin, now, zone, goals)),
        "tablero_ms_p95": percentile_ms([lambda f=f: analytics.dashboard(f, admin, now, zone, goals) for f in varied]),
        "profile_ms": median_ms(profile),
        "insert_ms": median_ms(lambda: store.create_item(seller, ItemDraft(
            Kind.TASK, f"Inserción de prueba {next(inserted)}", contact_id, datetime(2027, 1, 4, 9, 0)))),
        "bulk_complete_1000_ms": median_ms(lambda: store.set_status(admin, next(batches, []), Status.DONE)),
    }


SERVER = "postgresql"  # the key of the PostgreSQL column in ``run``'s result


def server_database(source: Database, url: str) -> BaseDatabase:
    """The PostgreSQL database at ``url`` holding the bench data: copied from ``source`` by
    ``migrate``'s own path (storage order kept) into an empty database, reused afterwards."""
    server = open_database(url)
    server.migrate()
    built = source.query_one("SELECT value FROM meta WHERE key = 'bench_items'")
    if server.query_one("SELECT value FROM meta WHERE key = 'bench_items'") != built:
        if not Store(server).is_empty():
            server.close()
            raise ValueError(f"{server.name} tiene otros datos; usa una base vacía para el banco de pruebas.")
        transfer.copy(source, server)
    return server


EXPORT_ROWS = 1_000_000


def export_numbers(db: BaseDatabase, user, now: datetime, zone: str, rows: int, folder: Path,
                   naive: bool = True) -> dict:
    """CSV export of ``rows`` rows by the engine vs pandas ``to_csv`` of the very same rows
    (pandas is handed the frame for free: only its writing is timed)."""
    exporter = Exporter(db)
    target = folder / "bench-export.csv"
    duck = median_ms(lambda: exporter.write(target, Filters(), user, now, zone, limit=rows, overwrite=True), runs=3)
    if not naive:
        target.unlink(missing_ok=True)
        return {"export_rows": rows, "export_csv_1m_s": round(duck / 1000, 2)}
    frame = exporter.preview(Filters(), user, now, zone, rows=rows)
    naive = median_ms(lambda: frame.to_csv(folder / "bench-pandas.csv", index=False), runs=3)
    for leftover in (target, folder / "bench-pandas.csv"):
        leftover.unlink(missing_ok=True)
    return {"export_rows": rows, "export_csv_1m_s": round(duck / 1000, 2), "pandas_to_csv_1m_s": round(naive / 1000, 2),
            "export_ratio": round(naive / duck, 1)}


LABELS = {
    "items": "Elementos en la base",
    "tablero_ms": "Tablero completo, todo el historial (ms, mediana de 5)",
    "order": "Orden de los elementos en disco",
    "tablero_filtered_ms": "Tablero con filtro típico: 90 días, un responsable (ms)",
    "tablero_ms_p95": "Tablero, percentil 95 de 20 filtros variados (ms)",
    "bulk_complete_1000_ms": "Marcar 1.000 elementos como realizados, una transacción (ms)",
    "pandas_baseline_ms": "Lo mismo en pandas (cargar + groupby) (ms)",
    "baseline_ratio": "Veces más rápido que pandas",
    "profile_ms": "Perfil de un contacto con 1.000 elementos (ms)",
    "insert_ms": "Una inserción durable (ms)",
    "peak_rss_mb": "Memoria máxima del proceso antes de pandas (MB)",
    "database_mb": "Tamaño de la base (MB)",
    "build_s": "Preparar la base (s; 0 si se reutilizó)",
    "export_rows": "Filas de la exportación medida",
    "export_csv_1m_s": "Exportar esas filas a CSV (s)",
    "pandas_to_csv_1m_s": "Las mismas filas con pandas to_csv (s)",
    "export_ratio": "Veces más rápido que pandas to_csv",
    "import_rows": "Filas de la importación medida (tareas)",
    "import_csv_1m_s": "Importar esas filas a una base vacía (s, una vez)",
    "tablero_screen_first_ms": "Tablero en pantalla: clic en el menú a la última gráfica, sin caché (ms)",
    "tablero_screen_ms": "Tablero en pantalla: clic en el menú a la última gráfica (ms, mediana de 5)",
    "tablero_cold_ms": "Tablero desde un enlace con filtros en una pestaña nueva (ms, mediana de 5)",
}


def report(result: dict, as_json: bool) -> str:
    """One line per measurement; with ``--database-url``, PostgreSQL's number beside DuckDB's."""
    server = result.get(SERVER, {})
    width = max(len(label) for label in LABELS.values())
    lines = [f"{'':<{width}}  {'DuckDB':>10}  {'PostgreSQL':>10}"] if server else []
    lines += [f"{LABELS.get(key, key):<{width}}  " + (f"{value!s:>10}  {server.get(key, ''):>10}" if server else str(value))
              for key, value in result.items() if key != SERVER]
    if as_json:
        lines.append(json.dumps(result))
    return "\n".join(lines)


def import_numbers(db: BaseDatabase, user, now: datetime, zone: str, rows: int, folder: Path) -> dict:
    """Export ``rows`` tasks, then import them into an empty database (of ``db``'s engine)
    with the same users."""
    from escala.imports import import_items

    source = folder / "bench-import.csv"
    Exporter(db).write(source, Filters(kind="tareas"), user, now, zone, limit=rows, overwrite=True)
    with scratch_database(db, folder) as target:
        target.migrate()
        with target.transaction() as cursor:
            people = db.query("SELECT id, name, email, role::VARCHAR, active, time_zone, password_hash, created_at "
                              "FROM users")
            for person in people:
                cursor.execute("INSERT INTO users (id, name, email, role, active, time_zone, password_hash, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(person))
            cursor.execute("UPDATE id_counters SET last_id = (SELECT max(id) FROM users) WHERE name = 'users'")
        store = Store(target)
        started = time.perf_counter()
        report = import_items(store, store.get_user(user.id), "tareas", source)
        seconds = round(time.perf_counter() - started, 2)
    source.unlink(missing_ok=True)
    return {"import_rows": report.inserted, "import_csv_1m_s": seconds}


@contextmanager
def scratch_database(beside: BaseDatabase, folder: Path) -> Iterator[BaseDatabase]:
    """A new, empty database of ``beside``'s engine, removed afterwards: a file in ``folder``,
    or on PostgreSQL a database created on the same server (the URL's user needs CREATEDB)."""
    if beside.engine == "duckdb":
        path = folder / "bench-import.duckdb"
        path.unlink(missing_ok=True)
        target = Database(path)
        try:
            yield target
        finally:
            target.close()
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
        return
    parts = urlsplit(beside.url)
    name = f"{parts.path.lstrip('/') or 'escala'}_bench_import"
    beside.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')  # sql-ok: our own name
    beside.cursor().execute(f'CREATE DATABASE "{name}"')  # sql-ok: our own name
    target = open_database(urlunsplit(parts._replace(path=f"/{name}")))
    try:
        yield target
    finally:
        target.close()
        beside.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')  # sql-ok: our own name
