"""Fixtures: a fresh database per test, a controllable clock, and a small cast of users.

The engine under test is ``ESCALA_TEST_ENGINE``: ``duckdb`` (a file per test, the default)
or ``postgresql`` (a database per test on a throwaway cluster per test process); CI runs the
whole suite once with each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from escala import auth, demo, rollups
from escala.db import BaseDatabase, open_database
from escala.domain import ContactDraft, ItemDraft, Kind, OpportunityDraft, User, UserDraft
from escala.store import Store

PASSWORD = "contraseña-segura"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """scrypt's real cost is the point in production and noise in tests; the hash records
    its parameters, so cheaper ones still verify exactly the same way."""
    monkeypatch.setattr(auth, "SCRYPT_N", 2**8)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))


ENGINE = os.environ.get("ESCALA_TEST_ENGINE", "duckdb")
if ENGINE not in ("duckdb", "postgresql"):
    raise pytest.UsageError(f"ESCALA_TEST_ENGINE must be duckdb or postgresql, not {ENGINE!r}")
ENGINE_FIXTURES = {"database_location", "new_location", "shared_location"}  # what reaches the engine under test


def pytest_collection_modifyitems(config, items):
    """Each test runs in the legs where it means something: a test that reaches the engine
    under test (through ``ENGINE_FIXTURES``: ``db``, ``store``, the pages' and the browser
    tests' databases...) in both; one that needs PostgreSQL itself (server mode: several
    processes, copies and comparisons between the engines) in the PostgreSQL leg; the rest
    (pure rules, the DuckDB file's own behaviour) in the DuckDB leg. pytest reports the rest
    as deselected."""
    keep, drop = [], []
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        on_engine = bool(names & ENGINE_FIXTURES)
        needs_server = "postgresql_url" in names and not on_engine
        wanted = on_engine or (needs_server if ENGINE == "postgresql" else not needs_server)
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def new_location(tmp_path, request):
    """A maker of empty databases on the engine under test: each call, a new DuckDB file path
    (under ``tmp_path``) or the URL of a new PostgreSQL database (dropped after the test)."""
    made: list[str] = []

    def make(name: str = "escala"):
        if ENGINE == "duckdb":
            return tmp_path / f"{name}.duckdb"
        from tests.postgresql import create_database
        url = create_database(request.getfixturevalue("postgresql_url"))
        made.append(url)
        return url

    yield make
    if made:
        from tests.postgresql import drop_database
        for url in made:
            drop_database(url)


@pytest.fixture(scope="session")
def shared_location(tmp_path_factory, request):
    """A maker of empty databases for module-scoped fixtures, on the engine under test
    (PostgreSQL's go with the throwaway cluster)."""
    def make(name: str):
        if ENGINE == "duckdb":
            return tmp_path_factory.mktemp(name) / f"{name}.duckdb"
        from tests.postgresql import create_database
        return create_database(request.getfixturevalue("postgresql_url"))

    return make


@pytest.fixture
def database_location(new_location):
    """Where the test's database lives (empty until opened and migrated)."""
    return new_location()


@pytest.fixture
def db(database_location):
    """A fresh database; whatever the test wrote, the Tablero's rollups must still agree with
    the items at the end (escala/rollups.py)."""
    database = open_database(database_location)
    database.migrate()
    yield database
    assert_rollups_agree(database)
    database.close()


def assert_rollups_agree(database: BaseDatabase) -> None:
    """The Tablero's rollups equal the aggregates recomputed from the items (reopening the
    file if the test closed it, e.g. to let a command-line process write)."""
    if database._closed:
        database = open_database(database.location)
        try:
            assert rollups.check(database) == []
        finally:
            database.close()
    else:
        assert rollups.check(database) == []


@pytest.fixture(scope="session")
def postgresql_url():
    """An empty database on a throwaway PostgreSQL cluster (one per test process)."""
    from tests.postgresql import throwaway_cluster
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def store(db, clock) -> Store:
    return Store(db, clock=clock)


@dataclass
class World:
    admin: User
    ana: User  # seller
    bruno: User  # seller
    carla: User  # analyst
    ana_contact: int
    bruno_contact: int
    ana_opportunity: int
    bruno_opportunity: int


TEST_SESSION_SECRET = "una-clave-de-pruebas-compartida"  # server mode refuses to make one up per process


def engine_env(location) -> dict[str, str]:
    """The environment variables that point the app (or a command) at ``location``."""
    if str(location).startswith("postgresql://"):
        return {"ESCALA_DATABASE_URL": str(location), "ESCALA_SESSION_SECRET": TEST_SESSION_SECRET}
    return {"ESCALA_DB": str(location)}


def app_env(location) -> dict[str, str]:
    """This process's environment with its database choice replaced by ``location``'s: for
    an app or a command a test starts."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("ESCALA_DB", "ESCALA_DATABASE_URL")}
    return {**inherited, **engine_env(location)}


def point_at(monkeypatch, location) -> None:
    """Point this process's app code at ``location`` for the test."""
    monkeypatch.delenv("ESCALA_DATABASE_URL", raising=False)
    for name, value in engine_env(location).items():
        monkeypatch.setenv(name, value)


def seed_demo_file(location, **size) -> None:
    """A demo database at ``location`` (for tests that run the app or the server on it)."""
    database = open_database(location)
    database.migrate()
    demo.seed(database, demo.DemoSize(**size))
    database.close()


def make_user(store: Store, name: str, email: str, role: str, time_zone: str = "America/Mexico_City") -> User:
    return store.create_user(None, UserDraft(name, email, role, PASSWORD, time_zone))


@pytest.fixture
def world(store) -> World:
    admin = make_user(store, "Admin Uno", "admin@example.com", "admin")
    ana = make_user(store, "Ana Vendedora", "ana@example.com", "seller")
    bruno = make_user(store, "Bruno Vendedor", "bruno@example.com", "seller")
    carla = make_user(store, "Carla Analista", "carla@example.com", "analyst")
    ana_contact = store.create_contact(ana, ContactDraft("Cliente de Ana", "cliente.ana@example.com", company="Acme")).id
    bruno_contact = store.create_contact(bruno, ContactDraft("Cliente de Bruno", "cliente.bruno@example.com")).id
    ana_opp = store.create_opportunity(ana, OpportunityDraft("Licencias", ana_contact, "Propuesta", 1000)).id
    bruno_opp = store.create_opportunity(bruno, OpportunityDraft("Renovación", bruno_contact, "Prospecto", 500)).id
    return World(admin, ana, bruno, carla, ana_contact, bruno_contact, ana_opp, bruno_opp)


def activity(contact_id: int, **changes) -> ItemDraft:
    """A valid activity draft (Mexico City wall clock), with ``changes`` applied."""
    values = dict(kind=Kind.ACTIVITY, name="Llamada de seguimiento", contact_id=contact_id,
                  start=datetime(2026, 3, 5, 10, 0), end=datetime(2026, 3, 5, 11, 0), activity_type="Llamada",
                  time_zone="America/Mexico_City")
    values.update(changes)
    return ItemDraft(**values)


def task(contact_id: int, **changes) -> ItemDraft:
    values = dict(kind=Kind.TASK, name="Enviar propuesta", contact_id=contact_id,
                  start=datetime(2026, 3, 6, 9, 0), time_zone="America/Mexico_City")
    values.update(changes)
    return ItemDraft(**values)
